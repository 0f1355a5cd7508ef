package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"clinicgw/cardauth"
	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/pcsc"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
)

// daemon is the package's private pcscd (libpcsclite reads its socket's
// path once per process).
var daemon *cardtest.PCSCD

func TestMain(m *testing.M) {
	os.Exit(cardtest.Main(&daemon, func() int { return softhsm.Main(m) }))
}

// TestRealParts (AU3 with real parts): the keys on a SoftHSM2 token
// through PKCS#11, card presence from a private pcscd with the vpcd
// virtual reader and a virtual card. The login page's flow through the
// bridge logs in; pulling the virtual card ends the gateway's session.
func TestRealParts(t *testing.T) {
	cardtest.SkipUnlessAvailable(t)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Stop()
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := softhsm.New(t)
	label := fmt.Sprintf("card-%d", time.Now().UnixNano()) // labels are unique per test binary
	tk := h.InitToken(label, "87654321", "246810")
	tk.ProvisionPerson(p, "SE2321000016-R001", "Riktig", "Kortsson", devpki.KeyRSA2048)

	gw := httptest.NewUnstartedServer(nil)
	gw.StartTLS()
	defer gw.Close()
	auth, err := cardauth.New(cardauth.Config{Origin: gw.URL, Certs: certChecker{p}, Staff: staff{}})
	if err != nil {
		t.Fatal(err)
	}
	gw.Config.Handler = auth.PresenceHandler(heartbeat)
	b, err := New(Config{Gateway: gw.URL, GatewayTLS: gw.Client().Transport.(*http.Transport).TLSClientConfig,
		Cards:  TokenCards{Config: token.Config{Module: h.Module(), TokenLabel: label}},
		Reader: PCSCReader{Monitor: pcsc.New(pcsc.Options{}), Name: cardtest.ReaderName}, Heartbeat: heartbeat,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()

	card, err := cardtest.Insert(daemon.Port, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{auth: auth, gateway: gw, bridge: srv}
	deadline := time.Now().Add(10 * time.Second)
	for { // the insert reaches the bridge through pcscd's polling
		if present, card, _ := b.state(); present && card != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the bridge did not see the card within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s, code, body := r.login(t, tk.UserPIN)
	if code != http.StatusOK {
		t.Fatalf("sign on SoftHSM2: %d %s", code, body)
	}
	if s.Staff.HSAID != "SE2321000016-R001" {
		t.Errorf("session %+v", s.Staff)
	}
	ticket, _ := auth.PresenceTicket(s.ID)
	if code, body := r.call(t, "POST", PathWatch, gw.URL, WatchRequest{Ticket: ticket}); code != http.StatusNoContent {
		t.Fatalf("watch: %d %s", code, body)
	}
	at := time.Now()
	card.Remove()
	select {
	case <-s.Done:
		t.Logf("virtual card pulled → session ended after %v (pcscd polls vpcd every ~400 ms)", time.Since(at))
	case <-time.After(10 * time.Second):
		t.Fatal("pulling the card did not end the session")
	}
}

// TestPCSCReaderConnected: PCSCReader tells whether its reader is there
// through the private pcscd: no pcscd is no reader; with vpcd's readers,
// the named one is connected and another name is not.
func TestPCSCReaderConnected(t *testing.T) {
	cardtest.SkipUnlessAvailable(t)
	m := pcsc.New(pcsc.Options{})
	check := func(name string, want bool) {
		t.Helper()
		got, err := PCSCReader{Monitor: m, Name: name}.Connected(t.Context())
		if err != nil || got != want {
			t.Errorf("Connected with reader %q: %v, %v; want %v", name, got, err, want)
		}
	}
	check(cardtest.ReaderName, false) // pcscd not running
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Stop()
	check(cardtest.ReaderName, true)
	check("", true)
	check("Kortläsare som inte finns 00 00", false)
}
