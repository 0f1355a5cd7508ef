// clinicgw: the warning before a case is given to someone on leave, shown
// in place. Without this script the same warning comes as a page of its
// own (the server answers the form with it); with it, the form is sent in
// the background and the warning, with its one-click choices, appears
// under the form. Any other answer is the browser's as usual.
"use strict";
(function () {
  function plain(form, submitter) {
    form.removeAttribute("data-leave-check");
    form.requestSubmit(submitter || undefined);
  }

  // show puts the warning under the form, or under the button that sent
  // it when that stands apart from its form (the inbox's row buttons of
  // the shared form #distribute).
  function show(form, submitter, html) {
    const at = submitter && submitter.hasAttribute("form") ? submitter : form;
    let box = at.nextElementSibling;
    if (!box || !box.classList.contains("leave-inplace")) {
      box = document.createElement("div");
      box.className = "leave-inplace";
      at.after(box);
    }
    box.innerHTML = html;
    const first = box.querySelector("button");
    if (first) first.focus();
  }

  document.addEventListener("submit", function (ev) {
    const form = ev.target.closest("form[data-leave-check]");
    if (!form) return;
    ev.preventDefault();
    const submitter = ev.submitter;
    const body = new URLSearchParams(new FormData(form, submitter));
    const action = submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
    const url = new URL(action, location.href);
    url.searchParams.set("part", "leave");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", cache: "no-store" })
      .then(function (r) {
        if (r.redirected) { location.assign(r.url); return; } // done: where the server sent it
        if (r.ok && r.headers.get("X-Leave-Warning") === "1") return r.text().then(function (html) { show(form, submitter, html); });
        plain(form, submitter); // refused: nothing changed; the browser shows why
      })
      .catch(function () { plain(form, submitter); });
  });
})();
