package localui

import (
	"errors"
	"io"
	"net/http"

	"clinicgw/agent/cases"
	"clinicgw/cardauth"
)

// maxToken bounds a login token's size (a certificate and a signature).
const maxToken = 16 << 10

// loginPage shows the login form; it gives the browser a binding cookie
// to which the login challenge is tied, so that a challenge fetched by one
// browser cannot be answered from another.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(bindCookie); err != nil {
		b, err := randomToken(s.cfg.Rand, 32)
		if err != nil {
			s.fail(w, r, http.StatusInternalServerError, "err.generic")
			return
		}
		setCookie(w, bindCookie, b, 0)
	}
	p := page{Title: "title.login"}
	if r.URL.Query().Get("ended") == "1" {
		p.Flash = langOf(r).T("login.ended")
	}
	s.render(w, r, http.StatusOK, "login", p)
}

// loginChallenge issues a nonce for this browser's binding.
func (s *Server) loginChallenge(w http.ResponseWriter, r *http.Request) {
	b, err := r.Cookie(bindCookie)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "login.failed")
		return
	}
	nonce, exp, err := s.cfg.Login.Challenge(b.Value)
	if err != nil {
		s.log.Error("login challenge", "err", err)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"nonce": nonce, "expires": exp.UTC()})
}

// loginFinish takes the signed token from the bridge, starts the session
// and hands back the presence ticket for the bridge.
func (s *Server) loginFinish(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	b, err := r.Cookie(bindCookie)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "login.failed")
		return
	}
	tok, err := io.ReadAll(io.LimitReader(r.Body, maxToken+1))
	if err != nil || len(tok) > maxToken {
		s.fail(w, r, http.StatusBadRequest, "login.failed")
		return
	}
	previous := ""
	if c, err := r.Cookie(sessionCookie); err == nil {
		previous = c.Value
	}
	sess, err := s.cfg.Login.Login(r.Context(), b.Value, tok, previous)
	if err != nil {
		msg := l.T("login.failed")
		var le *cardauth.LoginError
		if errors.As(err, &le) && l.Code == "sv" {
			msg = le.Swedish()
		} else if errors.As(err, &le) {
			msg = le.English()
		}
		writeJSON(w, http.StatusForbidden, map[string]string{"message": msg})
		return
	}
	ticket, err := s.cfg.Login.PresenceTicket(sess.ID)
	if err != nil {
		s.cfg.Login.Logout(sess.ID)
		s.fail(w, r, http.StatusInternalServerError, "err.generic")
		return
	}
	setCookie(w, sessionCookie, sess.ID, 0)
	setCookie(w, bindCookie, "", -1)
	writeJSON(w, http.StatusOK, map[string]string{"next": homeOf(sess.Staff), "ticket": ticket})
}

// logout ends the session and shows the login page.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.cfg.Login.Logout(c.Value)
	}
	setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login?ended=1", http.StatusSeeOther)
}

// home sends staff to the page of their first role.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	sess, err := s.cfg.Login.Session(c.Value)
	if err != nil {
		http.Redirect(w, r, "/login?ended=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, homeOf(sess.Staff), http.StatusSeeOther)
}

func homeOf(st cardauth.Staff) string {
	a := actorOf(cardauth.Session{Staff: st})
	switch {
	case a.Has(cases.Distributor):
		return "/inbox"
	case a.Has(cases.Clinician):
		return "/mine"
	case a.Has(cases.UnitAdmin):
		return "/admin/stats"
	case a.Has(cases.Auditor):
		return "/audit"
	}
	return "/settings"
}
