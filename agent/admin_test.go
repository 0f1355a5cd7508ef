package agent_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/agent/metrics"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// adminClient scrapes an admin listener over real HTTP(S).
type adminClient struct {
	t     *testing.T
	base  string
	token string
	http  *http.Client
}

// get fetches path with the bearer token if auth, and returns the status
// and the body.
func (c *adminClient) get(path string, auth bool) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// scrape fetches /metrics and parses it with Prometheus' text parser.
func (c *adminClient) scrape() (map[string]*dto.MetricFamily, string) {
	c.t.Helper()
	code, body := c.get(metrics.PathMetrics, true)
	if code != http.StatusOK {
		c.t.Fatalf("/metrics: %d %s", code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams, body
}

// health fetches /healthz or /readyz and decodes its report.
func (c *adminClient) health(path string) (int, metrics.Report) {
	c.t.Helper()
	code, body := c.get(path, false)
	var rep metrics.Report
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		c.t.Fatalf("%s: %d, not a report: %q", path, code, body)
	}
	return code, rep
}

// value is the one sample of family name whose labels include labels
// (name=value pairs); the test fails if there is none.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	t.Fatalf("no sample of %s with %v", name, labels)
	return 0
}

// The canaries: Skatteverket's well-known test personnummer in both forms
// (and the 10-digit one), a name and message text that must never reach
// /metrics or /healthz.
const (
	canaryPNR     = "19121212-1212"
	canaryPNR12   = "191212121212"
	canaryName    = "Tolvan Kanariesson"
	canaryText    = "Kanarietext: hemlig huvudvärk"
	canaryField   = "Kanarin 5 mg"
	canaryInbound = "Kanarieärende direkt"
)

// TestAdminMetrics: a gateway with the demo clinic's card login and web
// UI, the reference central store over mutual TLS, notices to a mail
// server that is down, the daily archive export (nothing old enough yet)
// and the admin listener on HTTPS (the UI's certificate) with a bearer
// token. Cases with canary patient data arrive
// from the central store, staff assign and answer, a card logs in once and
// fails twice. /metrics, scraped over real HTTPS and parsed with
// Prometheus' text parser, reports exactly what was seeded; neither it nor
// /healthz carries any patient datum (LG3). With the central store gone
// and the clock past admin.sync_lag_limit, /healthz fails on the uplink
// while /readyz stays up.
func TestAdminMetrics(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := "https://" + ln.Addr().String()
	clock := clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, workday.Stockholm())) // a Monday
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: unit, UnitName: unitName, Origin: origin,
		Listen: ln.Addr().String(), Now: clock.Now(), Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	ctx := t.Context()
	cs, err := dc.StartCentral(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var closeCentral sync.Once
	stopCentral := func() { closeCentral.Do(func() { cs.Close() }) }
	t.Cleanup(stopCentral) // after the gateway's stop (cleanups run last first)

	// Four patients write before the gateway starts (its first page brings
	// them all: one new-case notice): the canary twice, in both forms.
	pnrs := []string{canaryPNR, canaryPNR12,
		string(personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981)),
		string(personnummer.Synthetic(time.Date(1991, 1, 2, 0, 0, 0, 0, time.UTC), 982))}
	var ids []cases.ID
	for _, pnr := range pnrs {
		id, err := cs.Store.Submit(ctx, unit, central.Submission{PatientPNR: pnr, PatientName: canaryName,
			FormID: string(casetype.RenewPrescription), Text: canaryText, Fields: []wire.Field{{Name: "medicine", Value: canaryField}}})
		if err != nil {
			t.Fatalf("submit %s: %v", pnr, err)
		}
		ids = append(ids, cases.ID(id))
	}

	// The unit's notice address, as the unit administrator sets it in the
	// web UI; the mail server is down (nothing listens on port 1).
	dir := dc.Dir
	cfg := dc.Config
	putSettings(t, cfg, map[string]any{"unit/settings": map[string]any{"noticeEmail": "enhet@vc.example.se"}})
	token := strings.Repeat("0123456789abcdef", 4)
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.Notify = agent.NotifyConfig{SMTPAddr: "127.0.0.1:1", SMTPFrom: "clinicgw <noreply@vc.example.se>"}
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0", TLS: true, TokenFile: "admin.token", SyncLagLimit: "6m"}
	cfg.Archive = agent.ArchiveConfig{Dir: t.TempDir()} // nothing is old enough to go yet
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	if cfg, err = agent.LoadConfig(cfg.Path()); err != nil {
		t.Fatal(err)
	}

	logs := &logtest.Buffer{}
	a := startAgent(t, cfg, agent.Options{Clock: clock, UIListener: ln, Uplink: fast, Version: "9.8.7-test",
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if a.AdminAddr() == "" {
		t.Fatal("no admin listener")
	}
	c := &adminClient{t: t, base: "https://" + a.AdminAddr(), token: token, http: &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}}}}

	// The cases arrive; one more comes in as the sync would hand it over.
	waitFor(t, "the central store's cases in the gateway", func() bool {
		_, err := a.Cases().Get(ctx, distributor, ids[len(ids)-1])
		return err == nil
	})
	if _, err := a.Cases().Receive(ctx, cases.Submission{Type: casetype.ContactMe, SubmittedAt: clock.Now(),
		Patient: cases.Person{PNR: canaryPNR, Name: canaryName}, Text: canaryInbound}); err != nil {
		t.Fatal(err)
	}
	// Two assigned, one of them answered: 2 received, 1 assigned, 1
	// answered… and the fifth case received too.
	dist := cases.Actor{Kind: cases.Staff, HSAID: democlinic.Staff[0].HSAID, Roles: []cases.Role{cases.Distributor}}
	clin := cases.Actor{Kind: cases.Staff, HSAID: democlinic.Staff[1].HSAID, Roles: []cases.Role{cases.Clinician}}
	for _, id := range ids[:2] {
		if _, err := a.Cases().Do(ctx, dist, id, cases.Command{Action: cases.Assign, Assignee: clin.HSAID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Cases().Do(ctx, clin, ids[0], cases.Command{Action: cases.SendAnswer, Text: "Kanariesvar: receptet är förnyat",
		Signature: "Lars Läkarsson", AuthorTitle: "Läkare"}); err != nil {
		t.Fatal(err)
	}
	wantCases := map[string]float64{"received": 3, "assigned": 1, "answered": 1}

	// A card logs in; a replayed answer and a broken one are refused.
	auth := a.Login()
	nonce, _, err := auth.Challenge("browser-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := dc.Sign(democlinic.Staff[0].HSAID, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Login(ctx, "browser-1", tok, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Login(ctx, "browser-1", tok, ""); err == nil {
		t.Fatal("a replayed login was accepted")
	}
	if _, _, err := auth.Challenge("browser-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Login(ctx, "browser-2", []byte(`{"format":"web-eid:1.0"`), ""); err == nil {
		t.Fatal("a broken token was accepted")
	}

	// Without the token, /metrics is refused; the health paths answer.
	if code, _ := c.get(metrics.PathMetrics, false); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", code)
	}
	// The night's archive run (nothing old enough yet).
	a.RunArchiveNow(ctx)
	// The outbox empties and the notice's first attempt fails.
	var fams map[string]*dto.MetricFamily
	var body string
	waitFor(t, "outbox confirmed, notice failed once, archive run", func() bool {
		fams, body = c.scrape()
		return fams["clinicgw_outbox_depth"] != nil && value(t, fams, "clinicgw_outbox_depth") == 0 &&
			fams["clinicgw_notice_queue_failing"] != nil && value(t, fams, "clinicgw_notice_queue_failing") == 1 &&
			fams["clinicgw_archive_last_run_success"] != nil
	})
	for st, n := range wantCases {
		if got := value(t, fams, "clinicgw_cases", "status", st); got != n {
			t.Errorf("clinicgw_cases{status=%q} = %v, want %v", st, got, n)
		}
	}
	if n := len(fams["clinicgw_cases"].Metric); n != len(cases.Statuses()) {
		t.Errorf("clinicgw_cases has %d statuses, want every one (%d)", n, len(cases.Statuses()))
	}
	curs, err := cs.Store.Head(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"clinicgw_build_info", []string{"version", "9.8.7-test"}, 1},
		{"clinicgw_cases", []string{"status", "withdrawn"}, 0},
		{"clinicgw_cases_overdue", nil, 0},
		{"clinicgw_store_up", nil, 1},
		{"clinicgw_store_key_term", nil, 1},
		{"clinicgw_sync_connected", nil, 1},
		{"clinicgw_sync_cursor", nil, float64(curs)},
		{"clinicgw_sync_lag_seconds", nil, 0}, // the fake clock stands still
		{"clinicgw_sync_last_pull_timestamp_seconds", nil, float64(clock.Now().Unix())},
		{"clinicgw_outbox_rejected", nil, 0},
		{"clinicgw_notice_queue_depth", nil, 1},
		{"clinicgw_logins_total", nil, 1},
		{"clinicgw_login_failures_total", []string{"reason", "challenge"}, 1},
		{"clinicgw_login_failures_total", []string{"reason", "token"}, 1},
		{"clinicgw_login_failures_total", []string{"reason", "certificate"}, 0},
		{"clinicgw_sessions_active", nil, 1},
		{"clinicgw_archive_last_run_timestamp_seconds", nil, float64(clock.Now().Unix())},
		{"clinicgw_archive_last_run_success", nil, 1},
		{"clinicgw_archive_cases_exported_total", nil, 0},
		{"clinicgw_archive_failures_total", nil, 0},
	} {
		if got := value(t, fams, w.name, w.labels...); got != w.want {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.want)
		}
	}
	if value(t, fams, "clinicgw_store_size_bytes") <= 0 {
		t.Error("clinicgw_store_size_bytes is not positive")
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if fams[name] == nil {
			t.Errorf("no %s: the standard collectors are missing", name)
		}
	}

	code, rep := c.health(metrics.PathHealth)
	if code != http.StatusOK || rep.Status != "ok" || len(rep.Checks) != 8 {
		t.Errorf("/healthz: %d %+v, want 200 with gateway, store, ui, uplink, sync-conflicts, sync-quarantine, sync-continuity and restore-recovery ok", code, rep)
	}
	if os.Getenv("ADMIN_DUMP") != "" {
		t.Log(body)
	}
	_, healthBody := c.get(metrics.PathHealth, false)
	_, readyBody := c.get(metrics.PathReady, false)

	// The central store goes away: staff work on (an assignment waits in
	// the outbox), and once the clock is past the lag limit /healthz says
	// the uplink lags while /readyz stays up.
	stopCentral()
	waitFor(t, "the stream down", func() bool { st, _ := a.Uplink(); return !st.Connected })
	if _, err := a.Cases().Do(ctx, dist, ids[2], cases.Command{Action: cases.Assign, Assignee: clin.HSAID}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(6*time.Minute + time.Second)
	fams, body2 := c.scrape()
	for _, w := range []struct {
		name string
		want float64
	}{{"clinicgw_outbox_depth", 1}, {"clinicgw_sync_connected", 0}} {
		if got := value(t, fams, w.name); got != w.want {
			t.Errorf("central store down: %s = %v, want %v", w.name, got, w.want)
		}
	}
	if lag := value(t, fams, "clinicgw_sync_lag_seconds"); lag < 361 {
		t.Errorf("clinicgw_sync_lag_seconds = %v, want at least 361", lag)
	}
	code, rep = c.health(metrics.PathHealth)
	if code != http.StatusServiceUnavailable || rep.Status != "fail" || fmt.Sprint(rep.Failed) != "[uplink]" || rep.Checks["uplink"] != "lagging" {
		t.Errorf("/healthz with the uplink lagging: %d %+v, want 503 failing on the uplink", code, rep)
	}
	code, rep = c.health(metrics.PathReady)
	if code != http.StatusOK || rep.Status != "ok" {
		t.Errorf("/readyz with the uplink lagging: %d %+v, want 200", code, rep)
	}
	_, healthBody2 := c.get(metrics.PathHealth, false)

	// LG3: no patient datum in anything the admin listener served.
	served := strings.Join([]string{body, body2, healthBody, readyBody, healthBody2}, "\n")
	canaries := append([]string{canaryPNR, canaryPNR12, "121212-1212", "1212121212", canaryName, "Tolvan", "Kanarie",
		canaryText, canaryField, canaryInbound, "enhet@vc.example.se"}, pnrs...)
	for _, p := range pnrs {
		canaries = append(canaries, strings.ReplaceAll(p, "-", ""))
	}
	for _, canary := range canaries {
		if strings.Contains(served, canary) {
			t.Errorf("the admin listener served patient data %q", canary)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the bearer token reached the log")
	}
}

// TestAdminHealthStoreClosed: an offline gateway's admin listener on
// loopback (plain HTTP, no token): /healthz and /readyz are 200 while the
// store answers; with the store closed under it both say 503 naming the
// store, and /metrics still answers with clinicgw_store_up 0.
func TestAdminHealthStoreClosed(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	a := startAgent(t, cfg, agent.Options{})
	c := &adminClient{t: t, base: "http://" + a.AdminAddr(), http: &http.Client{}}
	for _, path := range []string{metrics.PathHealth, metrics.PathReady} {
		if code, rep := c.health(path); code != http.StatusOK || rep.Checks["store"] != "ok" || rep.Checks["gateway"] != "ok" {
			t.Errorf("%s: %d %+v, want 200", path, code, rep)
		}
	}
	if fams, _ := c.scrape(); value(t, fams, "clinicgw_cases", "status", "received") != 0 || fams["clinicgw_sync_connected"] != nil {
		t.Error("an empty offline gateway's metrics: want 0 received cases and no sync figures")
	}
	if err := a.Store().Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{metrics.PathHealth, metrics.PathReady} {
		code, rep := c.health(path)
		if code != http.StatusServiceUnavailable || fmt.Sprint(rep.Failed) != "[store]" || rep.Checks["store"] != "unavailable" {
			t.Errorf("%s with the store closed: %d %+v, want 503 failing on the store", path, code, rep)
		}
	}
	fams, _ := c.scrape()
	if value(t, fams, "clinicgw_store_up") != 0 || fams["clinicgw_cases"] != nil {
		t.Error("with the store closed: want clinicgw_store_up 0 and no case counts")
	}
}

// TestAdminHealthStoreDamaged: a store file damaged under the running
// gateway (cut short: its pages gone from under bbolt's mapping) makes
// /healthz and /readyz say 503 with the store "damaged", instead of the
// fault ending the process.
func TestAdminHealthStoreDamaged(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	a := startAgent(t, cfg, agent.Options{})
	c := &adminClient{t: t, base: "http://" + a.AdminAddr(), http: &http.Client{}}
	if code, rep := c.health(metrics.PathReady); code != http.StatusOK {
		t.Fatalf("/readyz: %d %+v, want 200", code, rep)
	}
	if err := os.Truncate(cfg.StorePath(), 2*16384); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{metrics.PathHealth, metrics.PathReady, metrics.PathReady} {
		code, rep := c.health(path)
		if code != http.StatusServiceUnavailable || rep.Checks["store"] != "damaged" {
			t.Errorf("%s with the store cut short: %d %+v, want 503 with the store damaged", path, code, rep)
		}
	}
	if err := a.Store().Damaged(); err == nil || !strings.Contains(err.Error(), cfg.StorePath()) {
		t.Errorf("Damaged() = %v, want the store named", err)
	}
}
