package central

import "net/http"

// The patient's "delete my account" (Radera mitt konto), linked from the
// start page: GET /konto says what it does, POST /konto/radera with the
// box ticked forgets the patient (ForgetPatient: their data key leaves
// the key ring, everything sealed under it reads as nothing), ends their
// sessions and sends them to the login page, which says it was done.

// accountPage shows what deleting the account does.
func (w *web) accountPage(rw http.ResponseWriter, r *http.Request, sess *session) {
	w.render(rw, http.StatusOK, "account", view{Title: swedish("central.page.account.heading"), User: sess.name})
}

// deleteAccount forgets the logged-in patient once they ticked the box.
func (w *web) deleteAccount(rw http.ResponseWriter, r *http.Request, sess *session) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if r.PostFormValue("bekrafta") != "ja" {
		w.render(rw, http.StatusBadRequest, "account", view{Title: swedish("central.page.account.heading"), User: sess.name,
			Error: swedish("central.page.account.unconfirmed")})
		return
	}
	if _, err := w.s.ForgetPatient(r.Context(), sess.pnr); err != nil {
		w.failure(rw, r, "deleteAccount", err)
		return
	}
	w.forget(sess.pnr)
	setSessionCookie(rw, "", -1)
	http.Redirect(rw, r, "/logga-in?raderat=1", http.StatusSeeOther)
}

// forget ends every session of pnr and drops what it had seen.
func (w *web) forget(pnr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, s := range w.sessions {
		if s.pnr == pnr {
			delete(w.sessions, id)
		}
	}
	delete(w.seen, pnr)
}
