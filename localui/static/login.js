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

  function say(msg) { status.textContent = msg; }
  function fail(msg) { errBox.textContent = msg; errBox.hidden = false; submit.disabled = false; say(""); pin.value = ""; pin.focus(); }

  async function json(r) { try { return await r.json(); } catch (e) { return {}; } }

  async function checkCard() {
    try {
      const r = await fetch(bridge + "/v1/status", { cache: "no-store" });
      const st = await json(r);
      if (!r.ok) { say(st.message || box.dataset.noBridge); return false; }
      if (!st.present) { say(box.dataset.noCard); return false; }
      pinPad = !!st.pinPad;
      document.getElementById("pin-field").hidden = pinPad;
      say(pinPad ? box.dataset.pinPad : box.dataset.ready);
      return true;
    } catch (e) {
      say(box.dataset.noBridge);
      return false;
    }
  }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    errBox.hidden = true;
    if (!(await checkCard())) { fail(status.textContent); return; }
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
      if (!r.ok) { fail(token.message || box.dataset.failed); return; }
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

  checkCard();
})();
