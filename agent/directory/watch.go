package directory

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options configure a Watcher.
type Options struct {
	Clock  Clock
	Logger *slog.Logger
	// OnChange is called after a new directory replaced the old one,
	// from the watcher's goroutine (the cardauth session manager ends the
	// sessions Revoked lists).
	OnChange func(old, new *Directory)
	// OnRefused, when not nil, is called when a changed file is refused
	// and the old directory stays in use.
	OnRefused func(error)
	// Debounce is how long the watcher waits for a burst of file events
	// to settle before it reads the file; 100 ms if 0.
	Debounce time.Duration
}

// Status says what the watcher last did, for the operators' status page.
type Status struct {
	Path      string
	People    int       // in the directory in use
	LoadedAt  time.Time // when the directory in use was read
	LastError string    // why the last reload was refused; "" if it was not
	ErrorAt   time.Time
}

// Watcher keeps the directory from a file current: it reloads the file
// when it changes, two-phase — a file that does not parse or check keeps
// the old directory in use and the reason in Status.
type Watcher struct {
	path string
	opts Options
	log  *slog.Logger
	cur  atomic.Pointer[Directory]

	mu     sync.Mutex
	status Status
}

// Load reads the file at path once (a bad file at start is an error: fail
// closed) and returns a Watcher; Run keeps it current.
func Load(path string, opts Options) (*Watcher, error) {
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	w := &Watcher{path: abs, opts: opts, log: opts.Logger}
	d, err := readFile(abs)
	if err != nil {
		return nil, err
	}
	w.cur.Store(d)
	w.status = Status{Path: abs, People: d.Len(), LoadedAt: opts.Clock.Now()}
	return w, nil
}

func readFile(path string) (*Directory, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory file: %w", err)
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Current is the directory in use.
func (w *Watcher) Current() *Directory { return w.cur.Load() }

// Status reports the last load.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Run watches the file's folder (editors and export tools replace files
// by rename, or remove and create, or truncate and write) until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("directory watch: %w", err)
	}
	defer fw.Close()
	if err := fw.Add(filepath.Dir(w.path)); err != nil {
		return fmt.Errorf("directory watch %s: %w", filepath.Dir(w.path), err)
	}
	w.log.Info("directory watched", "path", w.path, "people", w.Current().Len())
	var timer *time.Timer
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fw.Events:
			if !ok {
				return errors.New("directory watch: the watcher closed")
			}
			if filepath.Clean(ev.Name) != w.path || ev.Op == fsnotify.Chmod {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(w.opts.Debounce)
			} else {
				timer.Reset(w.opts.Debounce)
			}
			fire = timer.C
		case err, ok := <-fw.Errors:
			if !ok {
				return errors.New("directory watch: the watcher closed")
			}
			w.log.Warn("directory watch error", "err", err)
		case <-fire:
			fire = nil
			w.Reload()
		}
	}
}

// Reload reads the file now; a file that does not parse or check (or is
// missing) keeps the directory in use. It reports whether a new one is in
// use.
func (w *Watcher) Reload() bool {
	d, err := readFile(w.path)
	now := w.opts.Clock.Now()
	if err != nil {
		w.mu.Lock()
		w.status.LastError, w.status.ErrorAt = err.Error(), now
		w.mu.Unlock()
		w.log.Error("directory file refused; the previous directory stays in use", "path", w.path, "err", err)
		if w.opts.OnRefused != nil {
			w.opts.OnRefused(err)
		}
		return false
	}
	old := w.cur.Swap(d)
	w.mu.Lock()
	w.status = Status{Path: w.path, People: d.Len(), LoadedAt: now}
	w.mu.Unlock()
	w.log.Info("directory reloaded", "path", w.path, "people", d.Len())
	if w.opts.OnChange != nil {
		w.opts.OnChange(old, d)
	}
	return true
}
