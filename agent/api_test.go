package agent_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestAgentIntegrationAPI: a gateway with [api] serves FHIR over mutual
// TLS to a system in the directory file's systems section (curl with its
// function certificate); taking the system out of the file refuses it at
// the directory's reload.
func TestAgentIntegrationAPI(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	dir := filepath.Dir(cfg.Path())
	srv, err := p.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// The function CA's OCSP responder: the API checks the system's
	// certificate at each request, failing closed without an answer.
	ocspSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		der, err := p.SignFunctionOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
			ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour)})
		if err != nil {
			http.Error(w, "sign", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(der)
	}))
	t.Cleanup(ocspSrv.Close)
	// The certificate names no responder: the region's proxy
	// (login.ocsp_url) answers for it, as for the staff's cards.
	sys, err := p.Unit("SE2321000016-9001", "Journalsystemet")
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(filepath.Join(dir, "pki"), "api", srv); err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(filepath.Join(dir, "pki"), "record", sys); err != nil {
		t.Fatal(err)
	}
	const hsa = "SE2321000016-K042"
	withSystem := strings.TrimSuffix(directoryJSON(hsa, true), "}") +
		`, "systems": [{"hsaId": "SE2321000016-9001", "name": "Journalsystemet", "may": ["read-cases", "read-bookings"]}]}`
	dirFile := filepath.Join(dir, "hsa.json")
	if err := os.WriteFile(dirFile, []byte(withSystem), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Login = agent.LoginConfig{Origin: gwOrigin, TrustAnchors: []string{"pki/root.pem"}, PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json",
		OCSPURL: ocspSrv.URL}
	cfg.API = agent.APIConfig{Listen: "127.0.0.1:0", CertFile: "pki/api.pem", KeyFile: "pki/api.key",
		TrustAnchors: []string{"pki/root.pem"}, FunctionCAs: []string{"pki/function-ca.pem"}}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	cfg, err = agent.LoadConfig(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	a := startAgent(t, cfg, agent.Options{})
	curl := func(path string) string {
		out, err := exec.Command("curl", "-sS", "--max-time", "60", "--cacert", filepath.Join(dir, "pki", "root.pem"),
			"--cert", filepath.Join(dir, "pki", "record.pem"), "--key", filepath.Join(dir, "pki", "record.key"),
			"-w", "\n%{http_code}", "https://"+a.APIAddr()+path).Output()
		if err != nil {
			t.Fatalf("curl %s: %v", path, err)
		}
		return string(out)
	}
	if out := curl("/metadata"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, `"CapabilityStatement"`) {
		t.Fatalf("/metadata: %s", out)
	}
	if out := curl("/Task?status=requested"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, `"searchset"`) {
		t.Fatalf("/Task: %s", out)
	}
	// The booking diary is served (empty: no times yet).
	if out := curl("/Slot"); !strings.HasSuffix(out, "\n200") || !strings.Contains(out, `"searchset"`) {
		t.Fatalf("/Slot: %s", out)
	}
	// The change feed hears of a case the service stores.
	start := curl("/Task/_changes")
	i := strings.Index(start, "/Task/_changes?_since=")
	if i < 0 {
		t.Fatalf("feed start: %s", start)
	}
	next := start[i : i+strings.IndexByte(start[i:], '"')]
	c, err := a.Cases().Receive(t.Context(), cases.Submission{Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980), Name: "Test Testsson"},
		Text:    "Ny fråga.", SubmittedAt: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if out := curl(next + "&_wait=30"); !strings.Contains(out, `"id":"`+string(c.ID)+`"`) {
		t.Errorf("the feed did not announce the new case: %s", out)
	}
	tmp := dirFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(directoryJSON(hsa, true)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dirFile); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out := curl("/Task")
		if strings.HasSuffix(out, "\n403") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the system taken out of the directory is still let in: %s", out)
		}
		time.Sleep(50 * time.Millisecond) // the directory watcher's debounce; not a timing assertion
	}
}
