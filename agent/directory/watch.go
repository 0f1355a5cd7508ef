package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/sync/clock"

	"github.com/fsnotify/fsnotify"
)

// Options configure a Watcher.
type Options struct {
	Clock  clock.Clock  // the system clock if nil
	Logger *slog.Logger // nothing is logged if nil
	// OnChange is called after a new directory replaced the old one, once
	// per change of the file's content, from the watcher's goroutine: the
	// session manager ends the sessions Revoked lists.
	OnChange func(old, new *Directory)
	// OnRefused, when not nil, is called when a changed file is refused
	// and the old directory stays in use (once per distinct refusal).
	OnRefused func(error)
	// Debounce is how long the watcher lets a burst of file events settle
	// before it reads the file; 100 ms if 0.
	Debounce time.Duration
	// Poll is how often the file is read even without a file event
	// (network shares, where inotify sees no remote change, and missed
	// events); 1 minute if 0, never if negative. A read whose content is
	// unchanged costs a hash and nothing else.
	Poll time.Duration
}

// Status says what the watcher last did, for the operators' status page
// and the health check. It holds no names.
type Status struct {
	Path      string
	People    int       // in the directory in use
	LoadedAt  time.Time // when the directory in use was read
	SHA256    string    // of the file in use, hex: compare with region IT's export
	LastError string    // why the file on disk is refused; "" when the file in use is the file on disk
	ErrorAt   time.Time // when LastError was first seen
}

// Watcher keeps the directory from a file current: it reloads the file
// when it changes, two-phase — the new file is read and checked in full,
// and only then replaces the directory in use; a file that does not read,
// parse or check keeps the old directory and the reason in Status.
type Watcher struct {
	path  string          // absolute
	names map[string]bool // path, and the file it links to: events on these count
	dirs  []string        // their folders, watched
	opts  Options
	log   *slog.Logger
	cur   atomic.Pointer[Directory]

	reloading sync.Mutex // one reload at a time: the loop's and Reload's

	mu      sync.Mutex
	status  Status
	sum     [sha256.Size]byte // of the file in use
	badSum  [sha256.Size]byte // of the last file refused
	lastErr error

	fw       *fsnotify.Watcher
	stopOnce sync.Once
	done     chan struct{} // closed when the watch stops
	runErr   error

	// Set by tests before the watch starts.
	tick    <-chan time.Time // replaces the poll ticker
	checked func(outcome)    // after every read of the file
}

// outcome is what a read of the file came to.
type outcome int

const (
	loaded    outcome = iota // a new directory is in use
	unchanged                // the file holds the directory in use
	refused                  // the file was refused; the old directory stays
)

// Load reads the file at path once and returns a Watcher holding it; a
// file that is missing or bad is an error (fail closed: no directory, no
// logins). Run or Watch keeps it current.
func Load(path string, opts Options) (*Watcher, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Poll == 0 {
		opts.Poll = time.Minute
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("directory file %s: %w", path, err)
	}
	w := &Watcher{path: abs, names: map[string]bool{abs: true}, dirs: []string{filepath.Dir(abs)}, opts: opts, log: opts.Logger, done: make(chan struct{})}
	if target, err := filepath.EvalSymlinks(abs); err == nil && target != abs {
		w.names[target] = true
		if dir := filepath.Dir(target); dir != w.dirs[0] {
			w.dirs = append(w.dirs, dir)
		}
	}
	data, err := readFile(abs)
	if err != nil {
		return nil, err
	}
	d, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", abs, err)
	}
	w.cur.Store(d)
	w.sum = sha256.Sum256(data)
	w.status = Status{Path: abs, People: d.Len(), LoadedAt: opts.Clock.Now(), SHA256: hex.EncodeToString(w.sum[:])}
	return w, nil
}

// Watch loads the file at path (a bad file is an error, as for Load) and
// keeps it current until ctx ends; when Watch returns, changes to the file
// are being watched. Wait waits for the watch to stop.
func Watch(ctx context.Context, path string, opts Options) (*Watcher, error) {
	w, err := Load(path, opts)
	if err != nil {
		return nil, err
	}
	if err := w.start(); err != nil {
		return nil, err
	}
	go w.loop(ctx)
	return w, nil
}

// Wait waits until the watch (Watch, or Run) has stopped and returns why
// it stopped early, if it did; for a Watcher that never ran, it waits
// for ever.
func (w *Watcher) Wait() error {
	<-w.done
	return w.runErr
}

// Run watches the file until ctx ends: Watch for a Watcher from Load.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.start(); err != nil {
		return err
	}
	return w.loop(ctx)
}

// readFile reads at most MaxFileSize+1 bytes of the file (parse refuses
// more).
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("directory file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("directory file %s: %w", path, err)
	}
	return data, nil
}

// Current is the directory in use; never nil.
func (w *Watcher) Current() *Directory { return w.cur.Load() }

// Status reports the directory in use and the last refusal.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// LastError is why the file on disk is refused (the directory in use is
// an older one), or nil.
func (w *Watcher) LastError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// start watches the folders holding the file (editors and export tools
// replace a file by rename, or remove and create it, or truncate and
// write it: a watch on the file itself would lose it).
func (w *Watcher) start() error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("directory watch: %w", err)
	}
	for _, dir := range w.dirs {
		if err := fw.Add(dir); err != nil {
			fw.Close()
			return fmt.Errorf("directory watch %s: %w", dir, err)
		}
	}
	w.fw = fw
	w.log.Info("directory watched", "path", w.path, "people", w.Current().Len(), "pollEvery", w.opts.Poll.String())
	// What changed between Load and the watch sent no event here: read
	// the file once now (unchanged costs a hash).
	w.reload()
	return nil
}

// loop runs the watch until ctx ends, then closes done.
func (w *Watcher) loop(ctx context.Context) (err error) {
	defer func() {
		w.fw.Close()
		w.stopOnce.Do(func() { w.runErr = err; close(w.done) })
	}()
	tick := w.tick
	if tick == nil && w.opts.Poll > 0 {
		t := w.opts.Clock.NewTicker(w.opts.Poll)
		defer t.Stop()
		tick = t.C()
	}
	debounce := clock.Stopped(w.opts.Clock)
	defer debounce.Stop()
	var fire <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fw.Events:
			if !ok {
				return errors.New("directory watch: the file watcher closed")
			}
			name := filepath.Clean(ev.Name)
			if slices.Contains(w.dirs, name) && ev.Op&(fsnotify.Remove|fsnotify.Rename) != 0 {
				w.log.Error("directory folder removed; changes are seen by polling only", "folder", name)
				continue
			}
			if !w.names[name] || ev.Op == fsnotify.Chmod {
				continue
			}
			debounce.Reset(w.opts.Debounce)
			fire = debounce.C()
		case err, ok := <-w.fw.Errors:
			if !ok {
				return errors.New("directory watch: the file watcher closed")
			}
			w.log.Warn("directory watch error; reading the file again", "err", err)
			debounce.Reset(w.opts.Debounce)
			fire = debounce.C()
		case <-fire:
			fire = nil
			w.reload()
		case <-tick:
			w.reload()
		}
	}
}

// Reload reads the file now, as a file event would, and reports whether a
// new directory is in use. A file that does not read, parse or check keeps
// the directory in use; one whose content is that of the directory in use
// changes nothing.
func (w *Watcher) Reload() bool { return w.reload() == loaded }

func (w *Watcher) reload() (out outcome) {
	w.reloading.Lock()
	defer w.reloading.Unlock()
	if w.checked != nil {
		defer func() { w.checked(out) }()
	}
	data, err := readFile(w.path)
	if err != nil {
		return w.refuse(err, [sha256.Size]byte{})
	}
	sum := sha256.Sum256(data)
	w.mu.Lock()
	same, knownBad := sum == w.sum, sum == w.badSum && w.lastErr != nil
	w.mu.Unlock()
	switch {
	case same:
		w.mu.Lock()
		fixed := w.lastErr != nil
		w.lastErr, w.status.LastError, w.status.ErrorAt, w.badSum = nil, "", time.Time{}, [sha256.Size]byte{}
		w.mu.Unlock()
		if fixed {
			w.log.Info("directory file back to the directory in use", "path", w.path)
		}
		return unchanged
	case knownBad:
		return refused // said already
	}
	d, err := parse(data)
	if err != nil {
		return w.refuse(fmt.Errorf("%s: %w", w.path, err), sum)
	}
	now := w.opts.Clock.Now()
	old := w.cur.Swap(d)
	w.mu.Lock()
	w.sum, w.badSum, w.lastErr = sum, [sha256.Size]byte{}, nil
	w.status = Status{Path: w.path, People: d.Len(), LoadedAt: now, SHA256: hex.EncodeToString(sum[:])}
	w.mu.Unlock()
	w.log.Info("directory reloaded", "path", w.path, "people", d.Len(), "sha256", hex.EncodeToString(sum[:]))
	if w.opts.OnChange != nil {
		w.opts.OnChange(old, d)
	}
	return loaded
}

// refuse records why the file on disk is not used; the same reason again
// is not logged again.
func (w *Watcher) refuse(err error, sum [sha256.Size]byte) outcome {
	w.mu.Lock()
	again := w.lastErr != nil && w.lastErr.Error() == err.Error()
	w.lastErr, w.badSum = err, sum
	if !again {
		w.status.LastError, w.status.ErrorAt = err.Error(), w.opts.Clock.Now()
	}
	w.mu.Unlock()
	if again {
		return refused
	}
	w.log.Error("directory file refused; the directory in use stays", "path", w.path, "err", err)
	if w.opts.OnRefused != nil {
		w.opts.OnRefused(err)
	}
	return refused
}
