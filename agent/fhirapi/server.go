package fhirapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

// Cases is what the API reads through: the case service, with the
// calling system as the actor, so that its rules and its access log
// apply as to staff.
type Cases interface {
	Get(ctx context.Context, actor cases.Actor, id cases.ID) (*cases.Case, error)
	List(ctx context.Context, actor cases.Actor, f cases.Filter) ([]*cases.Case, error)
	SearchPatient(ctx context.Context, actor cases.Actor, pnr personnummer.Personnummer) ([]*cases.Case, error)
}

var _ Cases = (*cases.Service)(nil)

// Forms are the unit's forms: Current for Questionnaire, Catalog (with
// its history) for reading a case's answers by the version of the service
// it was written on (catalog.Lookup).
type Forms interface {
	Current(ctx context.Context) (wire.FormSet, error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
}

// Systems finds an integration system in the staff directory in use (it
// changes as the file is reloaded).
type Systems interface {
	System(hsaID string) (directory.System, bool)
}

// Clock is the time and the change feed's timers, injected.
type Clock = clock.Clock

// Config is what New needs.
type Config struct {
	Cases Cases
	Forms Forms // nil: no Questionnaire
	// Systems returns the directory in use, or nil while there is none.
	Systems func() Systems
	// FunctionCAs issue the systems' certificates: a certificate whose
	// chain goes through another CA (a person's card) is refused.
	FunctionCAs []*x509.Certificate
	// Revocation checks each request's certificate (revocation.go).
	Revocation    Revocation
	RatePerMinute int // per system; at least 1
	Clock         Clock
	Logger        *slog.Logger
	// Diary, when not nil, is the booking diary: Schedule, Slot and
	// Appointment (appointment.go, book.go), with DiaryLog its access log
	// and Unit the care unit's HSA-ID for it. IDKey keys the Schedule ids
	// (diary.go): keep it, or the ids change; nil: a key of this process.
	Diary    Diary
	DiaryLog DiaryLog
	Unit     string
	IDKey    []byte
}

// Server is the integration API's HTTP handler.
type Server struct {
	cfg    Config
	writes Writes // cfg.Cases's, when it takes writes (the case service does)
	idKey  []byte
	limit  *limiter
	feed   *feed
	mux    *http.ServeMux
}

// maxBody bounds a request body (a _search form).
const maxBody = 64 << 10

// New checks cfg and returns the API.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Cases == nil, cfg.Systems == nil, cfg.Clock == nil, cfg.Logger == nil:
		return nil, errors.New("fhirapi: cases, systems, clock and logger are required")
	case cfg.Revocation == nil:
		return nil, errors.New("fhirapi: no revocation check: every certificate would be taken as not revoked")
	case len(cfg.FunctionCAs) == 0:
		return nil, errors.New("fhirapi: no function CA: every system would be refused")
	case cfg.RatePerMinute < 1:
		return nil, errors.New("fhirapi: the rate per minute must be at least 1")
	}
	if cfg.Diary != nil && (cfg.DiaryLog == nil || cfg.Unit == "") {
		return nil, errors.New("fhirapi: a diary needs its access log and the unit")
	}
	s := &Server{cfg: cfg, idKey: cfg.IDKey, limit: newLimiter(cfg.RatePerMinute), feed: newFeed(), mux: http.NewServeMux()}
	s.writes, _ = cfg.Cases.(Writes)
	if len(s.idKey) == 0 {
		s.idKey = make([]byte, 32)
		_, _ = rand.Read(s.idKey)
	}
	s.mux.HandleFunc("GET /metadata", s.metadata)
	s.mux.Handle("GET /Task", s.system(directory.ReadCases, s.searchTasks))
	s.mux.Handle("POST /Task/_search", s.system(directory.ReadCases, s.searchTasks))
	s.mux.Handle("GET /Task/_changes", s.system(directory.ReadCases, s.changes))
	s.mux.Handle("GET /Task/{id}", s.system(directory.ReadCases, s.readTask))
	s.mux.Handle("GET /Patient/{id}", s.system(directory.ReadCases, s.readPatient))
	s.mux.Handle("GET /QuestionnaireResponse/{id}", s.system(directory.ReadCases, s.readResponse))
	s.mux.Handle("GET /Questionnaire/{id}", s.system(directory.ReadCases, s.readQuestionnaire))
	s.mux.Handle("GET /Communication/{id}", s.system(directory.ReadCases, s.readCommunication))
	s.mux.Handle("GET /Communication", s.system(directory.ReadCases, s.searchCommunications))
	s.mux.Handle("POST /Communication/_search", s.system(directory.ReadCases, s.searchCommunications))
	s.mux.Handle("POST /Communication", s.system(directory.WriteMessages, s.postCommunication)) // communication.go
	s.mux.Handle("PATCH /Task/{id}", s.system(directory.WriteMessages, s.patchTask))            // taskwrite.go
	s.bookingRoutes()                                                                           // appointment.go
	return s, nil
}

// ServeHTTP serves the API; an unknown path or method is a 404 or 405
// OperationOutcome.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// ServeMux would answer in text: say it in FHIR.
		rec := &probe{}
		s.mux.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.allow)
			fail(w, http.StatusMethodNotAllowed, "not-supported", "this method is not supported here; /metadata lists what is")
			return
		}
		fail(w, http.StatusNotFound, "not-supported", "no such resource type or operation; /metadata lists what is supported")
		return
	}
	s.mux.ServeHTTP(w, r)
}

// probe records what ServeMux would answer to an unmatched request.
type probe struct {
	h      http.Header
	status int
	allow  string
}

func (p *probe) Header() http.Header {
	if p.h == nil {
		p.h = http.Header{}
	}
	return p.h
}
func (p *probe) Write(b []byte) (int, error) { return len(b), nil }
func (p *probe) WriteHeader(status int)      { p.status, p.allow = status, p.Header().Get("Allow") }

func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.capabilityStatement())
}

// caller is the system making a request.
type caller struct {
	sys   directory.System
	actor cases.Actor
}

// system admits a request only from a system with permission p: a
// verified SITHS function certificate whose HSA-ID is in the directory's
// systems section with p, within its rate. Every refusal is an
// OperationOutcome and a log record (HSA-ID, never the URL: it may hold
// what a caller should not have put there).
func (s *Server) system(p directory.Permission, h func(http.ResponseWriter, *http.Request, caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log := s.cfg.Logger
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) < 2 {
			log.Warn("api request refused: no client certificate")
			fail(w, http.StatusUnauthorized, "login", "no client certificate: call with the system's SITHS function certificate (mutual TLS)")
			return
		}
		chain := s.functionChain(r.TLS.VerifiedChains)
		if chain == nil {
			log.Warn("api request refused: not a function certificate")
			fail(w, http.StatusForbidden, "security", "the certificate is not a SITHS function certificate (a person's card cannot call the API): use the system's function certificate")
			return
		}
		id, err := tlsconf.HSAID(chain[0])
		if err != nil {
			log.Warn("api request refused: no HSA-ID in the certificate")
			fail(w, http.StatusForbidden, "security", "the certificate names no HSA-ID: use the system's SITHS function certificate")
			return
		}
		var sys directory.System
		ok := false
		if d := s.cfg.Systems(); d != nil {
			sys, ok = d.System(id)
		}
		if !ok {
			log.Warn("api request refused: system not in the directory", "system", id)
			fail(w, http.StatusForbidden, "security", "this system is not in the unit's directory: ask the unit's administrator to add its HSA-ID to the systems section")
			return
		}
		if ok, wait := s.limit.allow(id, s.cfg.Clock.Now()); !ok {
			log.Warn("api request refused: rate limit", "system", id)
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			fail(w, http.StatusTooManyRequests, "throttled", "too many requests from this system: wait as Retry-After says, then go on")
			return
		}
		if s.revoked(w, r, id, chain[:len(chain)-1]) {
			return
		}
		if !sys.Allows(p) {
			log.Warn("api request refused: permission", "system", id, "permission", string(p))
			fail(w, http.StatusForbidden, "forbidden", fmt.Sprintf("this system may not %s: ask the unit's administrator to give it %q in the directory", p, p))
			return
		}
		if patientInQuery(r.URL.RawQuery) {
			log.Warn("api request refused: patient identifier in the URL", "system", id)
			fail(w, http.StatusBadRequest, "security", "a patient identifier may not be sent in a URL (it would be logged on the way): send the search as POST [type]/_search with a form body")
			return
		}
		h(w, r, caller{sys: sys, actor: cases.IntegrationActor(id)})
	})
}

// functionChain is the verified chain whose issuing CA (the leaf's
// issuer) is one of the function CAs, nil if none is: a certificate from
// another CA under the same root (a person's card) has none.
func (s *Server) functionChain(chains [][]*x509.Certificate) []*x509.Certificate {
	for _, chain := range chains {
		if len(chain) < 2 {
			continue
		}
		for _, f := range s.cfg.FunctionCAs {
			if bytes.Equal(f.Raw, chain[1].Raw) {
				return chain
			}
		}
	}
	return nil
}

// caseError answers an error of the case service.
func (s *Server) caseError(w http.ResponseWriter, err error) {
	var verr *cases.ValidationError
	switch {
	case errors.Is(err, cases.ErrNotFound):
		fail(w, http.StatusNotFound, "not-found", "no such resource at this care unit")
	case errors.Is(err, cases.ErrNotAllowed):
		fail(w, http.StatusForbidden, "forbidden", "this system may not read it")
	case errors.As(err, &verr):
		fail(w, http.StatusBadRequest, "invalid", "a search value is not valid: see /metadata for each parameter's form")
	case errors.Is(err, context.Canceled):
		fail(w, http.StatusServiceUnavailable, "transient", "the gateway is stopping: try again shortly")
	default:
		s.cfg.Logger.Error("api request failed", "err", err)
		fail(w, http.StatusInternalServerError, "exception", "the gateway could not read the store: try again; if it persists, tell region IT")
	}
}

// getCase reads case id for c.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request, c caller, id string) (*cases.Case, bool) {
	got, err := s.cfg.Cases.Get(r.Context(), c.actor, cases.ID(id))
	if err != nil {
		s.caseError(w, err)
		return nil, false
	}
	return got, true
}

func (s *Server) readTask(w http.ResponseWriter, r *http.Request, c caller) {
	if got, ok := s.getCase(w, r, c, r.PathValue("id")); ok {
		setVersion(w, got.Version)
		writeJSON(w, http.StatusOK, taskOf(got))
	}
}

func (s *Server) readPatient(w http.ResponseWriter, r *http.Request, c caller) {
	if got, ok := s.getCase(w, r, c, r.PathValue("id")); ok {
		writeJSON(w, http.StatusOK, patientOf(got))
	}
}

func (s *Server) readResponse(w http.ResponseWriter, r *http.Request, c caller) {
	got, ok := s.getCase(w, r, c, r.PathValue("id"))
	if !ok {
		return
	}
	if len(got.Fields) == 0 {
		fail(w, http.StatusNotFound, "not-found", "this case has no form answers")
		return
	}
	writeJSON(w, http.StatusOK, responseOf(got, s.caseForm(r.Context(), got)))
}

// caseForm is the form of the service version case c was written on
// (the current one for a case from before versions), or nil.
func (s *Server) caseForm(ctx context.Context, c *cases.Case) *wire.Form {
	if s.cfg.Forms == nil {
		return nil
	}
	cat, err := s.cfg.Forms.Catalog(ctx)
	if err != nil {
		s.cfg.Logger.Warn("api: catalogue not read", "err", err)
		return nil
	}
	x, ok := cat.Lookup(string(c.Type), c.ServiceVersion)
	if !ok {
		return nil
	}
	f := x.Form()
	return &f
}

// form is the unit's form id, or nil.
func (s *Server) form(ctx context.Context, id string) *wire.Form {
	if s.cfg.Forms == nil {
		return nil
	}
	set, err := s.cfg.Forms.Current(ctx)
	if err != nil {
		s.cfg.Logger.Warn("api: forms not read", "err", err)
		return nil
	}
	for i := range set.Forms {
		if set.Forms[i].ID == id {
			return &set.Forms[i]
		}
	}
	return nil
}

func (s *Server) readQuestionnaire(w http.ResponseWriter, r *http.Request, c caller) {
	f := s.form(r.Context(), r.PathValue("id"))
	if f == nil {
		fail(w, http.StatusNotFound, "not-found", "the unit has no form for this service")
		return
	}
	writeJSON(w, http.StatusOK, questionnaireOf(f))
}

func (s *Server) readCommunication(w http.ResponseWriter, r *http.Request, c caller) {
	caseID, n, ok := splitCommunicationID(r.PathValue("id"))
	if !ok {
		fail(w, http.StatusNotFound, "not-found", "no such Communication: its id is the case's id, a dash and the message's number")
		return
	}
	got, ok := s.getCase(w, r, c, caseID)
	if !ok {
		return
	}
	if n >= len(got.Messages) {
		fail(w, http.StatusNotFound, "not-found", "the case has no such message")
		return
	}
	writeJSON(w, http.StatusOK, communicationOf(got, n))
}

// splitCommunicationID splits "caseid-n".
func splitCommunicationID(id string) (string, int, bool) {
	for i := len(id) - 1; i > 0; i-- {
		if id[i] == '-' {
			n, err := strconv.Atoi(id[i+1:])
			if err != nil || n < 0 || n > 100000 || strconv.Itoa(n) != id[i+1:] {
				return "", 0, false
			}
			return id[:i], n, true
		}
	}
	return "", 0, false
}
