package localui_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/workday"
)

// TestConfigReloadInUI (issue 7, "a config with a typo"): the running
// gateway — store, card login, directory, notices and the web UI on real
// TLS — has its configuration file edited on disk. A typo ([notfy]) is
// refused: the log has the error with the file, line and key, the
// gateway goes on serving the old configuration (the UI answers, a card
// logs in) and the unit administrator's page shows the banner, in Swedish
// and in English. The file fixed, with a new directory file holding one
// more member of staff, a new notice digest and a new unit name: the
// gateway takes it up without a restart, found by the file watch alone —
// the new member logs in through the UI, the log says "config reloaded",
// the page says when, and that the unit name waits for a restart.
func TestConfigReloadInUI(t *testing.T) {
	events := make(chan agent.ReloadStatus, 16)
	c := startClinicReload(t, events)
	cfgPath := c.dc.Config.Path()
	good, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	next := func(what string) agent.ReloadStatus {
		t.Helper()
		select {
		case st := <-events:
			return st
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: no reload within 20 s; log:\n%s", what, c.logs)
		}
		return agent.ReloadStatus{}
	}
	admin := c.login(hsaAdmin)
	if _, body := admin.getBody("/admin/unit"); strings.Contains(body, `id="config-state"`) {
		t.Fatal("the unit page shows a configuration state before any edit")
	}

	// A typo.
	typo := strings.Replace(string(good), "[notify]", "[notfy]", 1)
	line := 1 + strings.Count(typo[:strings.Index(typo, "[notfy]")], "\n")
	at := replace(t, cfgPath, typo)
	st := next("the file with a typo")
	t.Logf("typo saved → refusal reported after %v", time.Since(at))
	where := fmt.Sprintf("%s:%d:", cfgPath, line)
	if !strings.Contains(st.LastError, where) || !strings.Contains(st.LastError, `unknown key "notfy"`) {
		t.Fatalf("status: %+v, want the error at %s naming notfy", st, where)
	}
	logs := c.logs.String()
	for _, w := range []string{`level=ERROR msg="config file refused; the configuration in use stays"`, fmt.Sprintf("line=%d key=notfy", line)} {
		if !strings.Contains(logs, w) {
			t.Errorf("log lacks %q:\n%s", w, logs)
		}
	}
	r, body := admin.getBody("/admin/unit")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("unit page with the old configuration: %d", r.StatusCode)
	}
	for _, w := range []string{`id="config-error"`, "Konfigurationsfilen kunde inte läsas in:", where, "notfy", "den tidigare inställningen gäller"} {
		if !strings.Contains(body, w) {
			t.Errorf("unit page lacks %q", w)
		}
	}
	if r, _ := admin.form("/lang", url.Values{"lang": {"en"}, "back": {"/admin/unit"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("language switch: %d", r.StatusCode)
	}
	if _, body := admin.getBody("/admin/unit"); !strings.Contains(body, "The configuration file could not be read:") ||
		!strings.Contains(body, "the previous settings stay in use") {
		t.Error("the English unit page lacks the banner")
	}
	admin.form("/lang", url.Values{"lang": {"sv"}, "back": {"/admin/unit"}})
	c.login(hsaDist) // the old configuration logs a card in

	// The fix, with a new directory file, digest and unit name.
	newcomer := democlinic.Member{HSAID: "SE2321000016-DEMONY", Given: "Nina", Surname: "Nykomling", Title: "Sjuksköterska",
		Roles: []cases.Role{cases.Clinician}}
	cert, key, err := c.dc.PKI.Person(newcomer.HSAID, newcomer.Given, newcomer.Surname, devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	c.dc.Cards[newcomer.HSAID] = democlinic.Card{Cert: cert, Key: key}
	if err := democlinic.WriteDirectory(filepath.Join(c.dc.Dir, "hsa-ny.json"), testUnit,
		append(append([]democlinic.Member{}, democlinic.Staff...), newcomer), c.clock.Now()); err != nil {
		t.Fatal(err)
	}
	fixed := strings.NewReplacer(`directory_file = "hsa.json"`, `directory_file = "hsa-ny.json"`,
		`digest = "15m"`, `digest = "30m"`, testUnitName, "Vårdcentralen Nytt Namn").Replace(string(good))
	at = replace(t, cfgPath, fixed)
	st = next("the fixed file")
	t.Logf("fixed file saved → applied after %v", time.Since(at))
	if st.LastError != "" || !st.ReloadedAt.Equal(c.clock.Now()) || fmt.Sprint(st.Restart) != "[unit.name]" {
		t.Fatalf("status after the fix: %+v", st)
	}
	if !strings.Contains(c.logs.String(), `msg="config reloaded"`) {
		t.Errorf("log lacks the reload:\n%s", c.logs)
	}
	if got := c.gw.Config().Notify.Digest; got != "30m" {
		t.Errorf("digest in use %q, want 30m", got)
	}
	c.login(newcomer.HSAID) // fails the test if the UI refuses the new member
	_, body = admin.getBody("/admin/unit")
	for _, w := range []string{`id="config-reloaded"`, "Konfigurationen lästes in 2026-11-23 09:00", `id="config-restart"`, "<code>unit.name</code>"} {
		if !strings.Contains(body, w) {
			t.Errorf("unit page lacks %q", w)
		}
	}
	if strings.Contains(body, "config-error") {
		t.Error("the unit page still shows the refusal")
	}
}

// replace saves content over path as an editor does: a new file renamed
// over the old one.
func replace(t *testing.T, path, content string) time.Time {
	t.Helper()
	tmp := path + "~"
	if err := os.WriteFile(tmp, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return at
}

// startClinicReload is startClinic with notices configured (a mail server
// that is down) and the gateway's reloads reported on events.
func startClinicReload(t *testing.T, events chan<- agent.ReloadStatus) *clinic {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "https://" + ln.Addr().String()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm()))
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: testUnit, UnitName: testUnitName,
		Origin: origin, Listen: ln.Addr().String(), Now: clock.Now(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	dc.Config.Notify = agent.NotifyConfig{SMTPAddr: "127.0.0.1:1", SMTPFrom: "clinicgw <noreply@vc.example.se>", Digest: "15m"}
	if err := dc.Config.Write(dc.Config.Path()); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	gw, err := agent.New(dc.Config, agent.Options{Clock: clocktest.RealTimers(clock), UIListener: ln,
		Logger:   slog.New(slog.NewTextHandler(logs, nil)),
		OnReload: func(st agent.ReloadStatus) { events <- st }})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := gw.Stop(); err != nil {
			t.Errorf("gateway stop: %v", err)
		}
	})
	return &clinic{t: t, dc: dc, gw: gw, origin: origin, clock: clock, logs: logs,
		tls: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}}
}
