package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth"
	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
	"clinicgw/sync/logtest"
)

// tokenSeq makes SoftHSM2 token labels unique within the test binary.
var tokenSeq atomic.Int32

const gwOrigin = "https://gw.agenttest.example:8443"

// crlServer serves the person CA's CRL, which the test may change.
type crlServer struct {
	mu  sync.Mutex
	crl []byte
	srv *httptest.Server
}

func (c *crlServer) set(b []byte) { c.mu.Lock(); c.crl = b; c.mu.Unlock() }

func directoryJSON(hsaID string, commissioned bool) string {
	comm := ""
	if commissioned {
		comm = fmt.Sprintf(`{"unit": %q, "purpose": "Vård och behandling", "validFrom": "2020-01-01"}`, unit)
	}
	return fmt.Sprintf(`{"version": 1, "people": [{"hsaId": %q, "givenName": "Kanarie", "surname": "Kortsson",
		"title": "Distriktssköterska", "roles": ["clinician"], "commissions": [%s]}]}`, hsaID, comm)
}

// TestAgentLogin (AU6, RV1 through the wiring): a gateway configured with
// [login] verifies a card's answer against the SITHS chain, a CRL and the
// HSA directory file; removing the person's commission from the file ends
// the session at the reload, and putting it back lets the card in again.
// (Revocation cases are in cardauth/siths.)
func TestAgentLogin(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	crls := &crlServer{}
	crls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		crls.mu.Lock()
		defer crls.mu.Unlock()
		w.Write(crls.crl)
	}))
	defer crls.srv.Close()
	fresh := func(revoked ...*big.Int) []byte {
		b, err := p.PersonCRL(revoked, 1, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	crls.set(fresh())
	const hsa = "SE2321000016-K042"
	cert, key, err := p.Person(hsa, "Kanarie", "Kortsson", devpki.KeyECDSAP256, devpki.CRL(crls.srv.URL+"/person.crl"))
	if err != nil {
		t.Fatal(err)
	}

	cfg := gatewayDir(t, p, "", nil)
	dir := filepath.Dir(cfg.Path())
	dirFile := filepath.Join(dir, "hsa.json")
	if err := os.WriteFile(dirFile, []byte(directoryJSON(hsa, true)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Login = agent.LoginConfig{Origin: gwOrigin, TrustAnchors: []string{"pki/root.pem"}, PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json"}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	cfg, err = agent.LoadConfig(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, cfg, agent.Options{})
	auth := a.Login()

	login := func() (cardauth.Session, error) {
		nonce, _, err := auth.Challenge("browser")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cardauth.NewAuthToken(key, cert, gwOrigin, nonce, "test", false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(tok)
		return auth.Login(context.Background(), "browser", b, "")
	}
	s, err := login()
	if err != nil {
		t.Fatal(err)
	}
	if s.Staff.Title != "Distriktssköterska" || s.Staff.Name != "Kanarie Kortsson" {
		t.Errorf("session staff %+v", s.Staff)
	}
	// The commission removed from the file: the session ends at the reload.
	at := time.Now()
	tmp := dirFile + ".tmp"
	os.WriteFile(tmp, []byte(directoryJSON(hsa, false)), 0o644)
	if err := os.Rename(tmp, dirFile); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done:
		t.Logf("commission removed from the directory file → session ended after %v", time.Since(at))
	case <-time.After(10 * time.Second):
		t.Fatal("the session outlived its commission")
	}
	var le *cardauth.LoginError
	if _, err := login(); !errors.As(err, &le) || le.Step != "commission" {
		t.Errorf("login without a commission: %v", err)
	}
	// Commission back; the card revoked on the CRL: refused.
	os.WriteFile(tmp, []byte(directoryJSON(hsa, true)), 0o644)
	os.Rename(tmp, dirFile)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := login(); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("login after the commission came back: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // the reload's debounce
	}
}

// TestLocalReader: a one-workstation clinic. The gateway watches its own
// reader (a private pcscd with vpcd and a virtual card for presence; the
// keys on a SoftHSM2 token through PKCS#11); pulling the card ends the
// session bound to it.
func TestLocalReader(t *testing.T) {
	cardtest.SkipUnlessAvailable(t)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Stop()
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	crl, err := p.PersonCRL(nil, 1, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	crlSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(crl) }))
	defer crlSrv.Close()
	h := softhsm.New(t)
	label := fmt.Sprintf("local-card-%d", tokenSeq.Add(1)) // labels are unique per test binary
	tk := h.InitToken(label, "87654321", "135790")
	const hsa = "SE2321000016-L001"
	tk.ProvisionPerson(p, hsa, "Lokal", "Kortsson", devpki.KeyECDSAP256)

	cfg := gatewayDir(t, p, "", nil)
	dirFile := filepath.Join(filepath.Dir(cfg.Path()), "hsa.json")
	if err := os.WriteFile(dirFile, []byte(directoryJSON(hsa, true)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Login = agent.LoginConfig{Origin: gwOrigin, TrustAnchors: []string{"pki/root.pem"}, PersonCAs: []string{"pki/person-ca.pem"},
		DirectoryFile: "hsa.json", CRLURL: crlSrv.URL, LocalReader: cardtest.ReaderName, PKCS11Module: h.Module(), LocalTokenLabel: label}
	logs := &logtest.Buffer{}
	a := startAgent(t, cfg, agent.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	// The login page signs with the token (as the gateway's own bridge
	// would), the card goes into the reader, then it is pulled.
	tok, err := token.Open(t.Context(), token.Config{Module: h.Module(), TokenLabel: label})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tok.AuthCert(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Login(t.Context(), tk.UserPIN); err != nil {
		t.Fatal(err)
	}
	nonce, _, _ := a.Login().Challenge("browser")
	at, err := cardauth.NewAuthToken(s, s.Certificate(), gwOrigin, nonce, "test", false)
	if err != nil {
		t.Fatal(err)
	}
	tok.Close()
	b, _ := json.Marshal(at)
	sess, err := a.Login().Login(t.Context(), "browser", b, "")
	if err != nil {
		t.Fatal(err)
	}
	card, err := cardtest.Insert(daemon.Port, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The gateway reads the card's fingerprint at the insert; give its
	// watch time to see the card before pulling it.
	time.Sleep(time.Second) // pcscd polls vpcd every ~400 ms: set-up of the reader, not of the code under test
	at0 := time.Now()
	card.Remove()
	select {
	case <-sess.Done:
		t.Logf("card pulled from the gateway's own reader → session ended after %v", time.Since(at0))
	case <-time.After(10 * time.Second):
		t.Fatalf("pulling the card from the local reader did not end the session; log:\n%s", logs)
	}
}
