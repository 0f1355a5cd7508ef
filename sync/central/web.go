package central

import (
	"embed"
	"encoding/hex"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/workday"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// The patient session cookie: __Host- binds it to this origin, path /,
// Secure. Its value is a random 128-bit id, held only in memory.
const sessionCookie = "__Host-patient"

// Session lifetimes.
const (
	sessionIdle     = 15 * time.Minute
	sessionAbsolute = 12 * time.Hour
)

// maxFormBytes bounds a posted patient form.
const maxFormBytes = 256 << 10

// contentSecurityPolicy forbids every script, inline style and framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; " +
	"connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// session is a logged-in person.
type session struct {
	pnr      string // 12 digits, from personnummer.Parse
	name     string
	created  time.Time
	lastSeen time.Time
}

// web is the state of the patient pages: sessions and which staff messages
// each person has seen, both in memory only (a restart logs everyone out;
// GETs never write the database).
type web struct {
	s     *Store
	pages map[string]*template.Template

	mu       sync.Mutex
	sessions map[string]*session
	seen     map[string]map[string]int // pnr → case id → staff messages seen
}

func newWeb(s *Store) *web {
	w := &web{s: s, pages: make(map[string]*template.Template),
		sessions: make(map[string]*session), seen: make(map[string]map[string]int)}
	funcs := template.FuncMap{
		"statusText": StatusText,
		"when": func(t time.Time) string {
			return t.In(workday.Stockholm()).Format("2006-01-02 15:04")
		},
		"kindText": func(k wire.OutboxKind) string { return labels.PatientMessage(k, "sv") },
		// t is the catalogue's Swedish text for a key (central.page.*):
		// every word of the templates comes from sync/i18n.
		"t": swedish,
	}
	for _, name := range []string{"login", "start", "units", "forms", "form", "case", "error", "booking", "reminders", "account"} {
		w.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).
			ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return w
}

// PatientHandler returns the handler of the patient pages. Serve it over
// HTTPS (tlsconf.ServerNoClientCert): the session cookie is Secure.
func (s *Store) PatientHandler() http.Handler {
	w := s.web
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", w.authed(w.start))
	mux.HandleFunc("GET /logga-in", w.loginPage)
	mux.HandleFunc("POST /logga-in", w.login)
	mux.HandleFunc("POST /logga-ut", w.logout)
	mux.HandleFunc("GET /skriv", w.authed(w.units))
	mux.HandleFunc("GET /skriv/{unit}", w.authed(w.forms))
	mux.HandleFunc("GET /skriv/{unit}/{form}", w.authed(w.formPage))
	mux.HandleFunc("POST /skriv/{unit}/{form}", w.authed(w.submit))
	mux.HandleFunc("GET /arenden/{id}", w.authed(w.casePage))
	mux.HandleFunc("POST /arenden/{id}/svar", w.authed(w.followUp))
	mux.HandleFunc("POST /arenden/{id}/aterkalla", w.authed(w.withdraw))
	mux.HandleFunc("GET /boka/{unit}", w.authed(w.bookingPage))
	mux.HandleFunc("GET /boka/{unit}/tid/{id}", w.authed(w.bookingConfirm))
	mux.HandleFunc("POST /boka/{unit}/tid/{id}", w.authed(w.bookingRequest))
	mux.HandleFunc("POST /boka/{unit}/avboka/{id}", w.authed(w.bookingCancel))
	mux.HandleFunc("GET /boka/{unit}/begaran/{req}", w.authed(w.bookingRequestPage))
	mux.HandleFunc("GET /boka/{unit}/paminnelser", w.authed(w.reminderPage))
	mux.HandleFunc("POST /boka/{unit}/paminnelser", w.authed(w.saveReminder))
	mux.HandleFunc("GET /konto", w.authed(w.accountPage))
	mux.HandleFunc("POST /konto/radera", w.authed(w.deleteAccount))
	mux.HandleFunc("GET /static/{file}", w.static)
	mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.err.pageNotFound"))
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin request refused", "method", r.Method)
		w.errorPage(rw, r, http.StatusForbidden, swedish("central.err.crossOrigin"))
	}))
	return securityHeaders(w.requireOrigin(cop.Handler(mux)))
}

// static serves a file of the embedded static folder; anything else is
// the ordinary 404 page (no listings, the same headers).
func (w *web) static(rw http.ResponseWriter, r *http.Request) {
	name := "static/" + r.PathValue("file")
	if fi, err := fs.Stat(staticFS, name); err != nil || !fi.Mode().IsRegular() {
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.err.pageNotFound"))
		return
	}
	http.ServeFileFS(rw, r, staticFS, name)
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		next.ServeHTTP(rw, r)
	})
}

// requireOrigin refuses a state-changing request that carries neither
// Origin nor Sec-Fetch-Site: every browser sends one of them on a POST,
// so their absence means a request CrossOriginProtection cannot judge.
// CrossOriginProtection then checks the ones that carry them.
func (w *web) requireOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") == "" {
				w.s.log.Warn("request without origin refused", "method", r.Method)
				w.errorPage(rw, r, http.StatusForbidden, swedish("central.err.noOrigin"))
				return
			}
		}
		next.ServeHTTP(rw, r)
	})
}

// current returns the request's live session, refreshing its idle timer.
func (w *web) current(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 32 {
		return "", nil
	}
	now := w.s.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	sess := w.sessions[c.Value]
	if sess == nil {
		return "", nil
	}
	if now.Sub(sess.lastSeen) > sessionIdle || now.Sub(sess.created) > sessionAbsolute {
		delete(w.sessions, c.Value)
		return "", nil
	}
	sess.lastSeen = now
	cp := *sess
	return c.Value, &cp
}

// newSession starts a session, ending old (the one the browser had, if
// any) so a login always gets a fresh id.
func (w *web) newSession(old, pnr, name string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(w.s.rand, b[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b[:])
	now := w.s.clock.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.sessions, old)
	for k, sess := range w.sessions { // sweep expired sessions
		if now.Sub(sess.lastSeen) > sessionIdle || now.Sub(sess.created) > sessionAbsolute {
			delete(w.sessions, k)
		}
	}
	w.sessions[id] = &session{pnr: pnr, name: name, created: now, lastSeen: now}
	return id, nil
}

func (w *web) endSession(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.sessions, id)
}

func setSessionCookie(rw http.ResponseWriter, id string, maxAge int) {
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// authed runs h for a logged-in person; others go to the login page.
func (w *web) authed(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		_, sess := w.current(r)
		if sess == nil {
			http.Redirect(rw, r, "/logga-in", http.StatusSeeOther)
			return
		}
		h(rw, r, sess)
	}
}

// markSeen records that pnr has seen n staff messages in a case.
func (w *web) markSeen(pnr, caseID string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[pnr] == nil {
		w.seen[pnr] = make(map[string]int)
	}
	if n > w.seen[pnr][caseID] {
		w.seen[pnr][caseID] = n
	}
}

// unseen reports whether a case has staff messages pnr has not seen.
func (w *web) unseen(pnr string, c PatientCase) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return c.StaffMessages() > w.seen[pnr][c.ID]
}
