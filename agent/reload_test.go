package agent_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/logtest"
)

// reloadGateway is a running gateway with staff login and notices whose
// configuration file the test edits.
type reloadGateway struct {
	t      *testing.T
	a      *agent.Agent
	path   string // the configuration file
	text   string // its content at the start
	logs   *logtest.Buffer
	events chan agent.ReloadStatus
}

// card is a member of staff's card in software.
type card struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// testPKI is a SITHS-like PKI written under the gateway's folder, with its
// person CA's CRL served on loopback, and a card on it for hsaID.
func testPKI(t *testing.T, dir, sub, hsaID string) (*devpki.PKI, card) {
	t.Helper()
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WriteDir(filepath.Join(dir, sub)); err != nil {
		t.Fatal(err)
	}
	crl, err := p.PersonCRL(nil, 1, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(crl) }))
	t.Cleanup(srv.Close)
	cert, key, err := p.Person(hsaID, "Kanarie", "Kortsson", devpki.KeyECDSAP256, devpki.CRL(srv.URL+"/person.crl"))
	if err != nil {
		t.Fatal(err)
	}
	return p, card{cert, key}
}

// directoryFile is a staff directory with each of hsaIDs commissioned.
func directoryFile(hsaIDs ...string) string {
	var people []string
	for _, id := range hsaIDs {
		people = append(people, fmt.Sprintf(`{"hsaId": %q, "givenName": "Kanarie", "surname": "Kortsson", "title": "Sjuksköterska",
			"roles": ["clinician"], "commissions": [{"unit": %q, "purpose": "Vård och behandling", "validFrom": "2020-01-01"}]}`, id, unit))
	}
	return `{"version": 1, "people": [` + strings.Join(people, ",") + `]}`
}

// startReloadGateway starts a gateway from a folder made as gatewayDir
// makes it, changed by setup before the configuration is written.
func startReloadGateway(t *testing.T, p *devpki.PKI, setup func(dir string, cfg *agent.Config)) *reloadGateway {
	t.Helper()
	cfg := gatewayDir(t, p, "", nil)
	dir := filepath.Dir(cfg.Path())
	cfg.Login = agent.LoginConfig{Origin: gwOrigin, TrustAnchors: []string{"pki/root.pem"}, PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json"}
	cfg.Notify = agent.NotifyConfig{SMTPAddr: "127.0.0.1:1", SMTPFrom: "clinicgw <noreply@vc.example.se>", Digest: "15m"}
	if setup != nil {
		setup(dir, cfg)
	}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	cfg, err := agent.LoadConfig(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	g := &reloadGateway{t: t, path: cfg.Path(), text: string(text), logs: &logtest.Buffer{}, events: make(chan agent.ReloadStatus, 16)}
	g.a = startAgent(t, cfg, agent.Options{Logger: slog.New(slog.NewTextHandler(g.logs, nil)),
		OnReload: func(st agent.ReloadStatus) { g.events <- st }})
	return g
}

// edit replaces the configuration file as an editor saves it: a new file
// renamed over the old.
func (g *reloadGateway) edit(content string) time.Time {
	g.t.Helper()
	return replaceFile(g.t, g.path, content)
}

func replaceFile(t *testing.T, path, content string) time.Time {
	t.Helper()
	tmp := path + ".swp"
	if err := os.WriteFile(tmp, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return at
}

// next waits for the gateway's next reload outcome.
func (g *reloadGateway) next(what string) agent.ReloadStatus {
	g.t.Helper()
	select {
	case st := <-g.events:
		return st
	case <-time.After(20 * time.Second):
		g.t.Fatalf("%s: no reload within 20 s; log:\n%s", what, g.logs)
	}
	return agent.ReloadStatus{}
}

// login logs the card in and returns the step that refused it, "" if none.
func (g *reloadGateway) login(c card) string {
	g.t.Helper()
	_, step := g.session(c)
	return step
}

// session logs the card in and returns the session, or the step that
// refused it.
func (g *reloadGateway) session(c card) (cardauth.Session, string) {
	g.t.Helper()
	auth := g.a.Login()
	nonce, _, err := auth.Challenge("browser")
	if err != nil {
		g.t.Fatal(err)
	}
	tok, err := cardauth.NewAuthToken(c.key, c.cert, gwOrigin, nonce, "test", false)
	if err != nil {
		g.t.Fatal(err)
	}
	b, _ := json.Marshal(tok)
	s, err := auth.Login(context.Background(), "browser", b, "")
	var le *cardauth.LoginError
	switch {
	case err == nil:
		return s, ""
	case errors.As(err, &le):
		return s, le.Step
	}
	g.t.Fatalf("login: %v", err)
	return s, ""
}

// lineOf is the 1-based line of the first line of text holding s.
func lineOf(text, s string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// TestReloadRefusesBadFile: each kind of bad edit — not TOML, an unknown
// key, a value of the wrong type, a value Validate refuses, a file the
// configuration names missing or unreadable, a CRL address that serves no
// CRL — is refused in the first
// phase with the file, the line and the key; the configuration in use
// stays (the same notice digest, login with the same card), and the
// refusal is in the log and the status. Putting the good file back clears
// it without a reload.
func TestReloadRefusesBadFile(t *testing.T) {
	const hsa = "SE2321000016-K101"
	var c card
	notCRL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>proxy</html>")) }))
	defer notCRL.Close()
	var p *devpki.PKI
	tests := []struct {
		name string
		edit func(dir, text string) string
		key  string // the key the error names
		line string // the text on the line it names; "" when the error has no key's line
		want string // more the error says
	}{
		{"not TOML", func(_, text string) string { return strings.Replace(text, "[notify]", "[notify", 1) },
			"", "[notify", ""},
		{"unknown table", func(_, text string) string { return strings.Replace(text, "[notify]", "[notfy]", 1) },
			`unknown key "notfy"`, "[notfy]", `did you mean "notify"?`},
		{"wrong type", func(_, text string) string { return strings.Replace(text, "soft_fail = false", `soft_fail = "x"`, 1) },
			"login.soft_fail", `soft_fail = "x"`, "expected true or false, found a string"},
		{"invalid value", func(_, text string) string { return strings.Replace(text, `digest = "15m"`, `digest = "5s"`, 1) },
			"notify.digest", `digest = "5s"`, "expected a duration from 1m to 24h"},
		{"missing directory file", func(_, text string) string {
			return strings.Replace(text, `directory_file = "hsa.json"`, `directory_file = "hsa-saknas.json"`, 1)
		}, "login.directory_file", "directory_file =", "no such file"},
		{"directory file that does not parse", func(dir, text string) string {
			os.WriteFile(filepath.Join(dir, "hsa-trasig.json"), []byte(`{"version": 1, "people": [`), 0o644)
			return strings.Replace(text, `directory_file = "hsa.json"`, `directory_file = "hsa-trasig.json"`, 1)
		}, "login.directory_file", "directory_file =", "hsa-trasig.json"},
		{"unparsable trust anchor", func(dir, text string) string {
			os.WriteFile(filepath.Join(dir, "pki", "bad-root.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
			return strings.Replace(text, `trust_anchors = ["pki/root.pem"]`, `trust_anchors = ["pki/bad-root.pem"]`, 1)
		}, "login.trust_anchors", "trust_anchors =", "bad-root.pem"},
		{"person CA not under the trust anchors", func(dir, text string) string {
			other, err := devpki.New(nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			other.WriteDir(filepath.Join(dir, "other"))
			return strings.Replace(text, `trust_anchors = ["pki/root.pem"]`, `trust_anchors = ["other/root.pem"]`, 1)
		}, "login.person_cas", "person_cas =", "is not issued by any certificate in login.trust_anchors"},
		{"CRL address that serves no CRL", func(_, text string) string {
			return strings.Replace(text, `crl_url = ""`, fmt.Sprintf("crl_url = %q", notCRL.URL), 1)
		}, "login.crl_url", "crl_url =", "not a fresh, complete CRL of a person CA"},
	}
	var err error
	p, err = devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := startReloadGateway(t, p, func(dir string, cfg *agent.Config) {
				_, c = testPKI(t, dir, "pki", hsa) // replaces p's files under pki/: the card's PKI is the gateway's
				os.WriteFile(filepath.Join(dir, "hsa.json"), []byte(directoryFile(hsa)), 0o644)
			})
			if step := g.login(c); step != "" {
				t.Fatalf("login before the edit refused at %s", step)
			}
			before := *g.a.Config()
			bad := tt.edit(filepath.Dir(g.path), g.text)
			if bad == g.text {
				t.Fatal("the edit changed nothing")
			}
			replaceFile(t, g.path, bad)
			err := g.a.Reload(t.Context()) // at once, whether or not the watch was first
			if err == nil {
				t.Fatal("the bad file was taken up")
			}
			st := g.a.ReloadStatus()
			msg := err.Error()
			if st.LastError != msg {
				t.Errorf("status says %q, Reload %q", st.LastError, msg)
			}
			want := []string{fmt.Sprintf("%s:%d:", g.path, lineOf(bad, tt.line)), tt.key, tt.want}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			t.Logf("refused: %s", msg)
			if got := *g.a.Config(); fmt.Sprint(got) != fmt.Sprint(before) {
				t.Errorf("configuration in use changed:\n%+v\nwas\n%+v", got, before)
			}
			if step := g.login(c); step != "" {
				t.Errorf("login with the old configuration refused at %s", step)
			}
			waitFor(t, "the refusal in the log", func() bool {
				return strings.Contains(g.logs.String(), `level=ERROR msg="config file refused; the configuration in use stays"`) &&
					strings.Contains(g.logs.String(), fmt.Sprintf("line=%d", lineOf(bad, tt.line)))
			})
			// The good file back: the status clears, nothing is reloaded.
			g.edit(g.text)
			if err := g.a.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			if st := g.a.ReloadStatus(); st.LastError != "" || !st.ReloadedAt.IsZero() {
				t.Errorf("status after the good file came back: %+v", st)
			}
		})
	}
}

// TestReloadTrustAnchors: the trust anchors and person CAs change while
// the gateway runs — a card from the CA taken out of the file is refused
// at its next login and its open session ends at the reload, one from the
// CA kept still logs in and keeps its session — and a directory
// file named anew, with one more member of staff, is taken up with them;
// the notice digest and the archive's age change; a key that needs a
// restart (unit.name) is reported and not applied.
// The edits reach the gateway by the file watch alone (fsnotify on the
// folder, debounced).
func TestReloadTrustAnchors(t *testing.T) {
	const hsa1, hsa2, hsa3 = "SE2321000016-K201", "SE2321000016-K202", "SE2321000016-K203"
	var c1, c2, c3 card
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	g := startReloadGateway(t, p, func(dir string, cfg *agent.Config) {
		var p1 *devpki.PKI
		p1, c1 = testPKI(t, dir, "pki", hsa1)
		_, c2 = testPKI(t, dir, "pki2", hsa2)
		cert3, key3, err := p1.Person(hsa3, "Ny", "Kortsson", devpki.KeyECDSAP256, devpki.CRL(c1.cert.CRLDistributionPoints...))
		if err != nil {
			t.Fatal(err)
		}
		c3 = card{cert3, key3}
		os.WriteFile(filepath.Join(dir, "hsa.json"), []byte(directoryFile(hsa1, hsa2)), 0o644)
		os.WriteFile(filepath.Join(dir, "hsa-ny.json"), []byte(directoryFile(hsa1, hsa2, hsa3)), 0o644)
		cfg.Login.TrustAnchors = []string{"pki/root.pem", "pki2/root.pem"}
		cfg.Login.PersonCAs = []string{"pki/person-ca.pem", "pki2/person-ca.pem"}
		cfg.Central.CertFile, cfg.Central.KeyFile = "pki/unit.pem", "pki/unit.key" // the archive's signing key
		cfg.Archive = agent.ArchiveConfig{Dir: "arkiv", AgeDays: 90}
	})
	if got := g.a.ArchiveAge(); got != 90*24*time.Hour {
		t.Fatalf("archive age at the start: %v", got)
	}
	s1, step1 := g.session(c1)
	s2, step2 := g.session(c2)
	if step1 != "" || step2 != "" {
		t.Fatalf("login before the reload refused at %q, %q", step1, step2)
	}
	if step := g.login(c3); step != "commission" {
		t.Fatalf("a card not in the directory: refused at %q, want commission", step)
	}
	edited := strings.NewReplacer(
		`trust_anchors = ["pki/root.pem", "pki2/root.pem"]`, `trust_anchors = ["pki/root.pem"]`,
		`person_cas = ["pki/person-ca.pem", "pki2/person-ca.pem"]`, `person_cas = ["pki/person-ca.pem"]`,
		`directory_file = "hsa.json"`, `directory_file = "hsa-ny.json"`,
		`digest = "15m"`, `digest = "30m"`,
		"age_days = 90", "age_days = 30",
		unitName, "Vårdcentralen Nytt Namn",
	).Replace(g.text)
	at := g.edit(edited)
	st := g.next("the edited file")
	t.Logf("trust anchors, directory file, digest, archive age and unit name edited → reloaded after %v", time.Since(at))
	if st.LastError != "" || st.ReloadedAt.IsZero() {
		t.Fatalf("status after the edit: %+v", st)
	}
	if fmt.Sprint(st.Restart) != "[unit.name]" {
		t.Errorf("keys waiting for a restart: %v, want [unit.name]", st.Restart)
	}
	select {
	case <-s2.Done:
	default:
		t.Error("the session of the card from the removed CA outlived the reload")
	}
	select {
	case <-s1.Done:
		t.Error("the session of the card from the kept CA ended at the reload")
	default:
	}
	if step := g.login(c2); step != "certificate" {
		t.Errorf("card from the removed CA: refused at %q, want certificate", step)
	}
	if step := g.login(c1); step != "" {
		t.Errorf("card from the kept CA refused at %s", step)
	}
	if step := g.login(c3); step != "" {
		t.Errorf("member of staff in the new directory file refused at %s", step)
	}
	cfg := g.a.Config()
	if cfg.Notify.Digest != "30m" || cfg.Unit.Name != unitName || cfg.Login.DirectoryFile != "hsa-ny.json" {
		t.Errorf("configuration in use: notify %+v, unit %+v, directory %s", cfg.Notify, cfg.Unit, cfg.Login.DirectoryFile)
	}
	if got := g.a.NoticeDigest(); got != 30*time.Minute {
		t.Errorf("notice digest after the reload: %v, want 30m", got)
	}
	if got := g.a.ArchiveAge(); got != 30*24*time.Hour {
		t.Errorf("archive age after the reload: %v, want 30 days", got)
	}
	for _, w := range []string{`msg="config reloaded"`, "applied=archive.age_days,login.directory_file,login.person_cas,login.trust_anchors,notify.digest",
		`level=WARN msg="config changes wait for a restart of the service"`, "keys=unit.name"} {
		if !strings.Contains(g.logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, g.logs)
		}
	}
	// The old directory file's watch stopped: a change to it changes nothing.
	os.WriteFile(filepath.Join(filepath.Dir(g.path), "hsa.json"), []byte(directoryFile(hsa1)), 0o644)
	if step := g.login(c3); step != "" {
		t.Errorf("after a change to the old directory file: refused at %s", step)
	}
}
