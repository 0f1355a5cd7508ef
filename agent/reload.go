package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"clinicgw/agent/config"
	"clinicgw/localui"
)

// ConfigDebounce is how long the gateway lets a burst of events on its
// configuration file settle (an editor's save is several) before it reads
// the file.
const ConfigDebounce = 200 * time.Millisecond

// ReloadStatus says what the last reads of the configuration file came
// to, for the unit administrator's page and the log. It holds no patient
// data: the file has none.
type ReloadStatus struct {
	File string // the configuration file, absolute
	// LastError is why the file on disk is not in use — "FILE:LINE: KEY:
	// what is expected" for each problem — and the configuration read
	// before stays; "" when the file on disk is the one in use.
	LastError string
	ErrorAt   time.Time
	// ReloadedAt is when a changed file was last taken up; zero if none
	// was since the start.
	ReloadedAt time.Time
	// Restart lists the keys whose new values in the file take effect only
	// at the next start; the values read at the start stay until then.
	Restart []string
}

// reloadState is the configuration in use and how it came to be.
type reloadState struct {
	mu     sync.Mutex // one reload at a time
	sum    [sha256.Size]byte
	badSum [sha256.Size]byte

	stMu sync.Mutex
	st   ReloadStatus
}

// prepared is a reload's first phase done: the configuration to use and
// every part it needs, built and checked, nothing of the running gateway
// touched.
type prepared struct {
	diff    *config.Diff // the file, what applies now, what changes and what waits
	sum     [sha256.Size]byte
	commits []func(context.Context) // the parts' second phases
}

// Reload reads the configuration file again and, if it changed, applies
// it in two phases: first the file is parsed and checked in full and
// everything it names is loaded and checked — the directory file, the
// trust anchors and person CAs, the unit's certificate and the central
// store's CA, the forms, the notice channels' files, the archive's signing
// key — without touching the running gateway; only if all of that passes
// are the new parts put in use. A file that fails keeps the configuration
// in use, and the error (naming the file, the line and the key) is
// returned, logged and shown on the unit settings page. The gateway calls
// it when the file changes and on SIGHUP.
func (a *Agent) Reload(ctx context.Context) error {
	path := a.cfg.Path()
	if path == "" {
		return errors.New("reload: the configuration was not read from a file")
	}
	if a.done == nil {
		return errors.New("reload: the gateway is not running")
	}
	r := &a.reload
	r.mu.Lock()
	defer r.mu.Unlock()
	_, data, err := config.Read(path)
	if err != nil && data == nil {
		return a.refuseConfig(err, [sha256.Size]byte{})
	}
	sum := sha256.Sum256(data)
	r.stMu.Lock()
	same, knownBad := sum == r.sum, sum == r.badSum && r.st.LastError != ""
	fixed := same && r.st.LastError != ""
	if same {
		r.st.LastError, r.st.ErrorAt, r.badSum = "", time.Time{}, [sha256.Size]byte{}
	}
	st := r.st
	r.stMu.Unlock()
	switch {
	case fixed:
		a.log.Info("config file back to the configuration in use", "path", path)
		a.reported(st)
		return nil
	case same:
		return nil
	case knownBad:
		return errors.New(st.LastError)
	}
	p, err := a.prepareReload(ctx, path, data)
	if err != nil {
		return a.refuseConfig(err, sum)
	}
	a.commitReload(ctx, p)
	return nil
}

// refuseConfig records and reports why the file on disk is not in use.
func (a *Agent) refuseConfig(err error, sum [sha256.Size]byte) error {
	r := &a.reload
	r.stMu.Lock()
	again := r.st.LastError == err.Error()
	r.badSum = sum
	if !again {
		r.st.LastError, r.st.ErrorAt = err.Error(), a.opts.Clock.Now()
	}
	st := r.st
	r.stMu.Unlock()
	if again {
		return err // said already
	}
	line, key := errPlace(err)
	a.log.Error("config file refused; the configuration in use stays", "path", st.File, "line", line, "key", key, "err", err)
	a.reported(st)
	return err
}

func (a *Agent) reported(st ReloadStatus) {
	if a.opts.OnReload != nil {
		a.opts.OnReload(st)
	}
}

// errPlace is the line and key of err's first problem, for the log's
// fields; 0 and "" where the error names none.
func errPlace(err error) (int, string) {
	var ke *config.KeyError
	if !errors.As(err, &ke) {
		return 0, ""
	}
	return ke.Line, ke.Key
}

// prepareReload is a reload's first phase: the file is parsed and
// checked, what applies now is worked out from the schema (config.Apply),
// and every part verifies its section (reloadSections). All the problems
// found are returned together, each placed in the file.
func (a *Agent) prepareReload(ctx context.Context, path string, data []byte) (*prepared, error) {
	file, err := config.Parse(path, data)
	if err != nil {
		return nil, err
	}
	p := &prepared{diff: config.Apply(a.Config(), file), sum: sha256.Sum256(data)}
	var errs []error
	for _, verify := range a.reloadSections() {
		commit, err := verify(ctx, p.diff)
		if err != nil {
			errs = append(errs, err)
		} else if commit != nil {
			p.commits = append(p.commits, commit)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, config.Locate(path, data, err)
	}
	return p, nil
}

// commitReload is a reload's second phase: it cannot fail.
func (a *Agent) commitReload(ctx context.Context, p *prepared) {
	for _, commit := range p.commits {
		commit(ctx)
	}
	a.live.Store(p.diff.Eff)
	r := &a.reload
	r.stMu.Lock()
	r.sum, r.badSum = p.sum, [sha256.Size]byte{}
	r.st.LastError, r.st.ErrorAt = "", time.Time{}
	r.st.ReloadedAt = a.opts.Clock.Now()
	r.st.Restart = p.diff.Restart
	st := r.st
	r.stMu.Unlock()
	a.log.Info("config reloaded", "path", st.File, "applied", strings.Join(p.diff.Changed, ","))
	if len(p.diff.Restart) > 0 {
		a.log.Warn("config changes wait for a restart of the service", "path", st.File, "keys", strings.Join(p.diff.Restart, ","))
	}
	a.reported(st)
}

// ReloadStatus says whether the configuration file on disk is in use.
func (a *Agent) ReloadStatus() ReloadStatus {
	a.reload.stMu.Lock()
	defer a.reload.stMu.Unlock()
	st := a.reload.st
	st.Restart = slices.Clone(st.Restart)
	return st
}

// configState is the reload status for the unit settings page.
func (a *Agent) configState() localui.ConfigState {
	st := a.ReloadStatus()
	return localui.ConfigState{File: st.File, Error: st.LastError, ReloadedAt: st.ReloadedAt, Restart: st.Restart}
}

// initReload remembers the file the gateway starts with.
func (a *Agent) initReload() {
	a.live.Store(a.cfg)
	if a.cfg.Path() == "" {
		return
	}
	a.reload.st.File = a.cfg.Path()
	if _, data, err := config.Read(a.cfg.Path()); err == nil {
		a.reload.sum = sha256.Sum256(data)
	}
}

// watchConfig starts watching the configuration file (its folder: editors
// replace a file by rename; and the folder of the file it links to, if it
// is a symlink) and SIGHUP; when it returns, changes are
// watched. run reloads on each until ctx ends.
func (a *Agent) watchConfig() (run func(ctx context.Context) error, err error) {
	path := a.cfg.Path()
	// The file, and the file it links to (configuration management may
	// keep it elsewhere): events on either count.
	names, dirs := map[string]bool{path: true}, []string{filepath.Dir(path)}
	if target, err := filepath.EvalSymlinks(path); err == nil && target != path {
		names[target] = true
		if d := filepath.Dir(target); d != dirs[0] {
			dirs = append(dirs, d)
		}
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("config watch: %w", err)
	}
	for _, d := range dirs {
		if err := fw.Add(d); err != nil {
			fw.Close()
			return nil, fmt.Errorf("config watch %s: %w", d, err)
		}
	}
	hup, stop := reloadSignal()
	a.log.Info("config file watched", "path", path)
	return func(ctx context.Context) error {
		defer fw.Close()
		defer stop()
		debounce := time.NewTimer(time.Hour)
		debounce.Stop()
		defer debounce.Stop()
		var fire <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return nil
			case ev, ok := <-fw.Events:
				if !ok {
					return errors.New("config watch: the file watcher closed")
				}
				if !names[filepath.Clean(ev.Name)] || ev.Op == fsnotify.Chmod {
					continue
				}
				debounce.Reset(ConfigDebounce)
				fire = debounce.C
			case err, ok := <-fw.Errors:
				if !ok {
					return errors.New("config watch: the file watcher closed")
				}
				a.log.Warn("config watch error; reading the file again", "err", err)
				debounce.Reset(ConfigDebounce)
				fire = debounce.C
			case <-hup:
				a.log.Info("config reload asked for by signal", "path", path)
				a.Reload(ctx)
			case <-fire:
				fire = nil
				a.Reload(ctx)
			}
		}
	}, nil
}
