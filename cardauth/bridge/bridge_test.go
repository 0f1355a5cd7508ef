package bridge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/cardauth"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
)

// fakeCard is a card with a devpki key and a PIN; the real one is
// cardauth/token over PKCS#11 (tested there and end to end in cmd).
type fakeCard struct {
	cert *x509.Certificate
	key  crypto.Signer
	pin  string
	pad  bool
}

type pinError struct{ left int }

func (e pinError) Error() string   { return "wrong PIN" }
func (e pinError) Swedish() string { return "Fel PIN-kod." }

func (c *fakeCard) AuthCertificate(context.Context) (*x509.Certificate, error) { return c.cert, nil }
func (c *fakeCard) Signer(_ context.Context, pin string) (crypto.Signer, error) {
	if pin != c.pin {
		return nil, pinError{2}
	}
	return c.key, nil
}
func (c *fakeCard) PINPad() bool { return c.pad }
func (c *fakeCard) Close() error { return nil }

// fakeReader is a reader whose card the test inserts and removes, and
// which the test can unplug.
type fakeReader struct {
	mu        sync.Mutex
	present   bool
	unplugged bool
	checkErr  error // what Connected fails with, if not nil
	openFails int   // how many Opens fail before the card reads
	fn        func(bool)
	ready     chan struct{}
}

// Connected makes fakeReader a ReaderChecker.
func (r *fakeReader) Connected(context.Context) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.checkErr != nil {
		return false, r.checkErr
	}
	return !r.unplugged, nil
}

// unplug disconnects the reader, and with it the card.
func (r *fakeReader) unplug() {
	r.mu.Lock()
	r.unplugged = true
	r.mu.Unlock()
	r.set(false)
}

func (r *fakeReader) Watch(ctx context.Context, fn func(bool)) error {
	r.mu.Lock()
	r.fn = fn
	present := r.present
	r.mu.Unlock()
	fn(present)
	close(r.ready)
	<-ctx.Done()
	return nil
}

func (r *fakeReader) set(present bool) {
	r.mu.Lock()
	r.present = present
	fn := r.fn
	r.mu.Unlock()
	fn(present)
}

type cards struct {
	r *fakeReader
	c *fakeCard
}

func (c cards) Open(context.Context) (Card, error) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	if !c.r.present {
		return nil, ErrNoCard
	}
	if c.r.openFails > 0 {
		c.r.openFails--
		return nil, errors.New("card busy")
	}
	return c.c, nil
}

type certChecker struct{ p *devpki.PKI }

func (c certChecker) CheckAuthCert(_ context.Context, leaf *x509.Certificate) (string, error) {
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: c.p.RootPool(), Intermediates: c.p.PersonCAPool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return "", err
	}
	return tlsconf.HSAID(leaf)
}

type staff struct{}

func (staff) Staff(hsaID string, _ time.Time) (cardauth.Staff, error) {
	return cardauth.Staff{HSAID: hsaID, Roles: []string{"clinician"}}, nil
}

// rig is a gateway (authenticator + presence endpoint over TLS) and a
// bridge on loopback with a fake reader and card.
type rig struct {
	auth    *cardauth.Authenticator
	gateway *httptest.Server
	bridge  *httptest.Server
	b       *Bridge
	reader  *fakeReader
	card    *fakeCard
	logs    *bytes.Buffer
	ended   chan cardauth.EndReason // why the gateway's sessions ended
	cancel  context.CancelFunc
	done    chan error
}

const heartbeat = 200 * time.Millisecond

func newRig(t *testing.T) *rig { t.Helper(); return newRigWith(t, rigOptions{}) }

// rigOptions change a rig's defaults.
type rigOptions struct {
	gwClock, bridgeClock clock.Clock   // the system clock where nil
	bridgeHeartbeat      time.Duration // heartbeat where 0
}

func newRigWith(t *testing.T, o rigOptions) *rig {
	t.Helper()
	if o.bridgeHeartbeat == 0 {
		o.bridgeHeartbeat = heartbeat
	}
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := p.Person("SE2321000016-B001", "Brygga", "Testsson", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{reader: &fakeReader{present: true, ready: make(chan struct{})}, card: &fakeCard{cert: cert, key: key, pin: "123456"}, logs: &bytes.Buffer{}}
	gw := httptest.NewUnstartedServer(nil)
	gw.StartTLS()
	t.Cleanup(gw.Close)
	r.gateway = gw
	r.ended = make(chan cardauth.EndReason, 10)
	if r.auth, err = cardauth.New(cardauth.Config{Origin: gw.URL, Certs: certChecker{p}, Staff: staff{}, Clock: o.gwClock,
		OnEnd: func(_ cardauth.Session, why cardauth.EndReason) {
			select {
			case r.ended <- why:
			default:
			}
		}}); err != nil {
		t.Fatal(err)
	}
	gw.Config.Handler = r.auth.PresenceHandler(heartbeat)
	b, err := New(Config{Gateway: gw.URL, GatewayTLS: gw.Client().Transport.(*http.Transport).TLSClientConfig,
		Cards: cards{r.reader, r.card}, Reader: r.reader, Heartbeat: o.bridgeHeartbeat, Clock: o.bridgeClock, AppVersion: "clinicgw-bridge test",
		Logger: slog.New(slog.NewTextHandler(r.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r.b, r.bridge = b, httptest.NewServer(b.Handler())
	t.Cleanup(r.bridge.Close)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan error, 1)
	go func() { r.done <- b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	<-r.reader.ready
	return r
}

// call posts body to the bridge as the login page at origin would.
func (r *rig) call(t *testing.T, method, path, origin string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.bridge.URL+path, rd)
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// login runs the page's login: challenge, bridge signs, gateway verifies.
func (r *rig) login(t *testing.T, pin string) (cardauth.Session, int, []byte) {
	t.Helper()
	nonce, _, err := r.auth.Challenge("browser")
	if err != nil {
		t.Fatal(err)
	}
	code, body := r.call(t, "POST", PathSign, r.gateway.URL, SignRequest{Nonce: nonce, PIN: pin})
	if code != http.StatusOK {
		return cardauth.Session{}, code, body
	}
	s, err := r.auth.Login(context.Background(), "browser", body, "")
	if err != nil {
		t.Fatalf("the gateway refused the bridge's token: %v", err)
	}
	return s, code, body
}

func TestBridgeLoginAndRemoval(t *testing.T) {
	r := newRig(t)
	s, code, body := r.login(t, r.card.pin)
	if code != http.StatusOK {
		t.Fatalf("sign: %d %s", code, body)
	}
	ticket, err := r.auth.PresenceTicket(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := r.call(t, "POST", PathWatch, r.gateway.URL, WatchRequest{Ticket: ticket}); code != http.StatusNoContent {
		t.Fatalf("watch: %d %s", code, body)
	}
	if _, err := r.auth.Session(s.ID); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	r.reader.set(false)
	select {
	case <-s.Done:
		t.Logf("card removed at the bridge → session ended at the gateway after %v", time.Since(at))
	case <-time.After(10 * time.Second):
		t.Fatal("removing the card did not end the session")
	}
	if strings.Contains(r.logs.String(), r.card.pin) {
		t.Error("the PIN reached the bridge's log")
	}
}

// TestCardReadAtLogin: a card that could not be read when it went in is
// known by its login: the presence reports name it, so the gateway keeps
// the session.
func TestCardReadAtLogin(t *testing.T) {
	r := newRig(t)
	r.reader.set(false)
	r.reader.mu.Lock()
	r.reader.openFails = 1
	r.reader.mu.Unlock()
	r.reader.set(true)
	if present, card, _ := r.b.state(); !present || card != "" {
		t.Fatalf("after an unreadable insert: present %v, card %q", present, card)
	}
	s, code, body := r.login(t, r.card.pin)
	if code != http.StatusOK {
		t.Fatalf("sign: %d %s", code, body)
	}
	if _, card, _ := r.b.state(); card != cardauth.CardID(r.card.cert) || card != s.Card {
		t.Errorf("after the login the bridge reports card %q, the session's is %q", card, s.Card)
	}
}

// TestBridgeGone: the bridge stops (the workstation crashed): the session
// ends after the heartbeat and its grace.
func TestBridgeGone(t *testing.T) {
	r := newRig(t)
	s, code, body := r.login(t, r.card.pin)
	if code != http.StatusOK {
		t.Fatalf("sign: %d %s", code, body)
	}
	ticket, _ := r.auth.PresenceTicket(s.ID)
	if code, _ := r.call(t, "POST", PathWatch, r.gateway.URL, WatchRequest{Ticket: ticket}); code != http.StatusNoContent {
		t.Fatal("watch refused")
	}
	at := time.Now()
	r.bridge.CloseClientConnections()
	r.cancel() // the bridge process ends: no more reports
	r.gateway.CloseClientConnections()
	select {
	case <-s.Done:
		t.Logf("bridge gone (its connection closed) → session ended after %v (a silent one: heartbeat %v + grace %v)", time.Since(at), heartbeat, cardauth.PresenceGrace)
	case <-time.After(10 * time.Second):
		t.Fatal("the session outlived its bridge")
	}
}

func TestBridgeRefusals(t *testing.T) {
	r := newRig(t)
	// Wrong PIN: the card's words, no retry by the bridge.
	_, code, body := r.login(t, "000000")
	if code != http.StatusForbidden || !strings.Contains(string(body), "Fel PIN-kod.") {
		t.Errorf("wrong PIN: %d %s", code, body)
	}
	nonce, _, _ := r.auth.Challenge("x")
	for _, tc := range []struct {
		name   string
		origin string
		body   any
		code   int
	}{
		{"another origin", "https://evil.example", SignRequest{Nonce: nonce, PIN: "123456"}, http.StatusForbidden},
		{"no origin", "", SignRequest{Nonce: nonce, PIN: "123456"}, http.StatusForbidden},
		{"a PIN with letters", r.gateway.URL, SignRequest{Nonce: nonce, PIN: "12ab56"}, http.StatusBadRequest},
		{"a short nonce", r.gateway.URL, SignRequest{Nonce: "AAAA", PIN: "123456"}, http.StatusBadRequest},
		{"unknown member", r.gateway.URL, map[string]string{"nonce": nonce, "pin": "123456", "origin": "https://evil.example"}, http.StatusBadRequest},
	} {
		if code, body := r.call(t, "POST", PathSign, tc.origin, tc.body); code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.code)
		}
	}
	// No card.
	r.reader.set(false)
	if code, body := r.call(t, "POST", PathSign, r.gateway.URL, SignRequest{Nonce: nonce, PIN: "123456"}); code != http.StatusConflict || !strings.Contains(string(body), "Sätt i ditt SITHS-kort") {
		t.Errorf("no card: %d %s", code, body)
	}
	// DNS rebinding: another Host.
	req, _ := http.NewRequest("GET", r.bridge.URL+PathStatus, nil)
	req.Host = "evil.example"
	req.Header.Set("Origin", r.gateway.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("Host evil.example: %d", resp.StatusCode)
	}
	// Preflight from the gateway's page.
	req, _ = http.NewRequest("OPTIONS", r.bridge.URL+PathSign, nil)
	req.Header.Set("Origin", r.gateway.URL)
	req.Header.Set("Access-Control-Request-Private-Network", "true")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != r.gateway.URL || resp.Header.Get("Access-Control-Allow-Private-Network") != "true" {
		t.Errorf("preflight headers %v", resp.Header)
	}
}

// TestStatusReader: the status tells a missing reader from a missing card,
// and a sign without a reader says to connect it.
func TestStatusReader(t *testing.T) {
	r := newRig(t)
	status := func() Status {
		t.Helper()
		code, body := r.call(t, "GET", PathStatus, r.gateway.URL, nil)
		var st Status
		if code != http.StatusOK || json.Unmarshal(body, &st) != nil {
			t.Fatalf("status: %d %s", code, body)
		}
		return st
	}
	if st := status(); !st.Reader || !st.Present {
		t.Errorf("card in the reader: %+v", st)
	}
	r.reader.set(false)
	if st := status(); !st.Reader || st.Present {
		t.Errorf("card pulled: %+v, want a reader and no card", st)
	}
	r.reader.unplug()
	if st := status(); st.Reader || st.Present {
		t.Errorf("reader unplugged: %+v, want no reader", st)
	}
	nonce, _, _ := r.auth.Challenge("x")
	code, body := r.call(t, "POST", PathSign, r.gateway.URL, SignRequest{Nonce: nonce, PIN: "123456"})
	var p problem
	if code != http.StatusConflict || json.Unmarshal(body, &p) != nil || p.Error != "no-reader" || !strings.Contains(p.Message, "Anslut kortläsaren") {
		t.Errorf("sign without a reader: %d %s", code, body)
	}
	r.reader.mu.Lock()
	r.reader.unplugged, r.reader.checkErr = false, errors.New("PC/SC broke")
	r.reader.mu.Unlock()
	if st := status(); st.Reader {
		t.Errorf("a failed reader check: %+v, want no reader", st)
	}
	if !strings.Contains(r.logs.String(), "PC/SC broke") {
		t.Error("a failed reader check is not logged")
	}

	// A Reader that cannot tell counts as connected.
	b, err := New(Config{Gateway: r.gateway.URL, GatewayTLS: r.gateway.Client().Transport.(*http.Transport).TLSClientConfig,
		Cards: cards{r.reader, r.card}, Reader: struct{ Reader }{r.reader}})
	if err != nil {
		t.Fatal(err)
	}
	if !b.readerConnected(t.Context()) {
		t.Error("a Reader without ReaderChecker counts as no reader")
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "localhost"} {
		if ln, err := Listen(addr); err == nil {
			ln.Close()
			t.Errorf("Listen(%q) accepted", addr)
		}
	}
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
}

func FuzzDecodeSignRequest(f *testing.F) {
	f.Add([]byte(`{"nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","pin":"123456"}`))
	f.Add([]byte(`{"nonce":"","pin":""}`))
	f.Add([]byte(`{"ticket":"x"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if req, err := DecodeSignRequest(bytes.NewReader(data)); err == nil {
			if req.PIN != "" && strings.Trim(req.PIN, "0123456789") != "" {
				t.Fatalf("a PIN with non-digits passed: %q", req.PIN)
			}
		}
		if req, err := DecodeWatchRequest(bytes.NewReader(data)); err == nil && req.Ticket == "" {
			t.Fatal("an empty ticket passed")
		}
	})
}
