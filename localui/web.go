package localui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/cardauth"
	"clinicgw/sync/bidi"
)

// Cookie names. The __Host- prefix makes the browser insist on Secure,
// Path=/ and no Domain (checklist AU5).
const (
	sessionCookie = "__Host-clinicgw-session"
	bindCookie    = "__Host-clinicgw-login" // binds a login challenge to this browser
	langCookie    = "__Host-clinicgw-lang"
)

// secure sets the security headers on every response (checklist WB4) and
// refuses state-changing requests from other origins (WB1): Go's
// cross-origin protection (Sec-Fetch-Site, then Origin against Host), and
// then the configured origin exactly.
func (s *Server) secure(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method, "path", routeOf(r))
		s.fail(w, r, http.StatusForbidden, "err.crossOrigin")
	}))
	guarded := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unsafeMethod(r.Method) && r.Header.Get("Origin") != s.cfg.Origin {
			s.log.Warn("request without this origin refused", "method", r.Method, "path", routeOf(r))
			s.fail(w, r, http.StatusForbidden, "err.crossOrigin")
			return
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer Chromium sends
		// "Origin: null" on form posts, which the origin check must refuse.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		// Every page but the static files may show patient data; the
		// static files set their own (assets.go).
		h.Set("Cache-Control", "no-store")
		guarded.ServeHTTP(w, r)
	})
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// routeOf is the request's route for logs: the path with any case id cut,
// though case ids carry nothing about the patient.
func routeOf(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	p := r.URL.Path
	if len(p) > 64 {
		p = p[:64]
	}
	return strings.ToValidUTF8(strings.Map(func(c rune) rune {
		if c < 0x20 || c == 0x7f {
			return '?'
		}
		return c
	}, p), "?")
}

type ctxKey struct{}

// staffOnly serves h to a live session only; a page request without one is
// sent to the login page, a script's request gets 401.
func (s *Server) staffOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		var sess cardauth.Session
		if err == nil {
			if r.Header.Get("X-Live") == "1" {
				// A refresh the page made by itself after a push: it must
				// not keep an idle session alive.
				sess, err = s.cfg.Login.Peek(c.Value)
			} else {
				sess, err = s.cfg.Login.Session(c.Value)
			}
		}
		if err != nil {
			if r.Method == http.MethodGet && r.Header.Get("X-Live") == "" {
				http.Redirect(w, r, "/login?ended=1", http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusUnauthorized, "err.session")
			return
		}
		ctx := context.WithValue(r.Context(), ctxKey{}, sess)
		h(w, r.WithContext(s.withServiceNames(ctx)))
	}
}

// withSession serves h with the request's session when it has a live
// one, and without one when not: for pages anyone may get (an address the
// UI does not have), which a member of staff then gets inside their
// session, with its menu and its lock.
func (s *Server) withSession(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil {
			if sess, err := s.cfg.Login.Session(c.Value); err == nil {
				r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess))
			}
		}
		h(w, r)
	}
}

func sessionOf(r *http.Request) cardauth.Session {
	s, _ := r.Context().Value(ctxKey{}).(cardauth.Session)
	return s
}

// page is what every template gets.
type page struct {
	L     lang
	Title string
	Staff *cardauth.Staff
	Nav   string // the current menu entry
	Unit  string
	Flash string
	Error string
	// Live is what the page's websocket watches for changes: "inbox",
	// "mine", "case:ID"; "" for nothing. Every page rendered for a session
	// (Staff set) opens the websocket whatever Live says: it is what locks
	// the page when the session ends.
	Live     string
	Data     any
	Bridge   string
	LangPath string
	// Sync is the sync's broken continuity, shown as a banner; nil: none.
	Sync *SyncState
	// Badge is the header's sync badge (syncstate.go); nil: none.
	Badge *badge
	// flashHere says the page shows its ?ok= flash itself, in its live
	// part (the case page's "sent" says whether the central store has it).
	flashHere bool
}

// render writes page name with status. A page rendered for a session
// (a request staffOnly or withSession passed with one) names its staff
// member, and the layout gives it the websocket and the lock screen: when
// the session ends, for whatever reason, the page's content is removed.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.L = langOf(r)
	if p.Title != "" {
		p.Title = p.L.T(p.Title)
	}
	p.Unit = s.cfg.UnitName
	p.LangPath = "/"
	if r.Method == http.MethodGet {
		p.LangPath = r.URL.RequestURI()
	}
	p.Bridge = s.cfg.Bridge
	if sess := sessionOf(r); sess.ID != "" {
		st := sess.Staff
		p.Staff = &st
	}
	p.Sync = s.syncBanner(p.Staff != nil)
	p.Badge = s.syncBadge(p.L, p.Staff != nil)
	if p.Flash == "" && !p.flashHere {
		if f := r.URL.Query().Get("ok"); f != "" && validFlash(f) {
			p.Flash = p.L.T("ok." + f)
			if n, err := strconv.Atoi(r.URL.Query().Get("n")); f == "moved" && err == nil && n >= 0 && n <= cases.MaxListLimit {
				p.Flash = p.L.T("moveAll.done", n) // how many, in words that follow the number
			}
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render page", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(bidi.NeutraliseHTML(buf.Bytes()))
}

// validFlash keeps flash keys to a known short set, so a URL cannot put
// arbitrary words on the page.
func validFlash(f string) bool {
	switch f {
	case "assigned", "reassigned", "taken-back", "handed-back", "sent", "closed", "moved", "saved", "initiated", "taken", "routed":
		return true
	}
	return isDiaryFlash(f)
}

// fail answers with an error: a page for a browser, JSON for a script.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, key string) {
	l := langOf(r)
	s.failMsg(w, r, status, l.T(key))
}

func (s *Server) failMsg(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"message": msg})
		return
	}
	s.render(w, r, status, "error", page{Title: "title.error", Error: msg})
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || r.Header.Get("X-Live") != ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// caseError answers for an error of the case service, in the staff
// member's language where the service has the words.
func (s *Server) caseError(w http.ResponseWriter, r *http.Request, err error) {
	status, key := http.StatusInternalServerError, "err.generic"
	switch {
	case errors.Is(err, cases.ErrNotFound):
		status, key = http.StatusNotFound, "err.notFound"
	case errors.Is(err, cases.ErrNotAllowed):
		status, key = http.StatusForbidden, "err.forbidden"
	case errors.Is(err, cases.ErrConflict):
		status, key = http.StatusConflict, "err.conflict"
	case errors.Is(err, cases.ErrIllegalTransition), errors.Is(err, cases.ErrInvalidCommand), errors.Is(err, cases.ErrInvalidInput):
		status, key = http.StatusBadRequest, "err.invalid"
	default:
		s.log.Error("case service failed", "err", err)
	}
	l := langOf(r)
	msg := l.T(key)
	var sv interface{ Swedish() string }
	if l.Code == "sv" && (status == http.StatusBadRequest || status == http.StatusForbidden) && errors.As(err, &sv) && sv.Swedish() != "" {
		msg = sv.Swedish() // the service's own words say what was wrong
	}
	s.failMsg(w, r, status, msg)
}

// randomToken is n random bytes, base64url.
func randomToken(rnd io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(rnd, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

// parsePages parses each page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := templateFS.ReadDir("templates")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(n.Name(), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/_*.html", "templates/"+n.Name())
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}
