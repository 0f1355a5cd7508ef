package directory

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestWatch: a real fsnotify watch on a temp folder. Every way region IT's
// tools replace a file is seen; a broken file keeps the old directory and
// says why; a removed commission shows in Revoked at the change.
func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hsa.json")
	good := readSample(t)
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	changes := make(chan []string, 10)
	refused := make(chan error, 10)
	logs := &lockedBuffer{}
	now := day("2026-05-04")
	w, err := Load(path, Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Debounce: 20 * time.Millisecond,
		OnChange:  func(old, new *Directory) { changes <- Revoked(old, new, unit, now) },
		OnRefused: func(err error) { refused <- err }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitWatched(t, logs)

	withoutAnna := strings.Replace(good, `"SE2321000016-1001"`, `"SE2321000016-1099"`, 1)
	expect := func(what string, want []string) {
		t.Helper()
		select {
		case got := <-changes:
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s: revoked %v, want %v", what, got, want)
			}
		case err := <-refused:
			t.Fatalf("%s: refused: %v", what, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no reload within 10 s", what)
		}
	}
	// 1. Replace by rename (atomic write).
	tmp := filepath.Join(dir, ".hsa.json.tmp")
	os.WriteFile(tmp, []byte(withoutAnna), 0o644)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	expect("rename", []string{"SE2321000016-1001"})
	if _, ok := w.Current().Lookup("SE2321000016-1099"); !ok {
		t.Fatal("the new directory is not in use")
	}
	// 2. Write in place (truncate and write).
	os.WriteFile(path, []byte(good), 0o644)
	expect("write in place", []string{"SE2321000016-1099"}) // the renamed id goes away again
	// 3. Remove, then create.
	os.Remove(path)
	os.WriteFile(path, []byte(withoutAnna), 0o644)
	expect("remove and create", []string{"SE2321000016-1001"})
	// 4. A broken file keeps the old directory and says why.
	os.WriteFile(path, []byte(`{"version": 1, "people": [{"hsaId": "Anna Andersson"}]}`), 0o644)
	select {
	case err := <-refused:
		if !strings.Contains(err.Error(), "people[0]") {
			t.Errorf("refusal %v", err)
		}
	case <-changes:
		t.Fatal("a broken file replaced the directory")
	case <-time.After(10 * time.Second):
		t.Fatal("the broken file was not noticed")
	}
	if _, ok := w.Current().Lookup("SE2321000016-1099"); !ok {
		t.Fatal("the old directory is not in use after a broken file")
	}
	if st := w.Status(); st.LastError == "" || st.People != 6 {
		t.Errorf("status %+v", st)
	}
	// 5. Fixed again.
	os.WriteFile(path, []byte(good), 0o644)
	expect("fixed", []string{"SE2321000016-1099"})
	if st := w.Status(); st.LastError != "" {
		t.Errorf("status after a good file %+v", st)
	}
	for _, name := range []string{"Anna", "Andersson", "Bertil", "Berg"} {
		if strings.Contains(logs.String(), name) {
			t.Errorf("a name (%s) reached the log", name)
		}
	}
}

// waitWatched waits for Run's "directory watched" line: the watch is set.
func waitWatched(t *testing.T, logs *lockedBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "directory watched") {
		if time.Now().After(deadline) {
			t.Fatal("the watch did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoadRefusesBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hsa.json")
	os.WriteFile(path, []byte(`{"version": 1`), 0o644)
	if _, err := Load(path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load of a bad file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json"), Options{}); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}
