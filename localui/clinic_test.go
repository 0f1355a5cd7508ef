package localui_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

const (
	testUnit     = "SE2321000016-DEMO"
	testUnitName = "Vårdcentralen Test"
)

// The demo staff by role.
var (
	hsaDist    = democlinic.Staff[0].HSAID
	hsaClinA   = democlinic.Staff[1].HSAID
	hsaClinB   = democlinic.Staff[2].HSAID
	hsaOnLeave = democlinic.Staff[3].HSAID
	hsaAdmin   = democlinic.Staff[4].HSAID
	hsaAudit   = democlinic.Staff[5].HSAID
)

// Canaries: patient data that must reach no technical log (LG3).
const (
	canaryName = "Kanariefågel Testsson"
	canaryText = "KANARIE-TEXT ont i magen"
)

// clinic is a running demo clinic: the real gateway (store, case service,
// card login against the dev PKI and a CRL, directory file) with its web UI
// on a loopback port.
type clinic struct {
	t      testing.TB
	dc     *democlinic.Clinic
	gw     *agent.Agent
	origin string
	clock  *clocktest.Fake
	logs   *logtest.Buffer
	tls    *tls.Config
	seq    int
	mu     sync.Mutex
	pnrs   []string // patients received, for the log canary check
}

func startClinic(t testing.TB) *clinic { return startClinicWith(t, "") }

// startClinicWith starts a clinic whose login page calls the card bridge
// at bridgeURL ("" for the default address).
func startClinicWith(t testing.TB, bridgeURL string) *clinic {
	t.Helper()
	return startClinicConfig(t, bridgeURL, nil)
}

// startClinicConfig is startClinicWith with a change to the demo clinic
// (nil for none) before its gateway starts: its configuration, or parts
// started beside it. change returns those parts' technical logs by name,
// which must no more carry patient data than the gateway's.
func startClinicConfig(t testing.TB, bridgeURL string, change func(*democlinic.Clinic) map[string]*logtest.Buffer) *clinic {
	t.Helper()
	return startClinicOn(t, bridgeURL, change, nil)
}

// startClinicOn is startClinicConfig with the UI's listener wrapped by
// wrap (nil: as it is), for a test that watches the UI's connections.
func startClinicOn(t testing.TB, bridgeURL string, change func(*democlinic.Clinic) map[string]*logtest.Buffer, wrap func(net.Listener) net.Listener) *clinic {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	origin := "https://" + ln.Addr().String()
	// A Monday morning, so that due dates are two working days on.
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm()))
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: testUnit, UnitName: testUnitName,
		Origin: origin, Listen: ln.Addr().String(), Bridge: bridgeURL, Now: clock.Now(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	logs := map[string]*logtest.Buffer{"gateway": {}}
	if change != nil {
		for name, l := range change(dc) {
			logs[name] = l
		}
	}
	// The clinic reads the test's time; its tickers and timers (sync, pings,
	// file watches) run in real time against the real parts.
	gw, err := agent.New(dc.Config, agent.Options{Clock: clocktest.RealTimers(clock), UIListener: ln,
		Logger: slog.New(slog.NewTextHandler(logs["gateway"], &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := &clinic{t: t, dc: dc, gw: gw, origin: origin, clock: clock, logs: logs["gateway"],
		tls: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}}
	t.Cleanup(func() { // before the cleanups of what change started
		if err := gw.Stop(); err != nil {
			t.Errorf("gateway stop: %v", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		for name, l := range logs {
			out := l.String()
			for _, canary := range append([]string{canaryName, canaryText}, c.pnrs...) {
				if strings.Contains(out, canary) {
					t.Errorf("the %s's technical log carries patient data %q", name, canary)
				}
			}
		}
	})
	return c
}

// receive puts a synthetic case into the gateway as the sync would.
func (c *clinic) receive(typ casetype.Type, text string) *cases.Case {
	c.t.Helper()
	c.seq++
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980+c.seq%20)
	got, err := c.gw.Cases().Receive(context.Background(), cases.Submission{Type: typ,
		Patient: cases.Person{PNR: pnr, Name: canaryName}, Text: text, SubmittedAt: c.clock.Now(),
		Fields: []cases.Field{{Name: "symptom", Label: "Besvär", Value: canaryText}}})
	if err != nil {
		c.t.Fatal(err)
	}
	c.mu.Lock()
	c.pnrs = append(c.pnrs, string(pnr))
	c.mu.Unlock()
	return got
}

// browser is one member of staff's HTTP client with its own cookies.
type browser struct {
	c    *clinic
	hsa  string
	http *http.Client
}

// newBrowser is a client with no session yet.
func (c *clinic) newBrowser(hsaID string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{c: c, hsa: hsaID, http: &http.Client{Jar: jar,
		Transport:     &http.Transport{TLSClientConfig: c.tls.Clone()},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// sessionCookieName is the UI's session cookie.
const sessionCookieName = "__Host-clinicgw-session"

// sessionID is the browser's session cookie's value.
func (b *browser) sessionID() string {
	u, _ := url.Parse(b.c.origin)
	for _, ck := range b.http.Jar.Cookies(u) {
		if ck.Name == sessionCookieName {
			return ck.Value
		}
	}
	b.c.t.Fatalf("%s has no session cookie", b.hsa)
	return ""
}

// login logs hsaID in the way the login page does, with their card
// signing through democlinic in place of the bridge, and plays the bridge
// watching the card.
func (c *clinic) login(hsaID string) *browser {
	c.t.Helper()
	b, ticket := c.loginUnwatched(hsaID)
	c.watchCard(hsaID, ticket)
	return b
}

// loginUnwatched logs hsaID in without a bridge taking up the session's
// presence ticket, which it returns.
func (c *clinic) loginUnwatched(hsaID string) (*browser, string) {
	c.t.Helper()
	b := c.newBrowser(hsaID)
	if r := b.get("/login"); r.StatusCode != http.StatusOK {
		c.t.Fatalf("login page: %d", r.StatusCode)
	}
	r, body := b.post("/login/challenge", "application/json", nil)
	var ch struct{ Nonce string }
	if r.StatusCode != http.StatusOK || json.Unmarshal(body, &ch) != nil {
		c.t.Fatalf("challenge: %d %s", r.StatusCode, body)
	}
	tok, err := c.dc.Sign(hsaID, ch.Nonce)
	if err != nil {
		c.t.Fatal(err)
	}
	r, body = b.post("/login", "application/json", tok)
	var in struct{ Ticket string }
	if r.StatusCode != http.StatusOK || json.Unmarshal(body, &in) != nil {
		c.t.Fatalf("login %s: %d %s", hsaID, r.StatusCode, body)
	}
	return b, in.Ticket
}

// watchCard plays the workstation's bridge for a session: it takes up the
// presence ticket and reports hsaID's card present until the session or
// the test ends (the gateway ends sessions no bridge watches).
func (c *clinic) watchCard(hsaID, ticket string) {
	c.t.Helper()
	conn, report := c.presence(hsaID, ticket)
	done := make(chan struct{})
	c.t.Cleanup(func() { close(done) })
	go func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			if conn.WriteMessage(websocket.TextMessage, report) != nil {
				return // the session ended and the gateway closed the connection
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
}

// presence connects to the gateway's presence endpoint as hsaID's bridge
// with ticket and returns the connection (closed when the test ends) and
// the report that hsaID's card is present.
func (c *clinic) presence(hsaID, ticket string) (*websocket.Conn, []byte) {
	c.t.Helper()
	d := websocket.Dialer{TLSClientConfig: c.tls.Clone(), HandshakeTimeout: 5 * time.Second}
	conn, r, err := d.Dial("wss"+strings.TrimPrefix(c.origin, "https")+cardauth.PathPresence,
		http.Header{"Authorization": {"Bearer " + ticket}})
	if err != nil {
		c.t.Fatalf("presence connection for %s: %v (%v)", hsaID, err, r)
	}
	c.t.Cleanup(func() { conn.Close() })
	report, _ := json.Marshal(cardauth.PresenceReport{Present: true, Card: cardauth.CardID(c.dc.Cards[hsaID].Cert)})
	return conn, report
}

func (b *browser) do(req *http.Request) (*http.Response, []byte) {
	b.c.t.Helper()
	r, err := b.http.Do(req)
	if err != nil {
		b.c.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return r, body
}

func (b *browser) get(path string) *http.Response {
	r, _ := b.getBody(path)
	return r
}

func (b *browser) getBody(path string) (*http.Response, string) {
	req, _ := http.NewRequest(http.MethodGet, b.c.origin+path, nil)
	r, body := b.do(req)
	return r, string(body)
}

// post sends a same-origin POST as the browser would.
func (b *browser) post(path, ctype string, body []byte) (*http.Response, []byte) {
	req, _ := http.NewRequest(http.MethodPost, b.c.origin+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Origin", b.c.origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if ctype == "application/json" {
		req.Header.Set("Accept", "application/json")
	}
	return b.do(req)
}

func (b *browser) form(path string, v url.Values) (*http.Response, string) {
	r, body := b.post(path, "application/x-www-form-urlencoded", []byte(v.Encode()))
	return r, string(body)
}

// ws opens the page's websocket and sends a watch message.
func (b *browser) ws(watch map[string]string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{TLSClientConfig: b.c.tls.Clone(), Jar: b.http.Jar, HandshakeTimeout: 5 * time.Second}
	u := "wss" + strings.TrimPrefix(b.c.origin, "https") + "/ws"
	conn, r, err := d.Dial(u, http.Header{"Origin": {b.c.origin}})
	if err != nil {
		return nil, r, err
	}
	if watch != nil {
		if err := conn.WriteJSON(watch); err != nil {
			b.c.t.Fatal(err)
		}
	}
	return conn, r, nil
}

// wsMessage is a message the page's websocket gets.
type wsMessage struct {
	T      string     `json:"t"`
	IDs    []cases.ID `json:"ids"`
	All    bool       `json:"all"`
	Status int        `json:"status"`
}

// next reads the websocket's next message or its close code.
func next(t testing.TB, conn *websocket.Conn, within time.Duration) (wsMessage, int) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(within))
	var m wsMessage
	_, data, err := conn.ReadMessage()
	if ce, ok := err.(*websocket.CloseError); ok {
		return m, ce.Code
	}
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("websocket message %q: %v", data, err)
	}
	return m, 0
}
