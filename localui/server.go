package localui

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/cardauth"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/personnummer"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Cases is the case service as the UI uses it (agent/cases.Service).
type Cases interface {
	Get(ctx context.Context, actor cases.Actor, id cases.ID) (*cases.Case, error)
	Authorize(ctx context.Context, actor cases.Actor, id cases.ID) error
	Do(ctx context.Context, actor cases.Actor, id cases.ID, cmd cases.Command) (*cases.Case, error)
	// DoWithin is Do inside a transaction run opens (diarycase.go).
	DoWithin(ctx context.Context, actor cases.Actor, id cases.ID, cmd cases.Command, run func(body func(cases.Tx) error) error) (*cases.Case, error)
	List(ctx context.Context, actor cases.Actor, f cases.Filter) ([]*cases.Case, error)
	Stats(ctx context.Context, actor cases.Actor, from, to time.Time) (cases.Stats, error)
	AccessLogPageByPatient(ctx context.Context, actor cases.Actor, pnr personnummer.Personnummer, before uint64) (cases.AccessLogPage, error)
	AccessLogPageByActor(ctx context.Context, actor cases.Actor, hsaID string, before uint64) (cases.AccessLogPage, error)
	NewCaseID() (cases.ID, error)
	Initiate(ctx context.Context, actor cases.Actor, req cases.InitiateRequest) (*cases.Case, error)
	// QuarantineCount is how many central events wait in the quarantine:
	// cases the central store accepted that this gateway could not take.
	QuarantineCount(ctx context.Context) (int, error)
	// InboxCounts and SearchPatient are the inbox's counts and its
	// search by patient (counts.go, inboxactions.go).
	InboxCounts(ctx context.Context, actor cases.Actor) (cases.InboxCounts, error)
	SearchPatient(ctx context.Context, actor cases.Actor, pnr personnummer.Personnummer) ([]*cases.Case, error)
	// Unsent reports which of the given staff messages (by id) the
	// central store has not confirmed yet: they wait in the outbox.
	Unsent(ctx context.Context, ids []string) (map[string]bool, error)
	// Queue is a page of a staff group's queue (queue.go).
	Queue(ctx context.Context, actor cases.Actor, group string, after cases.ID, limit int) ([]*cases.Case, error)
}

// Login is staff login by card as the UI uses it (cardauth.Authenticator).
type Login interface {
	Challenge(binding string) (nonce string, expires time.Time, err error)
	Login(ctx context.Context, binding string, token []byte, previous string) (cardauth.Session, error)
	Session(id string) (cardauth.Session, error)
	Peek(id string) (cardauth.Session, error)
	Logout(id string)
	PresenceTicket(id string) (string, error)
}

// Member is a member of staff as the UI lists them.
type Member struct {
	HSAID   string
	Name    string
	Title   string
	OnLeave bool // on leave now: listed and marked, not left out
	// LeaveUntil is the last day of that leave (its first instant in
	// Swedish time); zero when not on leave.
	LeaveUntil time.Time
}

// Directory is the staff directory as the UI uses it (agent/directory).
type Directory interface {
	// Clinicians are the unit's clinicians at now, in name order.
	Clinicians(now time.Time) []Member
	// Name is the name of hsaID, or "" if the directory does not know them.
	Name(hsaID string) string
}

// Settings keeps the UI's settings sealed in the store: personal
// preferences and the unit's standard answers and contact details. Get
// returns nil and no error for a key never set.
type Settings interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
}

// NoticeState is a notice still waiting to be delivered, as the unit
// administrator sees it: never its recipient or text.
type NoticeState struct {
	Kind      string // "new-cases", "assigned" or "overdue"
	Channel   string // "email" or "sms"
	Attempts  int    // failed so far
	NextAt    time.Time
	LastError string // why the last attempt failed
}

// ArchiveState is the archive export's state, as the unit settings page
// shows it.
type ArchiveState struct {
	NextAt       time.Time // the next daily run
	Running      bool
	Done, Total  int // cases exported so far and in all, while running
	LastAt       time.Time
	LastCases    int
	LastPackages int
	LastError    string // why the last run failed; "" if it did not
}

// ConfigState says whether the gateway's configuration file on disk is
// the one in use, for the unit settings page.
type ConfigState struct {
	File string // the configuration file
	// Error is why the file on disk was refused ("FILE:LINE: KEY: what is
	// expected"); the configuration read before stays. "" when none.
	Error string
	// ReloadedAt is when a changed file was last taken up; zero if never
	// since the start.
	ReloadedAt time.Time
	// Restart lists keys changed in the file that apply at the next start.
	Restart []string
}

// AuditChecker verifies the access log's hash chain for the auditor's page:
// what was logged since the last check, and the records in the log.
type AuditChecker func(ctx context.Context) (records int, err error)

// AuditFullCheck is the last check of the whole access log (the nightly
// job's or `clinicgw audit verify`'s).
type AuditFullCheck struct {
	At      time.Time
	Entries int
	Broken  string // empty: the whole log verified
}

// AuditLastFull returns the last whole check of the access log, and false
// if there was none.
type AuditLastFull func(ctx context.Context) (AuditFullCheck, bool, error)

// Config is what the UI needs. Origin, Cases, Login, Directory and
// Settings are required.
type Config struct {
	// Origin is the UI's origin as browsers see it, https://host[:port]:
	// state-changing requests and websockets from any other are refused.
	Origin string
	// Bridge is the workstations' card bridge, http://127.0.0.1:PORT
	// (cardauth/bridge.DefaultAddr unless configured).
	Bridge    string
	Unit      string // the care unit's HSA-ID
	UnitName  string // as staff know it
	Cases     Cases
	Login     Login
	Directory Directory
	Settings  Settings
	// Notices lists the notices waiting to be delivered, for the unit
	// settings page; nil when [notify] is not configured.
	Notices func(ctx context.Context) ([]NoticeState, error)
	// Archive tells the archive export's state, for the unit settings
	// page; nil when [archive] is not configured.
	Archive func(ctx context.Context) (ArchiveState, error)
	// Forms keeps the unit's forms for the form designer; nil: no
	// designer (its pages are 404).
	Forms FormStore
	// Contact keeps the unit's contact details for its patients
	// (contact.go); nil: no contact page (404).
	Contact ContactStore
	// Services keeps the unit's catalogue of services for the service
	// designer (/admin/services), and names the services on every staff
	// page; nil: the built-in case types and names, and no service
	// designer (its pages are 404).
	Services ServiceBook
	// Groups are the unit's staff groups and their queues (queue.go,
	// groupsadmin.go); nil: none (their pages are 404).
	Groups Groups
	// Diary is the unit's booking diary (diary.go, diaryadmin.go) and
	// DiaryLog writes its access-log entries; nil: no diary pages (404).
	Diary    Diary
	DiaryLog func(ctx context.Context, e audit.Entry) error
	// Config reports the configuration file's reload state for the unit
	// settings page; nil: not shown.
	Config func() ConfigState
	// Sync reports the sync's continuity with the central store, shown on
	// every page of a session when it is broken (syncstate.go); nil: the
	// gateway runs offline, nothing shown.
	Sync  func() SyncState
	Audit AuditChecker // nil: the auditor's page shows no chain status
	// AuditFull tells the auditor's page the last whole check; nil: not shown.
	AuditFull AuditLastFull
	Clock     clock.Clock // the system clock if nil
	Rand      io.Reader   // crypto/rand if nil
	Logger    *slog.Logger
}

// Server is the UI: Handler serves it; Notify tells open pages that cases
// changed.
type Server struct {
	cfg   Config
	log   *slog.Logger
	clock clock.Clock
	pages map[string]*template.Template
	hub   *hub
	csp   string
	rows  rowCache // the lists' rendered rows (rowcache.go)
}

// New checks cfg, parses the templates and returns the UI.
func New(cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.Origin)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("localui: origin %q: expected https://host[:port] and nothing more", cfg.Origin)
	}
	if err := CheckBridge(cfg.Bridge); err != nil {
		return nil, fmt.Errorf("localui: %w", err)
	}
	if cfg.Cases == nil || cfg.Login == nil || cfg.Directory == nil || cfg.Settings == nil {
		return nil, errors.New("localui: the case service, login, directory and settings are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, clock: cfg.Clock, pages: pages,
		csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src 'self' " + cfg.Bridge + "; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	}
	s.hub = newHub(s)
	s.watchDiary() // diarylive.go
	return s, nil
}

// Shutdown is the UI's part of a stop, after the HTTP server it is served
// by has stopped accepting (http.Server.Shutdown, which waits for the
// other requests under way but not for websockets, which it no longer
// sees): every page's websocket is closed with 1001, going away, new ones
// are refused, and Shutdown returns when their handlers have returned, or
// with an error when ctx ends first (then close the connections, and call
// it again to wait).
func (s *Server) Shutdown(ctx context.Context) error { return s.hub.shutdown(ctx) }

// Notify tells the open pages what cases were created or changed (the
// case service's OnChange). It does not block.
func (s *Server) Notify(ch cases.Change) { s.hub.notify(ch) }

// route is one entry of the UI's route table: a ServeMux pattern (Go 1.22
// syntax, method first) and what serves it.
type route struct {
	pattern string
	handler http.HandlerFunc
}

// routes is the UI's route table: Handler serves exactly these, and the
// tests walk every GET pattern in it, so a page added here is tested
// without anyone adding it to a list.
func (s *Server) routes() []route {
	return []route{
		{"GET /static/", s.serveStatic},
		{"GET /{$}", s.home},
		{"GET /login", s.loginPage},
		{"POST /login/challenge", s.loginChallenge},
		{"POST /login", s.loginFinish},
		{"POST /logout", s.logout},
		{"POST /lang", s.setLang},
		{"GET /ws", s.serveWS},

		{"GET /inbox", s.staffOnly(s.inbox)},
		{"POST /inbox/move-all", s.staffOnly(s.moveAll)},
		{"POST /inbox/search", s.staffOnly(s.inboxSearch)}, // inboxactions.go
		{"POST /inbox/assign", s.staffOnly(s.bulkAssign)},
		{"POST /inbox/route", s.staffOnly(s.bulkRoute)},
		{"GET /mine", s.staffOnly(s.mine)},
		{"GET /cases/new", s.staffOnly(s.newCasePage)},
		{"POST /cases/new", s.staffOnly(s.newCase)},
		{"GET /cases/{id}", s.staffOnly(s.casePage)},
		{"POST /cases/{id}/{action}", s.staffOnly(s.caseAction)},
		{"GET /settings", s.staffOnly(s.settingsPage)},
		{"POST /settings", s.staffOnly(s.saveSettings)},
		{"GET /admin/unit", s.staffOnly(s.unitPage)},
		{"POST /admin/unit", s.staffOnly(s.saveUnit)},
		{"GET /admin/contact", s.staffOnly(s.contactPage)},
		{"POST /admin/contact", s.staffOnly(s.saveContact)},
		{"GET /admin/stats", s.staffOnly(s.statsPage)},
		{"GET /admin/stats.csv", s.staffOnly(s.statsCSV)},
		{"GET /admin/services", s.servicesAdmin(s.servicesList)},
		{"GET /admin/services/export", s.servicesAdmin(s.servicesExport)},
		{"POST /admin/services/import", s.servicesAdmin(s.servicesImport)},
		{"POST /admin/services/new", s.servicesAdmin(s.serviceNew)},
		{"POST /admin/services/{id}/{action}", s.servicesAdmin(s.serviceAction)},
		{"GET /admin/forms", s.formsAdmin(s.formsList)},
		{"GET /admin/forms/export", s.formsAdmin(s.formsExport)},
		{"POST /admin/forms/import", s.formsAdmin(s.formsImport)},
		{"POST /admin/forms/import/apply", s.formsAdmin(s.formsImportApply)},
		{"GET /admin/forms/{id}", s.formsAdmin(s.formEditor)},
		{"POST /admin/forms/{id}", s.formsAdmin(s.formEdit)},
		{"GET /queue", s.staffOnly(s.queues)},
		{"GET /queue/{group}", s.staffOnly(s.queuePage)},
		{"POST /cases/{id}/take", s.staffOnly(s.takeCase)},
		{"POST /cases/{id}/route", s.staffOnly(s.routeCase)},
		{"GET /admin/groups", s.groupsAdmin(s.groupsPage)},
		{"POST /admin/groups", s.groupsAdmin(s.saveGroups)},
		{"GET /diary", s.diaryStaff(s.diaryPage)}, // diary.go
		{"POST /diary/{action}", s.diaryStaff(s.diaryAction)},
		{"GET /admin/diary", s.diaryAdmin(s.diaryAdminPage)}, // diaryadmin.go
		{"POST /admin/diary", s.diaryAdmin(s.saveDiaryAdmin)},
		{"GET /diary/case/{id}", s.diaryStaff(s.diaryCasePage)}, // diarycase.go
		{"POST /diary/case/{id}", s.diaryStaff(s.bookFromCase)},
		{"GET /admin/diary/stats", s.diaryAdmin(s.diaryStatsPage)}, // diarystats.go
		{"GET /admin/diary/stats.csv", s.diaryAdmin(s.diaryStatsCSV)},
		{"GET /audit", s.staffOnly(s.auditPage)},
		{"POST /audit", s.staffOnly(s.auditSearch)},

		// Addresses the UI does not have get a page in the person's
		// language (not Go's bare text), and an action by GET is refused,
		// not shown.
		{"GET /", s.withSession(s.notFound)},
		{"GET /cases/{id}/{action}", s.withSession(s.actionByGet)},
	}
}

// Handler serves the UI.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	return s.secure(compress(mux))
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) { s.hub.serve(w, r) }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
}

func (s *Server) actionByGet(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", http.MethodPost)
	s.fail(w, r, http.StatusMethodNotAllowed, "err.methodNotAllowed")
}

// CheckBridge checks the card bridge's address as the login page will call
// it: http on a loopback host, with a port and nothing more.
func CheckBridge(bridge string) error {
	b, err := url.Parse(bridge)
	if err != nil || b.Scheme != "http" || b.Path != "" || b.RawQuery != "" || b.User != nil {
		return fmt.Errorf("bridge %q: expected http://127.0.0.1:PORT", bridge)
	}
	if h := b.Hostname(); h != "127.0.0.1" && h != "::1" && h != "localhost" {
		return fmt.Errorf("bridge %q: the bridge listens on loopback only (127.0.0.1)", bridge)
	}
	return nil
}
