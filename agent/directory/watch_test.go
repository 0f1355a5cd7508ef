package directory

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
)

// harness runs a Watcher on a real file in a temp folder with a real
// fsnotify watch, and reports every read of the file and every change.
type harness struct {
	w        *Watcher
	outcomes chan outcome
	changes  chan []string // Revoked(old, new) at each OnChange
	refusals chan error
	logs     *logtest.Buffer
}

var now = at("2026-05-04 10:00")

// watch starts a harness on path; tick, if not nil, replaces the poll
// ticker, and prepare runs after the watch is set, before it runs.
func watch(t *testing.T, path string, tick chan time.Time, prepare func(*Watcher)) *harness {
	t.Helper()
	h := &harness{outcomes: make(chan outcome, 100), changes: make(chan []string, 100), refusals: make(chan error, 100), logs: &logtest.Buffer{}}
	// The debounce lets real file events settle in real time (the test's
	// tick replaces the poll ticker); the time read is the test's.
	w, err := Load(path, Options{
		Clock:     clocktest.RealTimers(clocktest.New(now)),
		Logger:    slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Debounce:  50 * time.Millisecond,
		Poll:      -1,
		OnChange:  func(old, new *Directory) { h.changes <- Revoked(old, new, unit, now) },
		OnRefused: func(err error) { h.refusals <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	if tick != nil {
		w.tick = tick
	}
	if err := w.start(); err != nil {
		t.Fatal(err)
	}
	w.checked = func(o outcome) { h.outcomes <- o } // after start's own read

	if prepare != nil {
		prepare(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go w.loop(ctx)
	t.Cleanup(func() {
		cancel()
		if err := w.Wait(); err != nil {
			t.Errorf("the watch stopped early: %v", err)
		}
	})
	h.w = w
	return h
}

// next waits for the next read of the file.
func (h *harness) next(t *testing.T, what string) outcome {
	t.Helper()
	select {
	case o := <-h.outcomes:
		return o
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: the file was not read again within 10 s", what)
		return 0
	}
}

// loaded waits until a new directory is in use (a half-written file may be
// read and refused on the way: the old directory stays meanwhile) and
// checks the one change it made.
func (h *harness) loaded(t *testing.T, what string, revoked []string) {
	t.Helper()
	for h.next(t, what) != loaded {
	}
	select { // OnChange runs before the read is reported
	case got := <-h.changes:
		if !slices.Equal(got, revoked) {
			t.Errorf("%s: Revoked = %v, want %v", what, got, revoked)
		}
	default:
		t.Fatalf("%s: no OnChange", what)
	}
	h.noChange(t, what)
	for len(h.refusals) > 0 { // passing states (a cut file) do not matter
		<-h.refusals
	}
}

func (h *harness) noChange(t *testing.T, what string) {
	t.Helper()
	select {
	case got := <-h.changes:
		t.Errorf("%s: an extra OnChange (revoked %v)", what, got)
	default:
	}
}

// writeAtomic writes the file as export tools do: a temporary file in the
// same folder, renamed over it.
func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// variants of the sample file.
func variants(t *testing.T) (good, noAnna, noBertil []byte) {
	good = readSample(t)
	f := sampleFile(t)
	f.People[0].Commissions = nil // Anna's commission removed
	noAnna = marshal(t, f)
	f = sampleFile(t)
	f.People = slices.Delete(f.People, 1, 2) // Bertil gone
	noBertil = marshal(t, f)
	return good, noAnna, noBertil
}

// broken holds names and a personnummer where they do not belong.
var broken = []byte(`{"version": 1, "people": [{"hsaId": "Anna Andersson 19121212-1212", "givenName": "Anna", "surname": "Andersson", "title": "Läkare",
	"roles": ["clinician"], "commissions": [{"unit": "SE2321000016-E001", "purpose": "Vård och behandling", "validFrom": "` + canary + `"}]}]}`)

// TestWatch: every way region IT's tools replace the file is seen; a
// removed commission is in Revoked at the change (AU6); a file with the
// same content changes nothing; a broken file keeps the directory in use,
// says why once, and the next good file is taken; no name reaches the log
// (LG3).
func TestWatch(t *testing.T) {
	good, noAnna, noBertil := variants(t)
	path := filepath.Join(t.TempDir(), "hsa.json")
	write(t, path, good)
	h := watch(t, path, nil, nil)

	writeAtomic(t, path, noAnna)
	h.loaded(t, "renamed over", []string{"SE2321000016-1001"})
	if _, err := h.w.Current().Access("SE2321000016-1001", unit, now); !errors.Is(err, ErrNoCommission) {
		t.Fatalf("after the commission was removed Access = %v", err)
	}

	write(t, path, good)
	h.loaded(t, "written in place", nil)
	if _, err := h.w.Current().Access("SE2321000016-1001", unit, now); err != nil {
		t.Fatalf("after the commission came back Access = %v", err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(t, path, noBertil)
	h.loaded(t, "removed and created", []string{"SE2321000016-1002"})

	writeAtomic(t, path, noBertil)
	if o := h.next(t, "same content"); o != unchanged {
		t.Fatalf("the same content again: outcome %d, want unchanged", o)
	}
	h.noChange(t, "same content")

	inUse := h.w.Current()
	writeAtomic(t, path, broken)
	if o := h.next(t, "broken"); o != refused {
		t.Fatalf("a broken file: outcome %d, want refused", o)
	}
	if h.w.Current() != inUse {
		t.Fatal("a broken file replaced the directory in use")
	}
	err := h.w.LastError()
	st := h.w.Status()
	if err == nil || !strings.Contains(err.Error(), "people[0] (malformed HSA-ID)") || !strings.Contains(err.Error(), "validFrom: expected a date") ||
		st.LastError != err.Error() || st.ErrorAt != now || st.People != 9 {
		t.Errorf("after a broken file: LastError %v, status %+v", err, st)
	}
	if r := <-h.refusals; r.Error() != err.Error() {
		t.Errorf("OnRefused got %v", r)
	}
	writeAtomic(t, path, broken)
	if o := h.next(t, "broken again"); o != refused {
		t.Fatalf("the broken file again: outcome %d", o)
	}
	if len(h.refusals) != 0 || strings.Count(h.logs.String(), "people[0] (malformed HSA-ID)") != 1 {
		t.Errorf("the same refusal was reported again (%d OnRefused); log:\n%s", len(h.refusals), h.logs)
	}

	write(t, path, good)
	h.loaded(t, "fixed", nil)
	if st := h.w.Status(); st.LastError != "" || h.w.LastError() != nil || st.People != 10 || st.SHA256 == "" {
		t.Errorf("after a good file: status %+v, LastError %v", st, h.w.LastError())
	}

	// Cut to nothing, then written: the empty file is refused, the
	// directory in use stays until the content is there.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if o := h.next(t, "truncated"); o != refused || !strings.Contains(h.w.LastError().Error(), "ends too early") {
		t.Fatalf("truncated: outcome %d, LastError %v", o, h.w.LastError())
	}
	if h.w.Current().Len() != 10 {
		t.Fatal("the truncated file replaced the directory in use")
	}
	write(t, path, noAnna)
	h.loaded(t, "written after the truncation", []string{"SE2321000016-1001"})

	logs := h.logs.String()
	for _, s := range append(personal(t), "19121212") {
		if strings.Contains(logs, s) {
			t.Errorf("%q reached the log", s)
		}
	}
	for _, msg := range []string{`"msg":"directory watched"`, `"msg":"directory reloaded"`, `"msg":"directory file refused; the directory in use stays"`} {
		if !strings.Contains(logs, msg) {
			t.Errorf("no %s in the log", msg)
		}
	}
}

// TestWatchPoll: with no file event (a network share), the poll reads the
// file and takes the change.
func TestWatchPoll(t *testing.T) {
	good, noAnna, _ := variants(t)
	path := filepath.Join(t.TempDir(), "hsa.json")
	write(t, path, good)
	tick := make(chan time.Time)
	h := watch(t, path, tick, func(w *Watcher) {
		if err := w.fw.Remove(filepath.Dir(path)); err != nil { // no more events
			t.Fatal(err)
		}
	})
	tick <- now
	if o := h.next(t, "poll, no change"); o != unchanged {
		t.Fatalf("poll without a change: outcome %d", o)
	}
	writeAtomic(t, path, noAnna)
	tick <- now
	h.loaded(t, "poll", []string{"SE2321000016-1001"})
}

// TestWatchSymlink: the path is a link to the export in another folder;
// a new export there is seen.
func TestWatchSymlink(t *testing.T) {
	good, noAnna, _ := variants(t)
	export := filepath.Join(t.TempDir(), "export.json")
	write(t, export, good)
	path := filepath.Join(t.TempDir(), "hsa.json")
	if err := os.Symlink(export, path); err != nil {
		t.Fatal(err)
	}
	h := watch(t, path, nil, nil)
	writeAtomic(t, export, noAnna)
	h.loaded(t, "the linked file renamed over", []string{"SE2321000016-1001"})
}

// TestWatchAPI: Watch returns with the watch set; a change reaches
// OnChange; the watch stops when ctx ends.
func TestWatchAPI(t *testing.T) {
	good, noAnna, _ := variants(t)
	path := filepath.Join(t.TempDir(), "hsa.json")
	write(t, path, good)
	changed := make(chan *Directory, 10)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := Watch(ctx, path, Options{Debounce: 10 * time.Millisecond, OnChange: func(_, new *Directory) { changed <- new }})
	if err != nil {
		t.Fatal(err)
	}
	if st := w.Status(); st.Path != path || st.People != 10 || st.LastError != "" || st.LoadedAt.IsZero() {
		t.Errorf("status %+v", st)
	}
	writeAtomic(t, path, noAnna)
	select {
	case d := <-changed:
		if d != w.Current() {
			t.Error("OnChange's new directory is not the one in use")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no change within 10 s")
	}
	cancel()
	if err := w.Wait(); err != nil {
		t.Errorf("Wait = %v", err)
	}

	w2, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w2.Run(ctx); err != nil { // ctx already ended: returns at once
		t.Errorf("Run = %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hsa.json")
	write(t, path, broken)
	_, err := Load(path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "people[0]") {
		t.Errorf("Load of a bad file: %v", err)
	}
	if _, err := Watch(context.Background(), path, Options{}); err == nil {
		t.Error("Watch of a bad file succeeded")
	}
	if _, err := Load(filepath.Join(dir, "missing.json"), Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

// TestWatchFolderRemoved: the folder goes away (the export share is
// remounted) and comes back; polling still finds the file.
func TestWatchFolderRemoved(t *testing.T) {
	good, noAnna, _ := variants(t)
	dir := filepath.Join(t.TempDir(), "export")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hsa.json")
	write(t, path, good)
	tick := make(chan time.Time)
	h := watch(t, path, tick, nil)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if o := h.next(t, "folder removed"); o != refused || !errors.Is(h.w.LastError(), fs.ErrNotExist) {
		t.Fatalf("folder removed: outcome %d, LastError %v", o, h.w.LastError())
	}
	if h.w.Current().Len() != 10 {
		t.Fatal("the directory in use was dropped with the file")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, path, noAnna)
	tick <- now
	h.loaded(t, "back after the folder came back", []string{"SE2321000016-1001"})
}

// TestChangeBeforeTheWatch: a file changed between Load and the watch's
// start (the gateway loads the directory, then starts the watch on its own
// goroutine) is read when the watch starts, not a poll later (seen as
// agent's TestAgentLogin "the session outlived its commission" on a
// loaded machine: the commission removed before the watch was set).
func TestChangeBeforeTheWatch(t *testing.T) {
	good, _, noBertil := variants(t)
	path := filepath.Join(t.TempDir(), "hsa.json")
	write(t, path, good)
	changed := make(chan *Directory, 10)
	w, err := Load(path, Options{Poll: time.Hour, OnChange: func(_, new *Directory) { changed <- new }})
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, path, noBertil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	select {
	case d := <-changed:
		if d.Len() != 9 {
			t.Errorf("the directory after the change holds %d people, want 9", d.Len())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the change made before the watch started was not read (it waits for the hourly poll)")
	}
}
