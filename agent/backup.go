package agent

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/agent/metrics"
	"clinicgw/agent/store"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
)

// BackupName is the name of a backup of unit's store taken at t, in the
// backup folder: its names sort by time.
func BackupName(unit string, t time.Time) string {
	return "clinicgw-backup-" + unit + "-" + t.UTC().Format("20060102T150405Z") + ".db"
}

// retention says which backups the nightly run keeps.
type retention struct {
	keep int // the newest keep are always kept
	days int // older than days (and not among the newest keep) go; 0: none go by age
}

// backupRetention is backup.keep and backup.keep_days with their defaults.
func backupRetention(c BackupConfig) retention {
	r := retention{keep: c.Keep, days: c.KeepDays}
	if r.keep == 0 {
		r.keep = DefaultBackupKeep
	}
	return r
}

// prune returns the backups of names (BackupName's, any order) that r
// lets go at now: those that are neither among the newest r.keep nor, when
// r.days is set, younger than r.days days. The newest is never one.
func (r retention) prune(unit string, names []string, now time.Time) []string {
	type backup struct {
		name string
		at   time.Time
	}
	var bs []backup
	prefix := "clinicgw-backup-" + unit + "-"
	for _, n := range names {
		stamp, ok := strings.CutPrefix(n, prefix)
		if !ok {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, ".db")
		if !ok {
			continue
		}
		t, err := time.Parse("20060102T150405Z", stamp)
		if err != nil {
			continue
		}
		bs = append(bs, backup{n, t})
	}
	slices.SortFunc(bs, func(a, b backup) int { return b.at.Compare(a.at) }) // newest first
	var out []string
	for i, b := range bs {
		if i < max(r.keep, 1) {
			continue
		}
		if r.days > 0 && now.Sub(b.at) <= time.Duration(r.days)*24*time.Hour {
			continue
		}
		out = append(out, b.name)
	}
	return out
}

// backupSchedule takes a backup every night at backup.at into backup.dir
// and prunes the old ones; a reload may change the folder and the
// retention (backup.at is read at start, as archive.at is).
type backupSchedule struct {
	db           *store.DB
	unit         string
	hour, minute int
	clock        clock.Clock
	log          *slog.Logger
	cfg          atomic.Pointer[BackupConfig] // with dir resolved

	mu  sync.Mutex
	ran metrics.BackupFigures // for /metrics
}

// BackupFigures reports the nightly runs since start, for /metrics.
func (s *backupSchedule) BackupFigures() (metrics.BackupFigures, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ran, true
}

func (a *Agent) newBackupSchedule(db *store.DB) (*backupSchedule, error) {
	h, m, err := a.cfg.Backup.Daily()
	if err != nil {
		return nil, err
	}
	s := &backupSchedule{db: db, unit: a.cfg.Unit.HSAID, hour: h, minute: m, clock: a.opts.Clock, log: a.log.With("part", "backup")}
	s.set(a.cfg)
	return s, nil
}

// set takes up cfg's [backup] keys.
func (s *backupSchedule) set(cfg *Config) {
	c := cfg.Backup
	c.Dir = cfg.Resolve(c.Dir)
	s.cfg.Store(&c)
}

func (s *backupSchedule) run(ctx context.Context) {
	runDaily(ctx, s.clock, s.hour, s.minute, nil, func(ctx context.Context) {
		path, err := s.once(ctx)
		switch {
		case err == nil || ctx.Err() != nil:
		case path != "":
			s.log.Error("nightly backup written, but old backups were not all removed; the next night tries again", "err", err)
		default:
			s.log.Error("nightly backup failed; the store is unchanged and the next night tries again (clinicgw backup takes one now)", "err", err)
		}
	})
}

// once takes a backup now and prunes the old ones; it returns the new
// backup's path. Each run that ctx's end did not cut short is counted for
// /metrics (a failed pruning is logged, the backup counts as good).
func (s *backupSchedule) once(ctx context.Context) (string, error) {
	var size int64
	path, err := s.take(ctx, &size)
	if ctx.Err() != nil {
		return path, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ran.LastRun, s.ran.LastOK = s.clock.Now(), path != ""
	if path != "" {
		s.ran.LastSuccess, s.ran.Bytes = s.ran.LastRun, size
	} else {
		s.ran.Failures++
	}
	return path, err
}

// take writes the backup and prunes; path is "" when no backup was
// written.
func (s *backupSchedule) take(ctx context.Context, size *int64) (string, error) {
	c := s.cfg.Load()
	if err := atomicfile.MkdirAll(c.Dir, 0o700); err != nil {
		return "", fmt.Errorf("backup.dir: %w", err)
	}
	path := filepath.Join(c.Dir, BackupName(s.unit, s.clock.Now()))
	m, err := store.WriteBackup(path, func(w io.Writer) (store.Manifest, error) {
		return s.db.Backup(ctx, w, nil, nil)
	})
	if err != nil {
		return "", err
	}
	*size = m.Size
	s.log.Info("nightly backup written", "path", path, "bytes", m.Size, "syncCursor", m.SyncCursor, "auditSeq", m.AuditSeq)
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return path, fmt.Errorf("backup.dir: list for pruning: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	var errs []error
	for _, old := range backupRetention(*c).prune(s.unit, names, s.clock.Now()) {
		p := filepath.Join(c.Dir, old)
		if err := errors.Join(os.Remove(p+store.ManifestSuffix), os.Remove(p)); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("old backup removed", "path", p)
	}
	return path, errors.Join(errs...)
}

// runDaily calls fn every day at hour:minute Stockholm time (nextDaily)
// until ctx ends, calling next (if not nil) with each next time before it
// waits for it. The archive export and the backup run on it.
func runDaily(ctx context.Context, clock clock.Clock, hour, minute int, next func(time.Time), fn func(context.Context)) {
	for {
		at := nextDaily(clock.Now(), hour, minute)
		if next != nil {
			next(at)
		}
		t := clock.NewTimer(at.Sub(clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		fn(ctx)
	}
}

// Headers of the admin listener's backup response.
const (
	// HeaderBackupManifest is the manifest without its checksum, JSON,
	// sent before the copy.
	HeaderBackupManifest = "Clinicgw-Backup-Manifest"
	// HeaderBackupSHA256 is the copy's SHA-256, a trailer after it.
	HeaderBackupSHA256 = "Clinicgw-Backup-Sha256"
)

// backupHandler serves a consistent copy of the running store (the admin
// listener's /backup): the manifest in a header, the copy as the body, its
// checksum in a trailer. A copy that fails half way aborts the
// connection, so the client never takes a short copy for a whole one.
func (a *Agent) backupHandler(token string) http.Handler {
	log := a.log.With("part", "backup")
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(tok))
		if !ok || token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			log.Warn("backup through the admin listener refused: no valid backup token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="clinicgw backup"`)
			http.Error(w, "the backup token is required: the one this gateway wrote beside its store ("+backupTokenFile+"); clinicgw backup reads it there", http.StatusUnauthorized)
			return
		}
		started := false
		dw := &deadlineWriter{w: w, rc: http.NewResponseController(w), limit: tlsconf.DefaultLimits.Write}
		m, err := a.db.Backup(r.Context(), dw, func(m store.Manifest) error {
			raw, err := json.Marshal(m)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set(HeaderBackupManifest, string(raw))
			w.Header().Set("Trailer", HeaderBackupSHA256)
			w.WriteHeader(http.StatusOK)
			started = true
			return nil
		}, nil)
		if err != nil {
			log.Error("backup through the admin listener failed", "err", err)
			if !started {
				http.Error(w, "the backup failed; the gateway's log says why", http.StatusInternalServerError)
				return
			}
			panic(http.ErrAbortHandler)
		}
		w.Header().Set(HeaderBackupSHA256, m.SHA256)
		log.Info("backup sent through the admin listener", "bytes", m.Size, "syncCursor", m.SyncCursor)
	})
}

// deadlineWriter moves the response's write deadline on before each
// write: a large copy may take longer than one request's bound, a stalled
// client may not hold the read transaction for ever.
type deadlineWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	limit time.Duration
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	_ = d.rc.SetWriteDeadline(time.Now().Add(d.limit))
	return d.w.Write(p)
}

// /backup is never wider than the store file. The copy is as encrypted
// as the store, but a listener reaches further than a file of mode 0600:
// so /backup always needs a token, and not admin.token_file's (that one
// is for scraping /metrics, and a monitoring system holds it). At every
// start the admin listener makes a random one-run token and writes it,
// mode 0600, beside the store (BackupTokenPath); `clinicgw backup`
// (BackupFromAdmin) reads it there. Who can read that folder can read the
// store file itself; nobody else gets the copy. The listener removes the
// file when it stops.

// backupTokenFile is the name of the backup token's file, beside the
// store.
const backupTokenFile = "backup.token"

// BackupTokenPath is the file beside the store that holds the admin
// listener's one-run token for /backup.
func BackupTokenPath(cfg *Config) string {
	return filepath.Join(filepath.Dir(cfg.StorePath()), backupTokenFile)
}

// writeBackupToken makes this run's backup token and writes it beside
// the store, mode 0600, durably.
func (a *Agent) writeBackupToken() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(a.opts.Rand, b[:]); err != nil {
		return "", fmt.Errorf("make the backup token: %w", err)
	}
	token := hex.EncodeToString(b[:])
	if err := atomicfile.Write(BackupTokenPath(a.cfg), []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the backup token beside the store: %w", err)
	}
	return token, nil
}

// removeBackupToken removes the backup token's file if it still holds
// token (a later run's token stays).
func (a *Agent) removeBackupToken(token string) {
	path := BackupTokenPath(a.cfg)
	if got, err := readSecret(path); err == nil && got == token {
		if err := os.Remove(path); err != nil {
			a.log.Warn("remove the backup token failed", "err", err)
		}
	}
}
