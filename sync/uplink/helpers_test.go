package uplink

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// The care unit under test, and one the central store does not serve.
const (
	unit      = "SE2321000016-15ZM"
	otherUnit = "SE2321000016-99XX"
)

// Staff of the unit.
var (
	distributor = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	clinician   = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-C001", Roles: []cases.Role{cases.Clinician}}
	auditor     = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-G001", Roles: []cases.Role{cases.Auditor}}
	system      = cases.Actor{Kind: cases.System}
)

// Synthetic patients (test serials 980–999). The name and the texts are
// canaries that must never reach a log.
var (
	patients = func() []string {
		var p []string
		for s := 981; s <= 990; s++ {
			p = append(p, string(personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), s)))
		}
		return p
	}()
	patientName = "Tolvan Kanariesson"
	caseText    = "Kanarietext: ont i halsen sedan i tisdags"
	answerText  = "Kanariesvar: drick varmt te"
	signature   = "Doris Doktor, leg. läkare"
	authorTitle = "Läkare"
)

// pkiEnv names the parent's PKI folder for a kill test's child process.
const pkiEnv = "CLINICGW_UPLINK_PKI"

// testPKI is one development PKI for the package; a child process of a
// kill test loads its parent's from the folder in pkiEnv.
var testPKI = sync.OnceValue(func() *devpki.PKI {
	if dir := os.Getenv(pkiEnv); dir != "" {
		p, err := devpki.Load(dir, nil, time.Now())
		if err != nil {
			panic(err)
		}
		return p
	}
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		panic(err)
	}
	return p
})

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// checkNoPatientData fails if logs hold a name, a personnummer or a text.
func checkNoPatientData(t testing.TB, what, logs string) {
	t.Helper()
	if logs == "" {
		t.Errorf("%s logged nothing; the canary check proves nothing", what)
	}
	canaries := []string{patientName, caseText, answerText, signature, "Kanarie"}
	for _, p := range patients {
		canaries = append(canaries, p, p[2:])
	}
	for _, c := range canaries {
		if strings.Contains(logs, c) {
			t.Errorf("%s logs contain patient data %q", what, c)
		}
	}
}

// centralSrv is the reference central store served over mutual TLS on a
// fixed loopback address, so that it can be restarted where it was.
type centralSrv struct {
	t        testing.TB
	path     string
	notifier *central.MemNotifier
	logs     *logtest.Buffer
	addr     string
	clock    clock.Clock // nil: the system clock
	// wrap, when not nil, wraps the API handler: a test plays a central
	// store of another release with it.
	wrap func(http.Handler) http.Handler
	// wrapLn, when not nil, wraps the API's listener: a test counts what
	// the central store sends with it.
	wrapLn func(net.Listener) net.Listener

	mu    sync.RWMutex // held for writing while restarting
	store *central.Store
	srv   *httptest.Server
}

func startCentral(t testing.TB) *centralSrv {
	t.Helper()
	return startCentralAt(t, filepath.Join(t.TempDir(), "central.db"), "127.0.0.1:0")
}

// startCentralAt serves the central store in the file at path on addr.
func startCentralAt(t testing.TB, path, addr string) *centralSrv {
	t.Helper()
	return startCentralClock(t, path, addr, nil)
}

// startCentralClock serves the central store in the file at path on addr,
// telling time by clock (the system clock if nil).
func startCentralClock(t testing.TB, path, addr string, clock clock.Clock) *centralSrv {
	t.Helper()
	c := &centralSrv{t: t, path: path, notifier: &central.MemNotifier{}, logs: &logtest.Buffer{}, clock: clock}
	c.open(addr)
	t.Cleanup(c.close)
	return c
}

// startCentralWrapped serves a central store on a free loopback port
// with its API handler wrapped by wrap.
func startCentralWrapped(t testing.TB, wrap func(http.Handler) http.Handler) *centralSrv {
	t.Helper()
	c := &centralSrv{t: t, path: filepath.Join(t.TempDir(), "central.db"), notifier: &central.MemNotifier{}, logs: &logtest.Buffer{}, wrap: wrap}
	c.open("127.0.0.1:0")
	t.Cleanup(c.close)
	return c
}

func (c *centralSrv) open(addr string) { c.openThen(addr, nil) }

// openThen opens the store, runs before (if not nil) with the store open
// and its API not yet served, then serves the API on addr.
func (c *centralSrv) openThen(addr string, before func()) {
	t := c.t
	t.Helper()
	st, err := central.Open(context.Background(), c.path, central.Options{
		Logger: newLogger(c.logs), Units: []string{unit}, Notifier: c.notifier, Clock: c.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		c.store = st
		before()
	}
	var ln net.Listener
	for i := 0; ; i++ { // the old listener's port may take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil || i == 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.wrapLn != nil {
		ln = c.wrapLn(ln)
	}
	cert, err := testPKI().Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SignSealingKey(cert); err != nil {
		t.Fatal(err)
	}
	h := st.APIHandler()
	if c.wrap != nil {
		h = c.wrap(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = tlsconf.Server(cert, testPKI().FunctionCAPool(), st.VerifyUnit)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	c.store, c.srv, c.addr = st, srv, ln.Addr().String()
}

func (c *centralSrv) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}

func (c *centralSrv) closeLocked() {
	if c.store == nil {
		return
	}
	c.srv.CloseClientConnections()
	c.srv.Close()
	if err := c.store.Close(); err != nil {
		c.t.Error(err)
	}
	c.store = nil
}

// restart stops the server and the store and starts both again on the
// same address with the same file.
func (c *centralSrv) restart() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
	c.open(c.addr)
}

func (c *centralSrv) url() string { return "https://" + c.addr }

// submit writes a case for patient i%len(patients) and returns its id.
func (c *centralSrv) submit(i int) string {
	c.t.Helper()
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.submitLocked(i)
}

// submitLocked is submit for a caller that holds c.mu.
func (c *centralSrv) submitLocked(i int) string {
	c.t.Helper()
	id, err := c.store.Submit(context.Background(), unit, central.Submission{
		PatientPNR: patients[i%len(patients)], PatientName: patientName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Kanariefråga"}}, Text: caseText,
	})
	if err != nil {
		c.t.Fatalf("submit: %v", err)
	}
	return id
}

func (c *centralSrv) head() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h, err := c.store.Head(context.Background(), unit)
	if err != nil {
		c.t.Fatal(err)
	}
	return h
}

func (c *centralSrv) patientCase(i int, id string) central.PatientCase {
	c.t.Helper()
	c.mu.RLock()
	defer c.mu.RUnlock()
	pc, err := c.store.PatientCase(context.Background(), patients[i%len(patients)], id)
	if err != nil {
		c.t.Fatalf("patient case %s: %v", id, err)
	}
	return pc
}

// recorder is the gateway's case service as the uplink sees it, noting
// when each new case was stored.
type recorder struct {
	Cases
	mu        sync.Mutex
	stored    map[cases.ID]time.Time
	changed   chan struct{} // closed and replaced on every stored page
	confirmed int           // outbox items confirmed
}

func newRecorder(c Cases) *recorder {
	return &recorder{Cases: c, stored: make(map[cases.ID]time.Time), changed: make(chan struct{})}
}

func (r *recorder) ApplyChained(ctx context.Context, in []cases.Inbound, head cases.SyncHead, journal []cases.JournalEntry) (cases.ApplyReport, error) {
	rep, err := r.Cases.ApplyChained(ctx, in, head, journal)
	if err != nil {
		return rep, err
	}
	now := time.Now()
	r.mu.Lock()
	for _, ev := range in {
		if _, ok := r.stored[ev.CaseID]; !ok && ev.Kind == cases.InboundCreated {
			r.stored[ev.CaseID] = now
		}
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	return rep, nil
}

func (r *recorder) ConfirmOutbound(ctx context.Context, keys []string) error {
	if err := r.Cases.ConfirmOutbound(ctx, keys); err != nil {
		return err
	}
	r.mu.Lock()
	r.confirmed += len(keys)
	r.mu.Unlock()
	return nil
}

// progress counts the pages stored and the items confirmed so far.
func (r *recorder) progress() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.stored) + r.confirmed
}

// waitStored waits until id is stored and returns when it was.
func (r *recorder) waitStored(ctx context.Context, id cases.ID) (time.Time, error) {
	for {
		r.mu.Lock()
		at, ok := r.stored[id]
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return at, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

// gateway is a care unit's gateway: an encrypted store, the case service
// and an uplink.
type gateway struct {
	t    testing.TB
	db   *store.DB
	svc  *cases.Service
	rec  *recorder
	up   *Uplink
	logs *logtest.Buffer
	cfg  Config

	cancel context.CancelFunc
	done   chan error
}

// newGateway opens a fresh store and makes an uplink to baseURL with the
// given client certificate; mod adjusts the configuration.
func newGateway(t testing.TB, baseURL string, cert tls.Certificate, mod func(*Config)) *gateway {
	t.Helper()
	return newGatewayClock(t, baseURL, cert, clock.System, mod)
}

// newGatewayClock is newGateway with the case service telling time by clock.
func newGatewayClock(t testing.TB, baseURL string, cert tls.Certificate, clock clock.Clock, mod func(*Config)) *gateway {
	t.Helper()
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "kek.key")
	if err := store.GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	g := &gateway{t: t, db: db, logs: &logtest.Buffer{}}
	g.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock, Rand: rand.Reader, Logger: newLogger(g.logs)})
	if err != nil {
		t.Fatal(err)
	}
	g.rec = newRecorder(g.svc)
	cfg := Config{
		BaseURL:      baseURL,
		TLS:          tlsconf.Client(cert, testPKI().RootPool(), "127.0.0.1", nil),
		Cases:        g.rec,
		Logger:       newLogger(g.logs),
		PollInterval: time.Second,
		PushInterval: time.Second,
		MaxBackoff:   500 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	g.cfg = cfg
	if g.up, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return g
}

// restartUplink replaces a stopped gateway's uplink by a new one on the
// same store, as a restart of the service makes.
func (g *gateway) restartUplink() {
	g.t.Helper()
	var err error
	if g.up, err = New(g.cfg); err != nil {
		g.t.Fatal(err)
	}
}

// serveTLS serves h like the central store's API: the test PKI's server
// certificate for 127.0.0.1, unit certificates from the function CA,
// HTTP/2, refused handshakes not logged; closed when the test ends.
func serveTLS(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	cert, err := testPKI().Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv.TLS = tlsconf.Server(cert, testPKI().FunctionCAPool(), nil)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// unitCert is the unit's client certificate from the test PKI.
func unitCert(t testing.TB) tls.Certificate {
	t.Helper()
	c, err := testPKI().Unit(unit, "Vårdcentralen Kanariefågeln")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// start runs the uplink until the test ends (or stop).
func (g *gateway) start() {
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel, g.done = cancel, make(chan error, 1)
	go func() { g.done <- g.up.Run(ctx) }()
	g.t.Cleanup(g.stop)
}

// stop cancels Run and waits for it to return.
func (g *gateway) stop() {
	if g.cancel == nil {
		return
	}
	g.cancel()
	select {
	case err := <-g.done:
		if err != nil {
			g.t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		g.t.Error("Run did not return within 10 s of its context's end")
	}
	g.cancel = nil
}

// ids lists the case ids in the gateway's store, as the system sees them.
func (g *gateway) ids() map[string]bool {
	g.t.Helper()
	cs, err := g.svc.List(context.Background(), system, cases.Filter{Limit: cases.MaxListLimit})
	if err != nil {
		g.t.Fatal(err)
	}
	if len(cs) == cases.MaxListLimit {
		g.t.Fatal("the store holds more cases than one List returns")
	}
	out := make(map[string]bool, len(cs))
	for _, c := range cs {
		out[string(c.ID)] = true
	}
	return out
}

// receives counts the access-log "receive" entries per case: one per case
// stored, so a case applied twice would show 2.
func (g *gateway) receives() map[string]int {
	g.t.Helper()
	recs, err := g.svc.AccessLogByActor(context.Background(), auditor, "system")
	if err != nil {
		g.t.Fatal(err)
	}
	n := make(map[string]int)
	for _, r := range recs {
		if r.Entry.Action == string(cases.Receive) && r.Entry.Outcome == audit.Allowed {
			n[r.Entry.CaseID]++
		}
	}
	return n
}

// pending returns the number of items in the outbox.
func (g *gateway) pending() int {
	g.t.Helper()
	out, err := g.svc.PendingOutbound(context.Background(), 100000)
	if err != nil {
		g.t.Fatal(err)
	}
	return len(out)
}

// answer assigns a case to the clinician, who answers it.
func (g *gateway) answer(id string) {
	g.t.Helper()
	ctx := context.Background()
	if _, err := g.svc.Do(ctx, distributor, cases.ID(id), cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
		g.t.Fatalf("assign %s: %v", id, err)
	}
	if _, err := g.svc.Do(ctx, clinician, cases.ID(id), cases.Command{Action: cases.SendAnswer, Text: answerText, Signature: signature, AuthorTitle: authorTitle}); err != nil {
		g.t.Fatalf("answer %s: %v", id, err)
	}
	g.up.Kick()
}

// waitFor polls cond every 10 ms until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// caseText is the text the patient wrote in case id, as the gateway holds it.
func (g *gateway) caseText(id string) string {
	g.t.Helper()
	c, err := g.svc.Get(context.Background(), distributor, cases.ID(id))
	if err != nil {
		g.t.Fatalf("case %s: %v", id, err)
	}
	return c.Messages[0].Text
}
