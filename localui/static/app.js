// clinicgw: live updates and the lock screen. No inline script anywhere:
// the CSP forbids it.
"use strict";
(function () {
  const body = document.body;
  const live = body.dataset.live;
  // Every page rendered for a session opens the websocket, whether or
  // not it shows live data: its closing is what locks the page.
  const session = body.dataset.session === "1";

  // wipe removes everything the page showed, typed text and all, leaving
  // only the lock screen (still hidden) in the document.
  function wipe() {
    const l = document.getElementById("lock");
    for (const el of Array.from(body.children)) {
      if (el !== l) el.remove();
    }
    body.dataset.locked = "1";
  }

  // lock wipes the page and shows the lock screen, which offers a new login.
  function lock() {
    wipe();
    const l = document.getElementById("lock");
    if (!l) return;
    l.hidden = false;
    document.title = document.getElementById("lock-h").textContent;
    document.getElementById("lock-login").focus();
  }

  // A page kept in the back/forward cache would come back as it was left,
  // whether or not its session still lives: wipe it as it goes into the
  // cache, and load it anew (from the server, which knows the session)
  // when it comes back.
  if (session) {
    window.addEventListener("pagehide", function (ev) { if (ev.persisted) wipe(); });
    window.addEventListener("pageshow", function (ev) {
      if (ev.persisted) { wipe(); location.reload(); }
    });
  }

  // refresh fetches the page's live part again and swaps it in, keeping
  // focus where it was when the element survives. ids are the cases a
  // push named (null: anything may have changed): a list then fetches
  // only their rows, with the list's order, and puts them in place; the
  // other rows stay as they are.
  const pending = {};
  const changed = {}; // per live part: the ids to fetch, or null for all
  function refresh(id, ids) {
    const el = document.getElementById(id);
    if (!el) return;
    if (!(id in changed) || changed[id] !== null) {
      changed[id] = ids === null ? null : Object.assign(changed[id] || {}, Object.fromEntries(ids.map(function (i) { return [i, true]; })));
    }
    fetchPart(id);
  }

  // fetchPart fetches what changed[id] asks for, one fetch at a time per
  // part: what pushes ask meanwhile waits for the next.
  function fetchPart(id) {
    const el = document.getElementById(id);
    if (!el || pending[id]) return;
    pending[id] = true;
    function done() {
      pending[id] = false;
      if (id in changed) fetchPart(id);
    }
    setTimeout(function () {
      const want = changed[id];
      delete changed[id];
      const some = want && id === "rows" && el.querySelector("tbody") ? Object.keys(want) : null;
      const src = some && some.length <= 64 ? el.dataset.src + "&ids=" + some.map(encodeURIComponent).join(",") : el.dataset.src;
      fetch(src, { headers: { "X-Live": "1" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.status === 401) { lock(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (html === null || html === undefined) { done(); return; }
          const focused = document.activeElement && document.activeElement.id;
          const editing = el.contains(document.activeElement) && /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName);
          if (editing) { done(); return; } // never pull a form from under someone typing
          if (src !== el.dataset.src) {
            if (!placeRows(el, html)) { changed[id] = null; done(); return; }
            body.dataset.rowsPlaced = String(Number(body.dataset.rowsPlaced || 0) + 1);
          } else {
            // Ticked rows stay ticked (the inbox's bulk assignment).
            const ticked = Array.from(el.querySelectorAll("input[type=checkbox]:checked")).map(function (c) { return c.id; });
            el.innerHTML = html;
            ticked.forEach(function (cid) { const c = document.getElementById(cid); if (c) c.checked = true; });
          }
          if (id === "casebody") delivered(el);
          if (focused) { const f = document.getElementById(focused); if (f) f.focus(); }
          body.dataset.refreshed = String(Number(body.dataset.refreshed || 0) + 1);
          done();
        })
        .catch(function () { pending[id] = false; });
    }, 100);
  }

  // delivered says in the case page's flash of a message just sent
  // (#delivery, outside the live part, so that it stays one live region)
  // whether the central store has it now, as the refreshed part tells.
  function delivered(el) {
    const out = document.getElementById("delivery");
    const d = el.querySelector("[data-delivery]");
    if (!out || !d || out.dataset.state === d.dataset.delivery) return;
    out.dataset.state = d.dataset.delivery;
    if (d.dataset.delivery === "sent") out.textContent = d.dataset.sent;
    else out.textContent = d.dataset.saved;
  }

  // placeRows puts the changed rows of a live refresh (the server's
  // rowsdelta: the list's order and the rows asked for that are in it)
  // into the list: new and changed rows in their place, rows no longer
  // in the list out. It reports false when it cannot (the list became
  // empty, or the note under it changed): then the whole list is fetched.
  function placeRows(el, html) {
    const t = document.createElement("template");
    t.innerHTML = html;
    const fresh = t.content.querySelector("tbody");
    const tbody = el.querySelector("tbody");
    if (!fresh || !tbody || !fresh.dataset.order || fresh.dataset.more !== tbody.dataset.more) return false;
    const rows = {};
    for (const tr of Array.from(fresh.children)) rows[tr.id] = tr;
    const order = [];
    for (const cid of fresh.dataset.order.split(" ")) {
      const tr = rows["case-" + cid] || document.getElementById("case-" + cid);
      if (!tr) return false;
      order.push(tr);
    }
    const ticked = Array.from(tbody.querySelectorAll("input[type=checkbox]:checked")).map(function (c) { return c.id; });
    tbody.replaceChildren.apply(tbody, order);
    ticked.forEach(function (cid) { const c = document.getElementById(cid); if (c) c.checked = true; });
    return true;
  }

  // ended asks the server whether the session still lives, and locks the
  // page when it does not; otherwise the websocket is opened again.
  function ended(retry) {
    fetch("/ws", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (r.status === 401) lock(); else retry();
    }).catch(function () { setTimeout(retry, 2000); });
  }

  function connect() {
    if (!session) return;
    const status = document.getElementById("live-status");
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    let opened = false;
    ws.onopen = function () {
      opened = true;
      if (live) {
        if (live.startsWith("case:")) ws.send(JSON.stringify({ t: "watch", case: live.slice(5) }));
        else if (live.startsWith("queue:")) ws.send(JSON.stringify({ t: "watch", list: "queue", group: live.slice(6) }));
        else ws.send(JSON.stringify({ t: "watch", list: live }));
      }
      if (status) { status.textContent = status.dataset.ok; status.classList.remove("off"); }
      body.dataset.ws = "open";
    };
    ws.onmessage = function (ev) {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      // A group's queue is fetched whole: it is short, and a case taken
      // leaves it.
      if (m.t === "changed" && live) refresh(live.startsWith("case:") ? "casebody" : "rows", Array.isArray(m.ids) && !m.all && !live.startsWith("queue:") ? m.ids : null);
      if (m.t === "changed" && live === "inbox") refresh("counts", null); // the inbox's counts (counts.go)
      if (m.t === "denied") body.dataset.ws = "denied";
      if (m.t === "sync") {
        // The header badge: the words only, a time and a count.
        const b = document.getElementById("sync-badge");
        if (b && typeof m.text === "string") {
          b.textContent = m.text;
          b.dataset.ok = m.ok ? "1" : "0";
          b.classList.toggle("off", !m.ok);
        }
      }
      if (m.t === "watching") body.dataset.watching = "1"; // a queue's watch is taken up
    };
    ws.onclose = function (ev) {
      body.dataset.ws = "closed";
      if (ev.code === 4001 || ev.code === 4003 || ev.code === 1008) { lock(); return; }
      if (!opened) { // refused at once: the session may have ended already
        ended(function () { setTimeout(connect, 2000); });
        return;
      }
      if (status) { status.textContent = status.dataset.off; status.classList.add("off"); }
      // The server may be restarting; a restart ends every session, which
      // the next try finds out.
      setTimeout(function () { ended(connect); }, 1000);
    };
  }

  // Standard answers: insert the chosen text where the cursor is.
  document.addEventListener("click", function (ev) {
    const b = ev.target.closest("#standard-insert");
    if (!b) return;
    const sel = document.getElementById(b.dataset.select);
    const ta = document.getElementById(sel.dataset.target);
    if (!sel.value) return;
    const at = ta.selectionStart || ta.value.length;
    ta.value = ta.value.slice(0, at) + sel.value + ta.value.slice(at);
    ta.focus();
  });

  connect();
})();
