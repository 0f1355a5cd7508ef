// clinicgw login: the card in the workstation's reader signs the gateway's
// challenge through the bridge on 127.0.0.1; the PIN goes to the bridge
// only, never to the gateway.
"use strict";
(function () {
  const box = document.getElementById("login");
  const bridge = box.dataset.bridge;
  const status = document.getElementById("card-status");
  const errBox = document.getElementById("login-error");
  const form = document.getElementById("login-form");
  const pin = document.getElementById("pin");
  const submit = document.getElementById("login-submit");
  let pinPad = false;
  let busy = false; // a login is under way: the status poll stays quiet

  function say(msg) { status.textContent = msg; }
  function fail(msg) { busy = false; errBox.textContent = msg; errBox.hidden = false; submit.disabled = false; say(""); pin.value = ""; pin.focus(); }

  async function json(r) { try { return await r.json(); } catch (e) { return {}; } }

  // bridgeText is the page's own words for the bridge's refusals it knows,
  // in the page's language; else the bridge's (Swedish) message.
  function bridgeText(m) {
    if (m.error === "no-reader") return box.dataset.noReader;
    if (m.error === "no-card") return box.dataset.noCard;
    return m.message || box.dataset.failed;
  }

  // checkCard asks the bridge for the reader and the card and says what it
  // found: the bridge not answering, no reader, no card, or ready. A
  // bridge too old to report the reader counts as having one.
  async function checkCard(quiet) {
    let msg, ok = false;
    try {
      const r = await fetch(bridge + "/v1/status", { cache: "no-store" });
      const st = await json(r);
      if (!r.ok) msg = st.message || box.dataset.noBridge;
      else if (st.reader === false) msg = box.dataset.noReader;
      else if (!st.present) msg = box.dataset.noCard;
      else {
        ok = true;
        pinPad = !!st.pinPad;
        msg = pinPad ? box.dataset.pinPad : box.dataset.ready;
      }
    } catch (e) {
      msg = box.dataset.noBridge;
    }
    if (quiet && busy) return ok;
    if (ok) document.getElementById("pin-field").hidden = pinPad;
    say(msg);
    return ok;
  }

  // poll keeps the status current while the page waits for someone to
  // connect the reader or insert the card.
  async function poll() {
    if (!busy && !document.hidden) await checkCard(true);
    setTimeout(poll, 2000);
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    if (busy) return;
    busy = true;
    errBox.hidden = true;
    if (!(await checkCard(false))) { fail(status.textContent); return; }
    if (!pinPad && !/^[0-9]{4,16}$/.test(pin.value)) { fail(document.getElementById("pin-help").textContent); return; }
    submit.disabled = true;
    say(box.dataset.working);
    try {
      let r = await fetch("/login/challenge", { method: "POST", credentials: "same-origin", headers: { "Accept": "application/json" } });
      let m = await json(r);
      if (!r.ok) { fail(m.message || box.dataset.failed); return; }
      r = await fetch(bridge + "/v1/sign", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ nonce: m.nonce, pin: pinPad ? "" : pin.value }) });
      pin.value = "";
      const token = await json(r);
      if (!r.ok) { fail(bridgeText(token)); return; }
      r = await fetch("/login", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(token) });
      m = await json(r);
      if (!r.ok) { fail(m.message || box.dataset.failed); return; }
      const w = await fetch(bridge + "/v1/watch", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ticket: m.ticket }) });
      if (!w.ok) {
        await fetch("/logout", { method: "POST", credentials: "same-origin" });
        fail(box.dataset.watchFailed);
        return;
      }
      location.assign(m.next);
    } catch (e) {
      fail(box.dataset.noBridge);
    }
  });

  poll();
})();
