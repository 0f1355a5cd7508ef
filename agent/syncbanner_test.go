package agent_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/sync/central"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestStaffSeesCentralRestore: the whole gateway with the demo clinic's
// card login and web UI over TLS; a member of staff logged in through the
// UI's own login endpoints (challenge, signed token, session cookie). The
// central store's file is copied while it serves (central.Store.Backup),
// later cases arrive, then the central store is stopped, the copy put
// back and the store served again where it was. When the gateway finds
// the central store behind, the staff page shows the sync banner
// (id="sync-state"); after the reconciliation it no longer does, the
// lost cases are back at the central store and a new case there arrives.
// Three rounds with random backup points, the first always losing cases;
// a backup that lost nothing shows nothing. (sync/uplink's
// TestCentralRestore runs the scenario with the central store as real
// processes for many rounds and checks /healthz in each; this checks what
// staff see, in three.)
func TestStaffSeesCentralRestore(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	for r := range 3 {
		if !t.Run("round"+strconv.Itoa(r), func(t *testing.T) { staffRestoreRound(t, rnd, r == 0) }) {
			t.Fatalf("round %d failed (seed %d)", r, seed)
		}
	}
}

// staffRestoreRound is one restore of the central store with a random
// backup point: after 0 to all of 1–4 cases (all: nothing is lost, and
// nothing may be shown); with mustLose, before the last of them.
func staffRestoreRound(t *testing.T, rnd *rand.Rand, mustLose bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "https://" + ln.Addr().String()
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: unit, UnitName: unitName, Origin: origin,
		Listen: ln.Addr().String(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	ctx := t.Context()
	cs, err := dc.StartCentral(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var centralMu sync.Mutex
	closeCentral := cs.Close
	t.Cleanup(func() { centralMu.Lock(); closeCentral(); centralMu.Unlock() })
	cfg, err := agent.LoadConfig(dc.Config.Path())
	if err != nil {
		t.Fatal(err)
	}

	// The staff member's browser.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, body []byte) (int, string) {
		req, err := http.NewRequest(method, origin+path, bytes.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		if method == http.MethodPost {
			req.Header.Set("Origin", origin)
			req.Header.Set("Sec-Fetch-Site", "same-origin")
		}
		resp, err := browser.Do(req)
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const home = "/inbox"
	banner := func() (bool, string) {
		code, body := do(http.MethodGet, home, nil)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d", home, code)
		}
		return strings.Contains(body, `id="sync-state"`), body
	}

	var mu sync.Mutex
	var atBreak []bool // the banner on the staff page each time the gateway found the chain broken
	a := startAgent(t, cfg, agent.Options{UIListener: ln, Uplink: func(c *uplink.Config) {
		fast(c)
		c.Fault = func(p uplink.FaultPoint) {
			if p == uplink.FaultDiverged {
				shown, _ := banner()
				mu.Lock()
				atBreak = append(atBreak, shown)
				mu.Unlock()
			}
		}
	}})

	// Log in as the distributor: the login page's binding cookie, the
	// challenge, the card's signed token.
	if code, _ := do(http.MethodGet, "/login", nil); code != http.StatusOK {
		t.Fatalf("GET /login: %d", code)
	}
	code, body := do(http.MethodPost, "/login/challenge", nil)
	var ch struct{ Nonce string }
	if err := json.Unmarshal([]byte(body), &ch); code != http.StatusOK || err != nil {
		t.Fatalf("challenge: %d %s", code, body)
	}
	tok, err := dc.Sign(democlinic.Staff[0].HSAID, ch.Nonce)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := do(http.MethodPost, "/login", tok); code != http.StatusOK {
		t.Fatalf("login: %d %s", code, body)
	}
	if shown, body := banner(); shown {
		t.Fatalf("the sync banner before anything went wrong: %s", body)
	}

	submit := func(st *central.Store) cases.ID {
		id, err := st.Submit(ctx, unit, central.Submission{PatientPNR: canaryPNR, PatientName: canaryName,
			FormID: string(casetype.RenewPrescription), Text: canaryText, Fields: []wire.Field{{Name: "medicine", Value: canaryField}}})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "case "+id+" at the gateway", func() bool { _, err := a.Cases().Get(ctx, distributor, cases.ID(id)); return err == nil })
		return cases.ID(id)
	}
	n := 1 + rnd.IntN(4)
	at := rnd.IntN(n + 1) // the backup is taken after this many cases
	if mustLose {
		at = rnd.IntN(n)
	}
	backup := filepath.Join(t.TempDir(), "central-backup.db")
	var lost []cases.ID
	for i := 0; i <= n; i++ {
		if i == at {
			if err := cs.Store.Backup(ctx, backup); err != nil {
				t.Fatal(err)
			}
		}
		if i == n {
			break
		}
		id := submit(cs.Store)
		if i >= at {
			lost = append(lost, id)
		}
	}

	// The restore: stop, the older file in place, serve again where it was.
	path := filepath.Join(dc.Dir, "central", "central.db")
	centralMu.Lock()
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := central.Open(ctx, path, central.Options{Units: []string{unit}, UnitNames: map[string]string{unit: unitName}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := dc.PKI.Server("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cs.APIURL)
	var apiLn net.Listener
	for i := 0; ; i++ { // the old listener's port may take a moment to be free
		if apiLn, err = net.Listen("tcp", u.Host); err == nil || i == 100 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := tlsconf.NewHTTPServer(st.APIHandler(), tlsconf.Server(cert, dc.PKI.FunctionCAPool(), st.VerifyUnit), central.APILimits)
	go srv.ServeTLS(apiLn, "", "")
	closeCentral = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return st.Close()
	}
	centralMu.Unlock()

	// Found, shown to staff, reconciled, and the banner gone; a new case
	// at the restored store arrives.
	for _, id := range lost {
		waitFor(t, "the lost case back at the central store", func() bool {
			_, err := st.PatientCase(ctx, canaryPNR, string(id))
			return err == nil
		})
	}
	submit(st)
	waitFor(t, "the banner gone after the reconciliation", func() bool { shown, _ := banner(); return !shown })
	mu.Lock()
	defer mu.Unlock()
	switch {
	case len(lost) == 0 && len(atBreak) != 0:
		t.Errorf("the backup held every case, yet the gateway found the central store behind %d times", len(atBreak))
	case len(lost) > 0 && (len(atBreak) != 1 || !atBreak[0]):
		t.Errorf("the banner on the staff page when the gateway found the central store behind (%d of %d cases lost): %v, want shown, once",
			len(lost), n, atBreak)
	}
}
