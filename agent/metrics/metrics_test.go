package metrics

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"

	dto "github.com/prometheus/client_model/go"
)

// TestErrorCounter: Error records are counted by the part their logger
// (or the record) names, whatever level the log itself keeps; other levels
// are not; a part in a group, an odd part and no part are told apart.
func TestErrorCounter(t *testing.T) {
	c := NewErrorCounter()
	var out bytes.Buffer
	log := slog.New(c.Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelError + 4})))
	up := log.With("part", "uplink")
	up.Error("pull failed")
	up.Error("pull failed")
	up.Warn("slow")
	log.Error("x", "part", "store")
	log.Error("no part")
	log.With("part", "Bad Part!\n").Error("odd")
	log.WithGroup("g").With("part", "inner").Error("grouped")
	up.With("part", "notify").Error("later part wins")
	want := map[string]uint64{"uplink": 2, "store": 1, "none": 2, "other": 1, "notify": 1}
	if got := c.Counts(); !reflect.DeepEqual(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if out.Len() != 0 {
		t.Errorf("the log kept records above its level:\n%s", out.String())
	}
	for i := range 2 * maxParts {
		log.Error("many", "part", "p"+strings.Repeat("x", i%32)+string(rune('a'+i/32)))
	}
	if n := len(c.Counts()); n > maxParts+1 {
		t.Errorf("%d distinct parts, want at most %d", n, maxParts+1)
	}
}

type fakeSources struct {
	storeErr error
	sync     *SyncFigures
	notices  *NoticeFigures
	logins   *LoginFigures
	archive  *ArchiveFigures
	backup   *BackupFigures
}

func (f fakeSources) BackupFigures() (BackupFigures, bool) {
	if f.backup == nil {
		return BackupFigures{}, false
	}
	return *f.backup, true
}

func (f fakeSources) StoreFigures(context.Context, time.Time) (StoreFigures, error) {
	if f.storeErr != nil {
		return StoreFigures{}, f.storeErr
	}
	return StoreFigures{CasesByStatus: map[string]int{"received": 7}, Overdue: 2, Outbox: 3, SizeBytes: 4096, KeyTerm: 2}, nil
}

func (f fakeSources) SyncFigures() (SyncFigures, bool) {
	if f.sync == nil {
		return SyncFigures{}, false
	}
	return *f.sync, true
}

func (f fakeSources) NoticeFigures(context.Context) (NoticeFigures, bool, error) {
	if f.notices == nil {
		return NoticeFigures{}, false, nil
	}
	return *f.notices, true, nil
}

func (f fakeSources) LoginFigures() (LoginFigures, bool) {
	if f.logins == nil {
		return LoginFigures{}, false
	}
	return *f.logins, true
}

func (f fakeSources) ArchiveFigures() (ArchiveFigures, bool) {
	if f.archive == nil {
		return ArchiveFigures{}, false
	}
	return *f.archive, true
}

func gather(t *testing.T, src Sources) map[string]*dto.MetricFamily {
	t.Helper()
	reg, err := NewRegistry(NewCollector(src))
	if err != nil {
		t.Fatal(err)
	}
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

func one(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil || len(f.Metric) != 1 {
		t.Fatalf("%s: %v, want one sample", name, f)
	}
	m := f.Metric[0]
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

// TestCollectorParts: the families follow what the gateway has — the
// sync's only online, notices' and logins' only when configured — the
// lag runs from start until the first pull, and a store that does not
// answer leaves its figures out and says so.
func TestCollectorParts(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	now := start.Add(90 * time.Second)
	base := Sources{Version: "1.0", Statuses: []string{"received", "closed"}, LoginSteps: []string{"token"},
		Started: start, Clock: clocktest.New(now)}

	src := base
	src.Store = fakeSources{}
	fams := gather(t, src)
	for _, absent := range []string{"clinicgw_sync_connected", "clinicgw_notice_queue_depth", "clinicgw_logins_total",
		"clinicgw_archive_last_run_timestamp_seconds", "clinicgw_backup_last_run_timestamp_seconds", "clinicgw_log_errors_total"} {
		if fams[absent] != nil {
			t.Errorf("%s reported by a gateway without it", absent)
		}
	}
	if len(fams["clinicgw_cases"].Metric) != 2 || one(t, fams, "clinicgw_outbox_depth") != 3 || one(t, fams, "clinicgw_store_key_term") != 2 {
		t.Errorf("store figures: %v", fams["clinicgw_cases"])
	}

	full := fakeSources{sync: &SyncFigures{Connected: false, Cursor: 41}, notices: &NoticeFigures{Queued: 2, Failing: 1},
		logins: &LoginFigures{Succeeded: 5, Refused: map[string]uint64{"token": 2}, Sessions: 3}, archive: &ArchiveFigures{}, backup: &BackupFigures{}}
	src.Store, src.Sync, src.Notices, src.Login, src.Archive, src.Backup = full, full, full, full, full, full
	fams = gather(t, src)
	if fams["clinicgw_archive_last_run_success"] != nil || one(t, fams, "clinicgw_archive_last_run_timestamp_seconds") != 0 {
		t.Error("before the archive's first run: want a zero time and no success figure")
	}
	if fams["clinicgw_backup_last_run_success"] != nil || fams["clinicgw_backup_last_size_bytes"] != nil || one(t, fams, "clinicgw_backup_last_success_timestamp_seconds") != 0 {
		t.Error("before the first backup: want zero times and no success or size figure")
	}
	*full.archive = ArchiveFigures{LastRun: now, LastOK: false, Cases: 500, Packages: 1, Failures: 1}
	*full.backup = BackupFigures{LastRun: now, LastOK: false, LastSuccess: now.Add(-24 * time.Hour), Bytes: 1 << 20, Failures: 1}
	fams = gather(t, src)
	for name, want := range map[string]float64{"clinicgw_sync_connected": 0, "clinicgw_sync_cursor": 41, "clinicgw_sync_lag_seconds": 90,
		"clinicgw_sync_last_pull_timestamp_seconds": 0, "clinicgw_notice_queue_depth": 2, "clinicgw_notice_queue_failing": 1,
		"clinicgw_logins_total": 5, "clinicgw_login_failures_total": 2, "clinicgw_sessions_active": 3,
		"clinicgw_archive_last_run_timestamp_seconds": float64(now.Unix()), "clinicgw_archive_last_run_success": 0,
		"clinicgw_archive_cases_exported_total": 500, "clinicgw_archive_packages_total": 1, "clinicgw_archive_failures_total": 1,
		"clinicgw_backup_last_run_timestamp_seconds": float64(now.Unix()), "clinicgw_backup_last_run_success": 0,
		"clinicgw_backup_last_success_timestamp_seconds": float64(now.Add(-24 * time.Hour).Unix()), "clinicgw_backup_last_size_bytes": 1 << 20,
		"clinicgw_backup_failures_total": 1} {
		if got := one(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	full.sync.LastPull = now.Add(-10 * time.Second)
	if got := one(t, gather(t, src), "clinicgw_sync_lag_seconds"); got != 10 {
		t.Errorf("lag after a pull: %v, want 10", got)
	}

	src.Store = fakeSources{storeErr: errors.New("database not open")}
	fams = gather(t, src)
	if one(t, fams, "clinicgw_store_up") != 0 || fams["clinicgw_cases"] != nil {
		t.Error("a store that does not answer: want clinicgw_store_up 0 and no case counts")
	}
}

// TestHandler: /metrics wants the bearer token when one is set (and only
// that one); the health paths answer without it, 503 when a check fails,
// /readyz counting only the Ready checks; other paths and methods are
// refused.
func TestHandler(t *testing.T) {
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}}
	reg, err := NewRegistry(NewCollector(src))
	if err != nil {
		t.Fatal(err)
	}
	uplink := "lagging"
	h := Handler(HandlerConfig{Gatherer: reg, Token: "s3cret-token-0123456789", Checks: []Check{
		{Name: "store", Ready: true, Run: func(context.Context) string { return StateOK }},
		{Name: "uplink", Run: func(context.Context) string { return uplink }},
	}})
	do := func(method, path, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct {
		method, path, auth string
		code               int
		body               string
	}{
		{"GET", "/metrics", "", 401, "bearer token"},
		{"GET", "/metrics", "Bearer wrong", 401, ""},
		{"GET", "/metrics", "Basic czNjcmV0LXRva2VuLTAxMjM0NTY3ODk=", 401, ""},
		{"GET", "/metrics", "Bearer s3cret-token-0123456789", 200, "clinicgw_store_up 1"},
		{"GET", "/healthz", "", 503, `{"status":"fail","failed":["uplink"],"checks":{"store":"ok","uplink":"lagging"}}`},
		{"GET", "/readyz", "", 200, `{"status":"ok","checks":{"store":"ok"}}`},
		{"POST", "/healthz", "", 405, ""},
		{"GET", "/", "", 404, ""},
	} {
		w := do(tc.method, tc.path, tc.auth)
		if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.body) {
			t.Errorf("%s %s (%q): %d %q, want %d with %q", tc.method, tc.path, tc.auth, w.Code, w.Body.String(), tc.code, tc.body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: no Cache-Control: no-store", tc.method, tc.path)
		}
	}
	uplink = StateOK
	if w := do("GET", "/healthz", ""); w.Code != http.StatusOK {
		t.Errorf("/healthz with every check ok: %d", w.Code)
	}
}

// TestSyncConflicts: the sync's conflicts are figures on /metrics and make
// /healthz fail with a state that names the parts (never /readyz: staff
// work on); without a central store the check passes.
func TestSyncConflicts(t *testing.T) {
	f := &SyncFigures{}
	src := Sources{Clock: clocktest.New(time.Now()), Store: fakeSources{}, Sync: fakeSources{sync: f}}
	for _, tc := range []struct {
		figures SyncFigures
		state   string
	}{
		{SyncFigures{}, StateOK},
		{SyncFigures{OutboxConflicts: 2}, "outbox"},
		{SyncFigures{InboundConflicts: 1}, "inbound"},
		{SyncFigures{FormsConflict: true}, "forms"},
		{SyncFigures{OutboxConflicts: 1, InboundConflicts: 3, FormsConflict: true}, "outbox+inbound+forms"},
	} {
		*f = tc.figures
		fams := gather(t, src)
		forms := 0.0
		if tc.figures.FormsConflict {
			forms = 1
		}
		if one(t, fams, "clinicgw_outbox_conflicts") != float64(tc.figures.OutboxConflicts) ||
			one(t, fams, "clinicgw_sync_inbound_conflicts_total") != float64(tc.figures.InboundConflicts) ||
			one(t, fams, "clinicgw_forms_conflict") != forms {
			t.Errorf("%+v: metrics %v %v %v", tc.figures, fams["clinicgw_outbox_conflicts"], fams["clinicgw_sync_inbound_conflicts_total"], fams["clinicgw_forms_conflict"])
		}
		reg, err := NewRegistry(NewCollector(src))
		if err != nil {
			t.Fatal(err)
		}
		h := Handler(HandlerConfig{Gatherer: reg, Checks: []Check{ConflictsCheck(src.Sync)}})
		for path, want := range map[string]int{PathHealth: map[bool]int{true: 200, false: 503}[tc.state == StateOK], PathReady: 200} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
			if w.Code != want {
				t.Errorf("%+v: %s answered %d, want %d", tc.figures, path, w.Code, want)
			}
			if path == PathHealth && !strings.Contains(w.Body.String(), `"sync-conflicts":"`+tc.state+`"`) {
				t.Errorf("%+v: /healthz %s, want the state %q", tc.figures, w.Body, tc.state)
			}
		}
	}
	if st := ConflictsCheck(fakeSources{}).Run(context.Background()); st != StateOK {
		t.Errorf("offline: %q", st)
	}
}
