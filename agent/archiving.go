package agent

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/agent/archive"
	"clinicgw/agent/booking"
	"clinicgw/agent/config"
	"clinicgw/agent/store"
	"clinicgw/localui"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/workday"
)

// NewArchiver builds the archive export from the configuration, on db,
// signing with the unit's certificate and key.
func NewArchiver(cfg *Config, db *store.DB, clk clock.Clock, log *slog.Logger) (*archive.Archiver, error) {
	kp, err := tlsconf.LoadKeyPair(cfg.Resolve(cfg.Central.CertFile), cfg.Resolve(cfg.Central.KeyFile))
	if err != nil {
		return nil, config.KeyErr("archive", fmt.Errorf("the signing key (central.cert_file, central.key_file): %w", err))
	}
	key, ok := kp.PrivateKey.(crypto.Signer)
	if !ok || kp.Leaf == nil {
		return nil, config.Errorf("archive", "the unit's key cannot sign")
	}
	if clk == nil {
		clk = clock.System
	}
	var chain []*x509.Certificate
	for _, der := range kp.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, config.KeyErr("archive", fmt.Errorf("central.cert_file: %w", err))
		}
		chain = append(chain, c)
	}
	diary, err := booking.New(booking.OnStore(db), booking.Options{Clock: clk})
	if err != nil {
		return nil, err
	}
	return archive.New(archive.Config{DB: db, Unit: cfg.Unit.HSAID, Dir: cfg.Resolve(cfg.Archive.Dir), Bookings: diary,
		Age: time.Duration(cfg.Archive.AgeDays) * 24 * time.Hour, Signer: archive.Signer{Key: key, Cert: kp.Leaf, Chain: chain},
		Clock: clk, Logger: log, Retire: true,
		Catalog: func(ctx context.Context) (catalog.Catalog, error) { return storedCatalog(ctx, cfg, db) }})
}

// archiveSchedule runs the export every day at archive.at, and at start
// when a run was left unfinished; it keeps the state the unit settings
// page shows.
type archiveSchedule struct {
	arch         atomic.Pointer[archive.Archiver] // a reload may replace it
	hour, minute int
	clock        clock.Clock
	log          *slog.Logger
	ran          func(archive.Report, error) // each run that ctx's end did not cut short, for /metrics

	mu    sync.Mutex
	state localui.ArchiveState
}

func (a *Agent) newArchiveSchedule(db *store.DB) (*archiveSchedule, error) {
	log := a.log.With("part", "archive")
	arch, err := NewArchiver(a.cfg, db, a.opts.Clock, log)
	if err != nil {
		return nil, err
	}
	h, m, err := a.cfg.Archive.Daily()
	if err != nil {
		return nil, err
	}
	s := &archiveSchedule{hour: h, minute: m, clock: a.opts.Clock, log: log, ran: a.archiveRan}
	s.arch.Store(arch)
	return s, nil
}

// archiveState is the archive's state for the unit settings page; nil
// without [archive].
func (a *Agent) archiveState() func(context.Context) (localui.ArchiveState, error) {
	if a.archive == nil {
		return nil
	}
	return a.archive.State
}

// State is the archive's state for the unit settings page.
func (s *archiveSchedule) State(context.Context) (localui.ArchiveState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state, nil
}

func (s *archiveSchedule) update(fn func(*localui.ArchiveState)) {
	s.mu.Lock()
	fn(&s.state)
	s.mu.Unlock()
}

// run runs until ctx ends.
func (s *archiveSchedule) run(ctx context.Context) {
	if unfinished, err := s.arch.Load().Unfinished(ctx); err != nil {
		s.log.Error("archive journal unreadable", "err", err)
	} else if unfinished {
		s.once(ctx)
	}
	runDaily(ctx, s.clock, s.hour, s.minute, func(next time.Time) {
		s.update(func(st *localui.ArchiveState) { st.NextAt = next })
	}, s.once)
}

// once runs the export now; a failure is logged, shown, and tried again
// at the next run (the journal lets it go on where it stopped).
func (s *archiveSchedule) once(ctx context.Context) {
	s.update(func(st *localui.ArchiveState) { st.Running, st.Done, st.Total = true, 0, 0 })
	rep, err := s.arch.Load().Run(ctx, func(done, total int) {
		s.update(func(st *localui.ArchiveState) { st.Done, st.Total = done, total })
	})
	if ctx.Err() != nil {
		return
	}
	s.ran(rep, err)
	s.update(func(st *localui.ArchiveState) {
		st.Running, st.LastAt, st.LastCases, st.LastPackages, st.LastError = false, s.clock.Now(), rep.Cases, rep.Packages, ""
		if err != nil {
			st.LastError = err.Error()
		}
	})
	if err != nil {
		s.log.Error("archive run failed; nothing unverified was purged", "err", err, "cases", rep.Cases)
		return
	}
	s.log.Info("archive run", "packages", rep.Packages, "cases", rep.Cases, "bytes", rep.Bytes, "retiredTerms", rep.RetiredTerms)
}

// nextDaily is the first hour:minute in Stockholm time after now. On the
// night the clocks go forward a time that does not exist is the hour
// after; on the night they go back, a time that comes twice is the second
// (time.Date's choice), so there is one run that night.
func nextDaily(now time.Time, hour, minute int) time.Time {
	loc := workday.Stockholm()
	l := now.In(loc)
	for d := 0; ; d++ {
		t := time.Date(l.Year(), l.Month(), l.Day()+d, hour, minute, 0, 0, loc)
		if t.After(now) {
			return t
		}
	}
}
