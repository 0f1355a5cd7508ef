package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"clinicgw/agent/archive"
	"clinicgw/agent/directory"
	"clinicgw/agent/notify"
	"clinicgw/localui"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
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
	file     *Config // as the file says
	eff      *Config // what is applied: file, with the keys that need a restart at their running values
	sum      [sha256.Size]byte
	changed  []string // keys applied whose value changes
	restart  []string // keys changed in the file that wait for a restart
	verifier *trust
	dir      *directory.Watcher
	channels *notify.Channels
	arch     *archive.Archiver
	forms    *wire.FormSet
	setForms bool
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
	_, data, err := loadConfig(path)
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

// errPlacePattern finds the line and key in an error made by decodeError
// or locateKeys.
var errPlacePattern = regexp.MustCompile(`^config .*?:(\d+):(?:\d+:)? (?:unknown key "([^"]+)"|([a-z_]+(?:\.[a-z_]+)*)[:,])?`)

// errPlace is the line and key of err's first problem, for the log's
// fields; 0 and "" where the error names none.
func errPlace(err error) (int, string) {
	m := errPlacePattern.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, ""
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2] + m[3]
}

// prepareReload is a reload's first phase.
func (a *Agent) prepareReload(ctx context.Context, path string, data []byte) (*prepared, error) {
	file, err := parseConfig(path, path, data)
	if err != nil {
		return nil, err
	}
	run := a.Config()
	p := &prepared{file: file, sum: sha256.Sum256(data)}

	// Everything the file names, loaded as a start would load it, so that
	// what waits for a restart is known to work too.
	var errs []error
	var forms *wire.FormSet
	if file.Central.Online() {
		if uc, err := uplinkConfig(file, Options{Clock: a.opts.Clock, Rand: a.opts.Rand, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			errs = append(errs, err)
		} else {
			forms = uc.Forms
		}
	}
	if file.Login.Enabled() {
		check := &loginParts{unit: file.Unit.HSAID, clock: a.opts.Clock, log: a.log}
		if p.verifier, err = newVerifier(file, a.opts.Clock, a.log); err != nil {
			errs = append(errs, err)
		}
		if a.login != nil {
			check = a.login
		}
		if p.dir, err = check.loadDirectory(file); err != nil {
			errs = append(errs, err)
		}
	}
	if file.UI.Enabled() {
		if _, err := tlsconf.LoadKeyPair(file.resolve(file.UI.CertFile), file.resolve(file.UI.KeyFile)); err != nil {
			errs = append(errs, fmt.Errorf("ui.cert_file, ui.key_file: %w", err))
		}
	}
	if file.Notify.Enabled() {
		ch, err := notifyChannels(file)
		if err != nil {
			errs = append(errs, err)
		}
		p.channels = &ch
	}
	if file.Archive.Enabled() {
		if _, err := NewArchiver(file, a.db, a.opts.Clock, a.log); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, locateKeys(path, data, err)
	}

	// What applies now, and what waits for a restart: the login keys but
	// login.origin and the local reader's while [login] stays on, the
	// [notify] and [archive] keys while their table stays on (turning one
	// on or off is a restart; archive.at too), the [backup] keys but backup.at
	// while [backup] stays on, central.forms_file while the gateway stays
	// online. Every other key waits: unit.*, store.*, ui.*, the rest of
	// central.* (the uplink's connection and identity).
	eff := *run
	eff.path = file.path
	if run.Login.Enabled() && file.Login.Enabled() {
		l := file.Login
		eff.Login.TrustAnchors, eff.Login.PersonCAs, eff.Login.DirectoryFile = l.TrustAnchors, l.PersonCAs, l.DirectoryFile
		eff.Login.SoftFail, eff.Login.OCSPURL, eff.Login.CRLURL = l.SoftFail, l.OCSPURL, l.CRLURL
	}
	if run.Notify.Enabled() && file.Notify.Enabled() {
		eff.Notify = file.Notify
	}
	if run.Archive.Enabled() && file.Archive.Enabled() {
		eff.Archive = file.Archive
		eff.Archive.At = run.Archive.At // the nightly timer is set at start
	}
	if run.Backup.Enabled() && file.Backup.Enabled() {
		eff.Backup = file.Backup
		eff.Backup.At = run.Backup.At // the nightly timer is set at start
	}
	if run.Central.Online() && file.Central.Online() {
		eff.Central.FormsFile = file.Central.FormsFile
	}
	p.eff = &eff
	runKeys, effKeys, fileKeys := flatten(run), flatten(&eff), flatten(file)
	for _, k := range sortedKeys(fileKeys) {
		if fileKeys[k] != effKeys[k] {
			p.restart = append(p.restart, k)
		}
		if effKeys[k] != runKeys[k] {
			p.changed = append(p.changed, k)
		}
	}

	// Only the parts whose keys change are put in use.
	changed := func(prefix ...string) bool {
		return slices.ContainsFunc(p.changed, func(k string) bool {
			return slices.ContainsFunc(prefix, func(pre string) bool { return strings.HasPrefix(k, pre) })
		})
	}
	if !changed("login.trust_anchors", "login.person_cas", "login.soft_fail", "login.ocsp_url", "login.crl_url") {
		p.verifier = nil
	}
	if p.verifier != nil && eff.Login.CRLURL != "" && changed("login.crl_url", "login.person_cas") {
		// A new CRL proxy, or new person CAs behind it: what it serves must
		// be a fresh CRL of one of them. (Not checked when neither
		// changed, so that an unrelated edit is not refused while the
		// proxy is down.)
		if err := p.verifier.v.CheckCRLURL(ctx); err != nil {
			return nil, locateKeys(path, data, fmt.Errorf("login.crl_url: %w; expected the address of a fresh CRL of a person CA in login.person_cas", err))
		}
	}
	if !changed("login.directory_file") || eff.resolve(eff.Login.DirectoryFile) == run.resolve(run.Login.DirectoryFile) {
		p.dir = nil
	}
	if !changed("notify.") {
		p.channels = nil
	}
	if changed("archive.") {
		// Signed with the unit's key in use: a new central.cert_file waits
		// for the restart, as the uplink's does.
		if p.arch, err = NewArchiver(&eff, a.db, a.opts.Clock, a.log.With("part", "archive")); err != nil {
			return nil, locateKeys(path, data, err)
		}
	}
	if changed("central.forms_file") {
		p.forms, p.setForms = forms, true
	}
	return p, nil
}

// commitReload is a reload's second phase: it cannot fail.
func (a *Agent) commitReload(ctx context.Context, p *prepared) {
	if p.verifier != nil {
		a.login.setVerifier(p.verifier)
	}
	if p.dir != nil {
		a.login.setDirectory(p.dir)
	}
	if p.channels != nil && a.notifier != nil {
		a.notifier.SetChannels(*p.channels)
	}
	if p.arch != nil && a.archive != nil {
		a.archive.arch.Store(p.arch)
	}
	if a.backup != nil && slices.ContainsFunc(p.changed, func(k string) bool { return strings.HasPrefix(k, "backup.") }) {
		a.backup.set(p.eff)
	}
	if p.setForms && a.forms != nil {
		if err := a.forms.setFile(ctx, p.forms); err != nil {
			a.log.Error("forms from central.forms_file not published; they will be at the next start", "err", err)
		}
	}
	a.live.Store(p.eff)
	r := &a.reload
	r.stMu.Lock()
	r.sum, r.badSum = p.sum, [sha256.Size]byte{}
	r.st.LastError, r.st.ErrorAt = "", time.Time{}
	r.st.ReloadedAt = a.opts.Clock.Now()
	r.st.Restart = p.restart
	st := r.st
	r.stMu.Unlock()
	a.log.Info("config reloaded", "path", st.File, "applied", strings.Join(p.changed, ","))
	if len(p.restart) > 0 {
		a.log.Warn("config changes wait for a restart of the service", "path", st.File, "keys", strings.Join(p.restart, ","))
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
	if _, data, err := loadConfig(a.cfg.Path()); err == nil {
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
		debounce := clock.Stopped(a.opts.Clock)
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
				fire = debounce.C()
			case err, ok := <-fw.Errors:
				if !ok {
					return errors.New("config watch: the file watcher closed")
				}
				a.log.Warn("config watch error; reading the file again", "err", err)
				debounce.Reset(ConfigDebounce)
				fire = debounce.C()
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

// flatten lists every key of c with its value, as text.
func flatten(c *Config) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if tag == "" || tag == "-" {
				continue
			}
			key := tag
			if prefix != "" {
				key = prefix + "." + tag
			}
			if f.Type.Kind() == reflect.Struct {
				walk(key, v.Field(i))
				continue
			}
			out[key] = fmt.Sprintf("%q", v.Field(i).Interface())
		}
	}
	walk("", reflect.ValueOf(*c))
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
