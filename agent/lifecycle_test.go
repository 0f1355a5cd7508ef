package agent_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth"
	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// lifeClinic is the demo clinic with a central store of its own on real
// TLS, and every part of the gateway configured: the web UI, card login,
// the admin listener, notices, the archive and the backup schedules.
type lifeClinic struct {
	t       *testing.T
	dc      *democlinic.Clinic
	central *democlinic.Central
	addr    string // the web UI's address, the same at every start
	tls     *tls.Config
}

func newLifeClinic(t *testing.T) *lifeClinic {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	dc, err := democlinic.Build(dir, democlinic.Options{Unit: unit, UnitName: unitName, Origin: "https://" + addr,
		Listen: addr, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	cs, err := dc.StartCentral(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	cfg := dc.Config
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	cfg.Notify = agent.NotifyConfig{SMTPAddr: "127.0.0.1:1", SMTPFrom: "clinicgw <noreply@vc.example.se>", Digest: "15m"}
	cfg.Archive = agent.ArchiveConfig{Dir: filepath.Join(dir, "archive")}
	cfg.Backup = agent.BackupConfig{Dir: filepath.Join(dir, "backup")}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	return &lifeClinic{t: t, dc: dc, central: cs, addr: addr,
		tls: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}}
}

// start starts a gateway made from the clinic's configuration file, its
// web UI listening at the clinic's address.
func (c *lifeClinic) start(logger *slog.Logger) *agent.Agent {
	c.t.Helper()
	cfg, err := agent.LoadConfig(c.dc.Config.Path())
	if err != nil {
		c.t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // the previous gateway's port may take a moment to be free
		if ln, err = net.Listen("tcp", c.addr); err == nil || i == 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatal(err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a, err := agent.New(cfg, agent.Options{UIListener: ln, Uplink: fast, Logger: logger})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		c.t.Fatal(err)
	}
	return a
}

// submit sends a patient's case to the central store.
func (c *lifeClinic) submit(ctx context.Context) (string, error) {
	return c.central.Store.Submit(ctx, unit, central.Submission{PatientPNR: patientPNR, PatientName: patientName,
		FormID: string(casetype.RenewPrescription), Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin"}}})
}

// staff is a member of staff's browser with a live session, whose card
// a bridge reports present over the presence websocket.
type staff struct {
	c        *lifeClinic
	http     *http.Client
	presence *websocket.Conn
	bridge   sync.WaitGroup
	origin   string
}

// login logs the distributor in as the login page does, and plays the
// bridge watching the card.
func (c *lifeClinic) login() (*staff, error) {
	jar, _ := cookiejar.New(nil)
	s := &staff{c: c, origin: "https://" + c.addr, http: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: c.tls.Clone(), ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code, body, err := s.do(http.MethodGet, "/login", nil); err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("login page: %d %v %s", code, err, body)
	}
	code, body, err := s.do(http.MethodPost, "/login/challenge", nil)
	var ch struct{ Nonce string }
	if err != nil || code != http.StatusOK || json.Unmarshal(body, &ch) != nil {
		return nil, fmt.Errorf("challenge: %d %v %s", code, err, body)
	}
	hsa := democlinic.Staff[0].HSAID
	tok, err := c.dc.Sign(hsa, ch.Nonce)
	if err != nil {
		return nil, err
	}
	code, body, err = s.do(http.MethodPost, "/login", tok)
	var in struct{ Ticket string }
	if err != nil || code != http.StatusOK || json.Unmarshal(body, &in) != nil {
		return nil, fmt.Errorf("login: %d %v %s", code, err, body)
	}
	d := websocket.Dialer{TLSClientConfig: c.tls.Clone(), HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("wss://"+c.addr+cardauth.PathPresence, http.Header{"Authorization": {"Bearer " + in.Ticket}})
	if err != nil {
		return nil, fmt.Errorf("presence: %w", err)
	}
	report, _ := json.Marshal(cardauth.PresenceReport{Present: true, Card: cardauth.CardID(c.dc.Cards[hsa].Cert)})
	s.presence = conn
	// The bridge reports the card present until the gateway closes the
	// connection (the gateway ends sessions no bridge watches).
	s.bridge.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for conn.WriteMessage(websocket.TextMessage, report) == nil {
			<-tick.C
		}
	})
	return s, nil
}

func (s *staff) do(method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, s.origin+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", s.origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// page opens a page's websocket watching the inbox.
func (s *staff) page() (*websocket.Conn, error) {
	d := websocket.Dialer{TLSClientConfig: s.c.tls.Clone(), Jar: s.http.Jar, HandshakeTimeout: 10 * time.Second}
	conn, _, err := d.Dial("wss://"+s.c.addr+"/ws", http.Header{"Origin": {s.origin}})
	if err != nil {
		return nil, err
	}
	if err := conn.WriteJSON(map[string]string{"t": "watch", "list": "inbox"}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// sessionCookie is the browser's session cookie, for requests written by
// hand.
func (s *staff) sessionCookie() string {
	u, _ := url.Parse(s.origin)
	for _, ck := range s.http.Jar.Cookies(u) {
		if ck.Name == "__Host-clinicgw-session" {
			return ck.Name + "=" + ck.Value
		}
	}
	s.c.t.Fatal("no session cookie")
	return ""
}

func (s *staff) close() {
	s.presence.Close()
	s.bridge.Wait()
	s.http.CloseIdleConnections()
}

// closedBy reads conn until the gateway closes it and returns the close
// code; safety bounds the wait, so that a gateway that leaves the
// websocket open fails the test instead of hanging it.
func closedBy(conn *websocket.Conn, safety time.Duration) (int, string) {
	conn.SetReadDeadline(time.Now().Add(safety))
	for {
		_, data, err := conn.ReadMessage()
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce):
			return ce.Code, ""
		case err != nil:
			return 0, err.Error()
		case bytes.Contains(data, []byte(`"changed"`)), bytes.Contains(data, []byte(`"t":"sync"`)):
			continue // a push from before the stop (a list changed, the sync badge)
		default:
			return 0, "message after the stop: " + string(data)
		}
	}
}

// TestStopClosesPageWebsockets: a page's websocket open when the gateway
// stops is closed by the gateway (1001, going away: the page tries again
// and finds its session ended) before Stop returns, so its handler, which
// reads the store for a case watch, cannot run after the store closed.
func TestStopClosesPageWebsockets(t *testing.T) {
	c := newLifeClinic(t)
	a := c.start(nil)
	s, err := c.login()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	page, err := s.page()
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	// The page asks to watch a case after Stop returned: a handler still
	// serving it would ask the closed store.
	_ = page.WriteJSON(map[string]string{"t": "watch", "case": "GW-00000000"})
	if code, got := closedBy(page, 10*time.Second); code != websocket.CloseGoingAway {
		t.Fatalf("the page's websocket after Stop: close code %d, %s; want %d (closed by the gateway before its store)",
			code, got, websocket.CloseGoingAway)
	}
}

// signalHandler is a log handler that tells when a record with a given
// message is logged.
type signalHandler struct {
	slog.Handler
	msg  string
	once *sync.Once
	ch   chan struct{}
}

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.ch) })
	}
	return h.Handler.Handle(ctx, r)
}

func (h signalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

func (h signalHandler) WithGroup(g string) slog.Handler {
	h.Handler = h.Handler.WithGroup(g)
	return h
}

// drainWaitMsg is what the gateway logs when it stops with web requests
// under way, and waits for them.
const drainWaitMsg = "stopping: waiting for web requests under way"

// TestStopWaitsForUIRequest: a UI request under way when the gateway
// stops (its body still arriving) is finished, with the store open, before
// the store closes; Stop returns only after it.
func TestStopWaitsForUIRequest(t *testing.T) {
	c := newLifeClinic(t)
	draining := make(chan struct{})
	logs := &logtest.Buffer{}
	a := c.start(slog.New(signalHandler{Handler: slog.NewTextHandler(logs, nil), msg: drainWaitMsg,
		once: &sync.Once{}, ch: draining}))
	s, err := c.login()
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()

	// POST /settings by hand, with Expect: 100-continue: the gateway says
	// "100 Continue" when the handler starts reading the body, so the
	// request is under way in the UI's handler when the test stops the
	// gateway.
	conn, err := tls.Dial("tcp", c.addr, &tls.Config{RootCAs: c.tls.RootCAs, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := url.Values{"signature": {"Maja Mottagare\nmedicinsk sekreterare"}}.Encode()
	fmt.Fprintf(conn, "POST /settings HTTP/1.1\r\nHost: %s\r\nOrigin: %s\r\nSec-Fetch-Site: same-origin\r\nCookie: %s\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		c.addr, s.origin, s.sessionCookie(), len(body))
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("expected 100 Continue, got %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after it
		t.Fatal(err)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- a.Stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v), and closed the store, while a web UI request was still under way", err)
	case <-draining:
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the request under way at the stop: %d, want 303 (saved, with the store still open)", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	// The setting was written before the store closed: it is there at the
	// next start.
	a = c.start(nil)
	defer a.Stop()
	s2, err := c.login()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.close()
	if code, page, err := s2.do(http.MethodGet, "/settings", nil); err != nil || code != http.StatusOK ||
		!strings.Contains(string(page), "medicinsk sekreterare") {
		t.Errorf("the signature saved during the stop is not there after a restart: %d %v", code, err)
	}
}

// TestStartStopUnderLoad starts and stops the whole gateway again and
// again while staff use the web UI (requests, open pages' websockets,
// the bridge's presence websocket) and the sync with the central store
// runs over real TLS. Every page's websocket is closed by the gateway at
// the stop, and after every stop no goroutine of the gateway's is left.
func TestStartStopUnderLoad(t *testing.T) {
	rounds := 4
	if testing.Short() {
		rounds = 2
	}
	c := newLifeClinic(t)
	before := goroutineIDs()
	for r := range rounds {
		a := c.start(nil)
		s, err := c.login()
		if err != nil {
			t.Fatalf("round %d: %v", r, err)
		}
		var pages []*websocket.Conn
		for range 3 {
			p, err := s.page()
			if err != nil {
				t.Fatalf("round %d: page: %v", r, err)
			}
			pages = append(pages, p)
		}
		// Load: staff reading pages, patients sending cases, until the stop.
		ctx, cancel := context.WithCancel(t.Context())
		var load sync.WaitGroup
		for range 3 {
			load.Go(func() {
				for ctx.Err() == nil {
					s.do(http.MethodGet, "/inbox", nil)
				}
			})
		}
		load.Go(func() {
			for ctx.Err() == nil {
				c.submit(ctx)
			}
		})
		id, err := c.submit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a case synced to the gateway", func() bool {
			_, err := a.Cases().Get(ctx, distributor, cases.ID(id))
			return err == nil
		})
		if err := a.Stop(); err != nil {
			t.Fatalf("round %d: stop: %v", r, err)
		}
		cancel()
		load.Wait()
		for i, p := range pages {
			if code, got := closedBy(p, 10*time.Second); code != websocket.CloseGoingAway {
				t.Errorf("round %d: page %d's websocket after Stop: close code %d, %s; want %d", r, i, code, got, websocket.CloseGoingAway)
			}
			p.Close()
		}
		s.close()
		if left := goroutinesLeft(before); len(left) > 0 {
			t.Fatalf("round %d: %d goroutines left after Stop:\n\n%s", r, len(left), strings.Join(left, "\n\n"))
		}
	}
}

// goroutineIDs are the ids of the goroutines running now.
func goroutineIDs() map[string]bool {
	ids := map[string]bool{}
	for _, g := range goroutineStacks() {
		ids[goroutineID(g)] = true
	}
	return ids
}

func goroutineStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID is the number in a stack's first line, "goroutine 42 [...]:".
func goroutineID(stack string) string {
	f := strings.Fields(stack)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// goroutinesLeft returns the stacks of goroutines that were not running
// at before and still run, waiting up to 10 s for goroutines on their way
// out (a connection's reader seeing the close) to end, as goleak does.
func goroutinesLeft(before map[string]bool) []string {
	deadline := time.Now().Add(10 * time.Second)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		var left []string
		self := goroutineID(goroutineStacks()[0])
		for _, g := range goroutineStacks() {
			id := goroutineID(g)
			if before[id] || id == self || ignoredGoroutine(g) {
				continue
			}
			left = append(left, g)
		}
		if len(left) == 0 || time.Now().After(deadline) {
			slices.Sort(left)
			return left
		}
		time.Sleep(wait)
	}
}

// ignoredGoroutine: the runtime's and the testing package's own, which
// come and go whatever the gateway does.
func ignoredGoroutine(stack string) bool {
	for _, s := range []string{"testing.(*T).Run", "testing.tRunner", "runtime.goexit0", "signal.signal_recv",
		"testing.(*M).", "runtime.ensureSigM", "created by runtime.gc", "runtime.forcegchelper", "runtime.bgsweep",
		"runtime.bgscavenge", "runtime.runfinq", "runtime.unique_runtime_registerUniqueMapCleanup"} {
		if strings.Contains(stack, s) {
			return true
		}
	}
	return false
}

// TestFailedStartLeavesNothing: a Start that fails half-way (the admin
// listener's port is taken, after the store, the web UI and the
// background parts started) stops and closes what it started: no
// goroutine is left, the store and the UI's port are free for the next
// Start.
func TestFailedStartLeavesNothing(t *testing.T) {
	c := newLifeClinic(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	before := goroutineIDs()
	cfg, err := agent.LoadConfig(c.dc.Config.Path())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admin.Listen = busy.Addr().String()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(cfg, agent.Options{UIListener: ln, Uplink: fast})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "admin.listen") {
		a.Stop()
		t.Fatalf("Start with the admin listener's port taken: %v", err)
	}
	if left := goroutinesLeft(before); len(left) > 0 {
		t.Fatalf("%d goroutines left after a failed Start:\n\n%s", len(left), strings.Join(left, "\n\n"))
	}
	a = c.start(nil)
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
}
