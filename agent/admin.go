package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"clinicgw/agent/archive"
	"clinicgw/agent/cases"
	"clinicgw/agent/metrics"
	"clinicgw/cardauth"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/uplink"
)

// minTokenLen is the shortest bearer token accepted.
const minTokenLen = 16

// adminServer is the running admin listener.
type adminServer struct {
	ln net.Listener
}

// startAdmin serves the admin listener until the gateway stops.
func (a *Agent) startAdmin() error {
	c := a.cfg.Admin
	var token string
	if c.TokenFile != "" {
		t, err := readSecret(a.cfg.Resolve(c.TokenFile))
		if err != nil {
			return fmt.Errorf("admin.token_file: %w", err)
		}
		if len(t) < minTokenLen {
			return fmt.Errorf("admin.token_file: the token is %d characters; expected at least %d (make one with `openssl rand -hex 32`)", len(t), minTokenLen)
		}
		token = t
	}
	var tcfg *tls.Config
	if c.TLS {
		certFile, keyFile, keys := c.CertFile, c.KeyFile, "admin.cert_file, admin.key_file"
		if certFile == "" {
			certFile, keyFile, keys = a.cfg.UI.CertFile, a.cfg.UI.KeyFile, "ui.cert_file, ui.key_file (for admin.tls)"
		}
		cert, err := tlsconf.LoadKeyPair(a.cfg.Resolve(certFile), a.cfg.Resolve(keyFile))
		if err != nil {
			return fmt.Errorf("%s: %w", keys, err)
		}
		tcfg = tlsconf.ServerNoClientCert(cert)
	}
	started := a.opts.Clock.Now()
	version := a.opts.Version
	if version == "" {
		version = "dev"
	}
	src := adminSources{a: a, archive: a.cfg.Archive.Enabled()}
	statuses := cases.Statuses()
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = string(st)
	}
	reg, err := metrics.NewRegistry(metrics.NewCollector(metrics.Sources{
		Version: version, Statuses: names, LoginSteps: cardauth.LoginSteps(), Started: started, QuarantineReasons: quarantineReasons(),
		Clock: a.opts.Clock, Store: src, Sync: src, Notices: src, Login: src, Archive: src, Errors: a.errCount,
		Backup: a.backupSource(),
	}))
	if err != nil {
		return err
	}
	log := a.log.With("part", "admin")
	backupToken, err := a.writeBackupToken()
	if err != nil {
		return err
	}
	h := metrics.Handler(metrics.HandlerConfig{Gatherer: reg, Checks: a.healthChecks(a.stopping, started), Token: token, Logger: log,
		Backup: a.backupHandler(backupToken)})
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		a.removeBackupToken(backupToken)
		return fmt.Errorf("admin.listen: %w", err)
	}
	// The backup token goes with the listener: removed once it stopped.
	a.serve("admin listener", ln, tcfg, h, func(context.Context) error { a.removeBackupToken(backupToken); return nil })
	a.admin = &adminServer{ln: ln}
	scheme := "http"
	if tcfg != nil {
		scheme = "https"
	}
	log.Info("admin listener serving metrics and health", "addr", ln.Addr().String(), "scheme", scheme, "token", token != "")
	return nil
}

// AdminAddr is where the admin listener listens; "" without one.
func (a *Agent) AdminAddr() string {
	if a.admin == nil {
		return ""
	}
	return a.admin.ln.Addr().String()
}

// healthChecks are /healthz's checks; the gateway, the store and the web
// UI count for /readyz too (staff can work), the uplink and its conflicts
// only for /healthz (staff work on while the central store is away).
func (a *Agent) healthChecks(runCtx context.Context, started time.Time) []metrics.Check {
	running := func(context.Context) string {
		if runCtx.Err() != nil {
			return "stopping"
		}
		return metrics.StateOK
	}
	checks := []metrics.Check{
		{Name: "gateway", Ready: true, Run: running},
		{Name: "store", Ready: true, Run: func(ctx context.Context) string {
			err := a.db.View(ctx, func(tx cases.ReadTx) error { _, err := tx.SyncCursor(); return err })
			switch {
			case a.db.Damaged() != nil:
				return "damaged" // found by this read or an earlier one; the log says where, once
			case err != nil:
				return "unavailable"
			}
			return metrics.StateOK
		}},
	}
	if a.cfg.UI.Enabled() {
		checks = append(checks, metrics.Check{Name: "ui", Ready: true, Run: func(ctx context.Context) string {
			if a.ui == nil || runCtx.Err() != nil {
				return "down"
			}
			return metrics.StateOK
		}})
	}
	if a.up != nil {
		limit := a.cfg.Admin.LagLimit()
		checks = append(checks, metrics.Check{Name: "uplink", Run: func(context.Context) string {
			// Not the stream's state: a stream can be up while pulls fail,
			// and a connected uplink still pulls every 5 minutes.
			st := a.up.Status()
			since := st.LastPull
			if since.IsZero() {
				since = started
			}
			if a.opts.Clock.Now().Sub(since) > limit {
				return "lagging"
			}
			return metrics.StateOK
		}}, metrics.ConflictsCheck(adminSources{a: a}), metrics.ContinuityCheck(adminSources{a: a}),
			metrics.RestoreRecoveryCheck(adminSources{a: a}))
	}
	// Offline too: events quarantined before stay until region IT acts.
	checks = append(checks, metrics.QuarantineCheck(adminSources{a: a}, a.opts.Clock))
	return checks
}

// quarantineReasons are cases.QuarantineReasons as strings.
func quarantineReasons() []string {
	out := make([]string, len(cases.QuarantineReasons))
	for i, r := range cases.QuarantineReasons {
		out[i] = string(r)
	}
	return out
}

// adminSources gives the metrics collector the gateway's figures, read
// from its parts at each scrape. What the configuration decides is taken
// once, at start, as the parts themselves are.
type adminSources struct {
	a       *Agent
	archive bool // the archive export runs ([archive] dir set)
}

func (s adminSources) StoreFigures(ctx context.Context, now time.Time) (metrics.StoreFigures, error) {
	f, err := s.a.db.Figures(ctx, now)
	if err != nil {
		return metrics.StoreFigures{}, err
	}
	by := make(map[string]int, len(f.ByStatus))
	for st, n := range f.ByStatus {
		by[string(st)] = n
	}
	q := make(map[string]int, len(f.Quarantined))
	for r, n := range f.Quarantined {
		q[string(r)] = n
	}
	return metrics.StoreFigures{CasesByStatus: by, Overdue: f.Overdue, Outbox: f.Outbox, SizeBytes: f.SizeBytes, KeyTerm: f.KeyTerm,
		Quarantined: q}, nil
}

func (s adminSources) SyncFigures() (metrics.SyncFigures, bool) {
	st, ok := s.a.Uplink()
	if !ok {
		return metrics.SyncFigures{}, false
	}
	return metrics.SyncFigures{Connected: st.Connected, Cursor: st.Cursor, LastPull: st.LastPull,
		LastErrorAt: st.LastErrorAt, Rejected: st.Rejected, OutboxConflicts: st.Conflicts,
		InboundConflicts: st.InboundConflicts, FormsConflict: st.FormsConflict,
		Continuity: string(st.Continuity), Reconciliations: st.Reconciliations,
		ReconcileIncomplete: st.LastReconcile.Incomplete(), RestoreRecovery: restoreRecovery(st),
		SealingKey: string(st.SealingKey), SealingKeyRefusals: st.SealingKeyRefusals,
		OutboundSealing: string(st.OutboundSealing), OutboundSealedItems: st.OutboundSealedItems,
		OutboundPlainItems: st.OutboundPlainItems, OutboundRefusedItems: st.OutboundRefusedItems, CentralKeyID: st.CentralKeyID}, true
}

// restoreRecovery is the state of getting back what the central store
// confirmed after the backup the store was restored from.
func restoreRecovery(st uplink.Status) string {
	switch {
	case st.RestorePending:
		return metrics.RestorePending
	case st.LastRecover.Incomplete:
		return metrics.RestoreIncomplete
	}
	return ""
}

func (s adminSources) NoticeFigures(ctx context.Context) (metrics.NoticeFigures, bool, error) {
	n := s.a.notifier
	if n == nil {
		return metrics.NoticeFigures{}, false, nil
	}
	waiting, err := n.Pending(ctx)
	if err != nil {
		return metrics.NoticeFigures{}, true, err
	}
	f := metrics.NoticeFigures{Queued: len(waiting)}
	for _, w := range waiting {
		if w.Attempts > 0 {
			f.Failing++
		}
	}
	return f, true, nil
}

func (s adminSources) LoginFigures() (metrics.LoginFigures, bool) {
	auth := s.a.Login()
	if auth == nil {
		return metrics.LoginFigures{}, false
	}
	c := auth.LoginCounts()
	return metrics.LoginFigures{Succeeded: c.Succeeded, Refused: c.Refused, Sessions: auth.Sessions()}, true
}

func (s adminSources) ArchiveFigures() (metrics.ArchiveFigures, bool) {
	if !s.archive {
		return metrics.ArchiveFigures{}, false
	}
	r := &s.a.archived
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f, true
}

// archiveRuns keeps the archive export's runs since start, for /metrics.
type archiveRuns struct {
	mu sync.Mutex
	f  metrics.ArchiveFigures
}

// archiveRan records one run of the archive export.
func (a *Agent) archiveRan(rep archive.Report, err error) {
	r := &a.archived
	r.mu.Lock()
	defer r.mu.Unlock()
	r.f.LastRun, r.f.LastOK = a.opts.Clock.Now(), err == nil
	r.f.Cases += uint64(rep.Cases)
	r.f.Packages += uint64(rep.Packages)
	if err != nil {
		r.f.Failures++
	}
}

// backupSource is the nightly backup for /metrics; nil without [backup].
func (a *Agent) backupSource() metrics.BackupSource {
	if a.backup == nil {
		return nil
	}
	return a.backup
}
