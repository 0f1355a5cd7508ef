package metrics

import (
	"context"
	"runtime"
	"strings"
	"time"

	"clinicgw/sync/clock"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// StoreFigures are the encrypted store's figures, read from its indexes.
type StoreFigures struct {
	CasesByStatus map[string]int // by case status; a status left out counts 0
	Overdue       int            // open cases past their due date
	Outbox        int            // changes waiting for the central store
	SizeBytes     int64          // the store file's size
	KeyTerm       uint32         // the active key-ring term
	// Quarantined are the central events kept in the quarantine because
	// they could not apply here, by reason; a reason left out counts 0.
	Quarantined map[string]int
}

// StoreSource reads the store's figures, judging overdue cases at now.
type StoreSource interface {
	StoreFigures(ctx context.Context, now time.Time) (StoreFigures, error)
}

// SyncFigures are the uplink's state.
type SyncFigures struct {
	Connected   bool      // the central store's stream is up
	Cursor      uint64    // the last central event applied
	LastPull    time.Time // the last successful pull; zero: none since start
	LastErrorAt time.Time // the last failure; zero: none since start
	Rejected    int       // outbox items the central store rejected, held back
	// OutboxConflicts are outbox items the central store refused as
	// conflicts (their key or message id names other content there),
	// parked: not sent again; a person must look.
	OutboxConflicts int
	// InboundConflicts counts central events since start that named a
	// case or a message already applied here with other content: skipped.
	InboundConflicts int
	// FormsConflict says the central store refused the unit's forms: a
	// form changed without a raised version.
	FormsConflict bool
	// Continuity is "" while the central store's event chain goes on
	// where the gateway stands, else "behind" or "diverged" (the central
	// store went back in time) until a reconciliation completes.
	Continuity string
	// Reconciliations counts the reconciliations completed since start.
	Reconciliations int
	// ReconcileIncomplete says the last reconciliation could not give
	// everything back: the central store refused an event or an answer,
	// or the gateway's journal did not reach back far enough.
	ReconcileIncomplete bool
	// RestoreRecovery is "" unless the store was restored from a backup
	// and getting back what the central store confirmed after it is
	// RestorePending or came back RestoreIncomplete.
	RestoreRecovery string
	// SealingKey is where the unit's sealing key stands at the central
	// store: "" (not checked yet), "published", "unsupported" or
	// "refused" (sealkey.go); SealingKeyRefusals counts the keys it
	// published for the unit since start that the gateway did not sign.
	SealingKey         string
	SealingKeyRefusals int
	// OutboundSealing is how the outbox travels: "" (off), "sealed",
	// "plain", "waiting" or "refused" (outseal.go); the items sent sealed
	// and plain and those the central store refused since start; the
	// central store's verified sealing key id, "" before one is.
	OutboundSealing                                               string
	OutboundSealedItems, OutboundPlainItems, OutboundRefusedItems int
	CentralKeyID                                                  string
}

// Conflicts returns the machine-readable state of the sync's conflicts:
// StateOK, or the parts that have one, joined by "+" ("outbox",
// "inbound", "forms").
func (f SyncFigures) Conflicts() string {
	var parts []string
	if f.OutboxConflicts > 0 {
		parts = append(parts, "outbox")
	}
	if f.InboundConflicts > 0 {
		parts = append(parts, "inbound")
	}
	if f.FormsConflict {
		parts = append(parts, "forms")
	}
	if len(parts) == 0 {
		return StateOK
	}
	return strings.Join(parts, "+")
}

// ConflictsCheck is the /healthz check (not /readyz: staff work on) named
// "sync-conflicts": it fails while the sync has a conflict a person must
// resolve (SyncFigures.Conflicts).
func ConflictsCheck(src SyncSource) Check {
	return Check{Name: "sync-conflicts", Run: func(context.Context) string {
		f, ok := src.SyncFigures()
		if !ok {
			return StateOK
		}
		return f.Conflicts()
	}}
}

// ContinuityCheck is the /healthz check named "sync-continuity": it fails
// with "behind" or "diverged" from the moment the uplink finds that the
// central store went back in time until the reconciliation with it
// completes, and with "reconcile-incomplete" when that reconciliation
// could not give everything back (until the service restarts).
func ContinuityCheck(src SyncSource) Check {
	return Check{Name: "sync-continuity", Run: func(context.Context) string {
		f, ok := src.SyncFigures()
		switch {
		case !ok:
			return StateOK
		case f.Continuity != "":
			return f.Continuity
		case f.ReconcileIncomplete:
			return "reconcile-incomplete"
		}
		return StateOK
	}}
}

// SyncSource reports the uplink's state; ok is false when the gateway runs
// offline (no central store configured).
type SyncSource interface {
	SyncFigures() (f SyncFigures, ok bool)
}

// NoticeFigures are the notice queue's figures.
type NoticeFigures struct {
	Queued  int // notices not yet delivered
	Failing int // of those, the ones whose last attempt failed
}

// NoticeSource reads the notice queue; ok is false without notices
// configured.
type NoticeSource interface {
	NoticeFigures(ctx context.Context) (f NoticeFigures, ok bool, err error)
}

// LoginFigures are staff login's counts since start.
type LoginFigures struct {
	Succeeded uint64
	Refused   map[string]uint64 // by the step that refused
	Sessions  int               // live sessions now
}

// LoginSource reports staff login; ok is false without card login
// configured.
type LoginSource interface {
	LoginFigures() (f LoginFigures, ok bool)
}

// ArchiveFigures are the archive export's runs since start.
type ArchiveFigures struct {
	LastRun  time.Time // when the last run ended; zero: none since start
	LastOK   bool      // the last run finished without an error
	Cases    uint64    // cases exported (and removed here) since start
	Packages uint64    // packages written since start
	Failures uint64    // runs that failed since start
}

// ArchiveSource reports the archive export; ok is false without one
// configured.
type ArchiveSource interface {
	ArchiveFigures() (f ArchiveFigures, ok bool)
}

// BackupFigures are the nightly backup's runs since start.
type BackupFigures struct {
	LastRun     time.Time // when the last run ended; zero: none since start
	LastOK      bool      // the last run wrote its backup without an error
	LastSuccess time.Time // when the last good backup was written; zero: none since start
	Bytes       int64     // the last good backup's size
	Failures    uint64    // runs that failed since start
}

// BackupSource reports the nightly backup; ok is false without one
// configured.
type BackupSource interface {
	BackupFigures() (f BackupFigures, ok bool)
}

// Sources are what the collector reads at each scrape. Any of Sync,
// Notices, Login, Archive, Backup and Errors may be nil; Store and Clock are
// required.
type Sources struct {
	Version    string   // the running clinicgw's version
	Statuses   []string // every case status, each reported even at 0
	LoginSteps []string // every step a login may be refused at, each reported even at 0
	Started    time.Time
	Clock      clock.Clock
	Store      StoreSource
	Sync       SyncSource
	Notices    NoticeSource
	Login      LoginSource
	Archive    ArchiveSource
	Backup     BackupSource
	Errors     *ErrorCounter
	// Timeout bounds the store and notice reads of one scrape; 5 s if 0.
	Timeout time.Duration

	// QuarantineReasons are every reason a central event may be
	// quarantined for, each reported even at 0.
	QuarantineReasons []string
}

// The metric families, by name. Names follow Prometheus' conventions:
// clinicgw_ prefix, base units, _total for counters.
var (
	descBuildInfo = prometheus.NewDesc("clinicgw_build_info",
		"The running clinicgw's version (always 1).", []string{"version", "goversion"}, nil)
	descCases = prometheus.NewDesc("clinicgw_cases",
		"Cases in the store by workflow status.", []string{"status"}, nil)
	descOverdue = prometheus.NewDesc("clinicgw_cases_overdue",
		"Open cases past their due date (end of the second working day after receipt).", nil, nil)
	descOutbox = prometheus.NewDesc("clinicgw_outbox_depth",
		"Answers and status changes in the outbox, waiting for the central store to confirm them.", nil, nil)
	descStoreUp = prometheus.NewDesc("clinicgw_store_up",
		"1 if the store answered this scrape; 0 if not, and its figures are then left out.", nil, nil)
	descStoreSize = prometheus.NewDesc("clinicgw_store_size_bytes",
		"Size of the encrypted store file.", nil, nil)
	descKeyTerm = prometheus.NewDesc("clinicgw_store_key_term",
		"The store's active key-ring term; a key rotation raises it.", nil, nil)
	descSyncConnected = prometheus.NewDesc("clinicgw_sync_connected",
		"1 while the central store's event stream is connected, else 0 (the uplink then polls).", nil, nil)
	descSyncLag = prometheus.NewDesc("clinicgw_sync_lag_seconds",
		"Seconds since the last successful pull from the central store (since start before the first).", nil, nil)
	descSyncLastPull = prometheus.NewDesc("clinicgw_sync_last_pull_timestamp_seconds",
		"Unix time of the last successful pull from the central store; 0 if none since start.", nil, nil)
	descSyncLastError = prometheus.NewDesc("clinicgw_sync_last_error_timestamp_seconds",
		"Unix time of the uplink's last failure; 0 if none since start.", nil, nil)
	descSyncCursor = prometheus.NewDesc("clinicgw_sync_cursor",
		"Sequence number of the last central event applied here.", nil, nil)
	descOutboxRejected = prometheus.NewDesc("clinicgw_outbox_rejected",
		"Outbox items the central store rejected, held back before they are tried again.", nil, nil)
	descOutboxConflicts = prometheus.NewDesc("clinicgw_outbox_conflicts",
		"Outbox items the central store refused as conflicts (their key or message id names other content there): parked, not sent again; a person must look.", nil, nil)
	descInboundConflicts = prometheus.NewDesc("clinicgw_sync_inbound_conflicts_total",
		"Central events since start that named a case or message already stored here with other content: skipped, logged by event and case id.", nil, nil)
	descSyncContinuity = prometheus.NewDesc("clinicgw_sync_continuity_broken",
		"1 from when the central store was found behind or diverged (gone back in time) until the reconciliation with it completed, else 0.", nil, nil)
	descReconciliations = prometheus.NewDesc("clinicgw_sync_reconciliations_total",
		"Reconciliations with a central store that went back in time, completed since start.", nil, nil)
	descFormsConflict = prometheus.NewDesc("clinicgw_forms_conflict",
		"1 if the central store refused the unit's forms because a form changed without a raised version, else 0.", nil, nil)
	descNoticeQueue = prometheus.NewDesc("clinicgw_notice_queue_depth",
		"Notices (e-mail, SMS) not yet delivered.", nil, nil)
	descNoticeFailing = prometheus.NewDesc("clinicgw_notice_queue_failing",
		"Queued notices whose last delivery attempt failed; they are retried.", nil, nil)
	descLogins = prometheus.NewDesc("clinicgw_logins_total",
		"Successful staff logins by card since start.", nil, nil)
	descLoginFailures = prometheus.NewDesc("clinicgw_login_failures_total",
		"Refused staff logins since start, by the step that refused them.", []string{"reason"}, nil)
	descSessions = prometheus.NewDesc("clinicgw_sessions_active",
		"Live staff sessions.", nil, nil)
	descArchiveLastRun = prometheus.NewDesc("clinicgw_archive_last_run_timestamp_seconds",
		"Unix time the archive export last ran (daily, and at start); 0 if not since start.", nil, nil)
	descArchiveLastOK = prometheus.NewDesc("clinicgw_archive_last_run_success",
		"1 if the archive export's last run finished without an error, else 0; absent before the first run.", nil, nil)
	descArchiveCases = prometheus.NewDesc("clinicgw_archive_cases_exported_total",
		"Cases exported to the region archive, verified and removed here, since start.", nil, nil)
	descArchivePackages = prometheus.NewDesc("clinicgw_archive_packages_total",
		"Archive packages written since start.", nil, nil)
	descArchiveFailures = prometheus.NewDesc("clinicgw_archive_failures_total",
		"Archive export runs that failed since start (nothing unverified is removed).", nil, nil)
	descBackupLastRun = prometheus.NewDesc("clinicgw_backup_last_run_timestamp_seconds",
		"Unix time the nightly backup last ran; 0 if not since start.", nil, nil)
	descBackupLastOK = prometheus.NewDesc("clinicgw_backup_last_run_success",
		"1 if the nightly backup's last run wrote its backup, else 0; absent before the first run.", nil, nil)
	descBackupLastSuccess = prometheus.NewDesc("clinicgw_backup_last_success_timestamp_seconds",
		"Unix time the last good nightly backup was written; 0 if none since start. Alert when it is older than a day and a bit.", nil, nil)
	descBackupBytes = prometheus.NewDesc("clinicgw_backup_last_size_bytes",
		"The last good nightly backup's size; absent before the first.", nil, nil)
	descBackupFailures = prometheus.NewDesc("clinicgw_backup_failures_total",
		"Nightly backups that failed since start.", nil, nil)
	descLogErrors = prometheus.NewDesc("clinicgw_log_errors_total",
		"Log records at level ERROR since start, by the gateway part that wrote them.", []string{"part"}, nil)
)

// Collector is the gateway's prometheus.Collector: it reads its Sources
// at each scrape.
type Collector struct{ src Sources }

// NewCollector returns a collector over src.
func NewCollector(src Sources) *Collector {
	if src.Timeout <= 0 {
		src.Timeout = 5 * time.Second
	}
	return &Collector{src: src}
}

// Describe sends every family the collector may report.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuildInfo, descCases, descOverdue, descOutbox, descStoreUp, descStoreSize, descQuarantined,
		descKeyTerm, descSyncConnected, descSyncLag, descSyncLastPull, descSyncLastError, descSyncCursor,
		descOutboxRejected, descOutboxConflicts, descInboundConflicts, descFormsConflict, descSyncContinuity, descReconciliations, descRestoreRecovery, descNoticeQueue, descNoticeFailing, descLogins, descLoginFailures, descSessions, descArchiveLastRun, descArchiveLastOK, descArchiveCases,
		descArchivePackages, descArchiveFailures, descBackupLastRun, descBackupLastOK, descBackupLastSuccess, descBackupBytes,
		descBackupFailures, descLogErrors, descSealingKeyRefusals, descSealingKeyPublished,
		descOutboxItems, descOutboxRefused, descOutboxSealing, descCentralSealingKey} {
		ch <- d
	}
}

func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func counter(ch chan<- prometheus.Metric, d *prometheus.Desc, v uint64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

// Collect reads the sources and sends their figures.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	now := s.Clock.Now()
	gauge(ch, descBuildInfo, 1, s.Version, runtime.Version())

	if f, err := s.Store.StoreFigures(ctx, now); err != nil {
		gauge(ch, descStoreUp, 0)
	} else {
		gauge(ch, descStoreUp, 1)
		for _, st := range s.Statuses {
			gauge(ch, descCases, float64(f.CasesByStatus[st]), st)
		}
		gauge(ch, descOverdue, float64(f.Overdue))
		gauge(ch, descOutbox, float64(f.Outbox))
		gauge(ch, descStoreSize, float64(f.SizeBytes))
		gauge(ch, descKeyTerm, float64(f.KeyTerm))
		quarantined(ch, s.QuarantineReasons, f.Quarantined)
	}

	if s.Sync != nil {
		if f, ok := s.Sync.SyncFigures(); ok {
			connected := 0.0
			if f.Connected {
				connected = 1
			}
			since := f.LastPull
			if since.IsZero() {
				since = s.Started
			}
			gauge(ch, descSyncConnected, connected)
			gauge(ch, descSyncLag, max(now.Sub(since).Seconds(), 0))
			gauge(ch, descSyncLastPull, unixSeconds(f.LastPull))
			gauge(ch, descSyncLastError, unixSeconds(f.LastErrorAt))
			gauge(ch, descSyncCursor, float64(f.Cursor))
			gauge(ch, descOutboxRejected, float64(f.Rejected))
			gauge(ch, descOutboxConflicts, float64(f.OutboxConflicts))
			counter(ch, descInboundConflicts, uint64(f.InboundConflicts))
			sealingKey(ch, f)
			outboundSealing(ch, f)
			formsConflict := 0.0
			if f.FormsConflict {
				formsConflict = 1
			}
			gauge(ch, descFormsConflict, formsConflict)
			broken := 0.0
			if f.Continuity != "" {
				broken = 1
			}
			gauge(ch, descSyncContinuity, broken)
			counter(ch, descReconciliations, uint64(f.Reconciliations))
			restoreRecovery(ch, f.RestoreRecovery)
		}
	}

	if s.Notices != nil {
		// A queue that cannot be read now is left out of this scrape; the
		// store's own figures say whether the store answers.
		if f, ok, err := s.Notices.NoticeFigures(ctx); err == nil && ok {
			gauge(ch, descNoticeQueue, float64(f.Queued))
			gauge(ch, descNoticeFailing, float64(f.Failing))
		}
	}

	if s.Login != nil {
		if f, ok := s.Login.LoginFigures(); ok {
			counter(ch, descLogins, f.Succeeded)
			for _, step := range s.LoginSteps {
				counter(ch, descLoginFailures, f.Refused[step], step)
			}
			gauge(ch, descSessions, float64(f.Sessions))
		}
	}

	if s.Archive != nil {
		if f, ok := s.Archive.ArchiveFigures(); ok {
			lastOK := 0.0
			if f.LastOK {
				lastOK = 1
			}
			gauge(ch, descArchiveLastRun, unixSeconds(f.LastRun))
			if !f.LastRun.IsZero() {
				gauge(ch, descArchiveLastOK, lastOK)
			}
			counter(ch, descArchiveCases, f.Cases)
			counter(ch, descArchivePackages, f.Packages)
			counter(ch, descArchiveFailures, f.Failures)
		}
	}

	if s.Backup != nil {
		if f, ok := s.Backup.BackupFigures(); ok {
			gauge(ch, descBackupLastRun, unixSeconds(f.LastRun))
			if !f.LastRun.IsZero() {
				lastOK := 0.0
				if f.LastOK {
					lastOK = 1
				}
				gauge(ch, descBackupLastOK, lastOK)
			}
			gauge(ch, descBackupLastSuccess, unixSeconds(f.LastSuccess))
			if !f.LastSuccess.IsZero() {
				gauge(ch, descBackupBytes, float64(f.Bytes))
			}
			counter(ch, descBackupFailures, f.Failures)
		}
	}

	if s.Errors != nil {
		for part, n := range s.Errors.Counts() {
			counter(ch, descLogErrors, n, part)
		}
	}
}

// NewRegistry returns a registry of its own (not Prometheus' global one)
// holding the gateway's collector and the Go runtime's and the process's
// standard collectors.
func NewRegistry(c *Collector) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	for _, col := range []prometheus.Collector{c, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(col); err != nil {
			return nil, err
		}
	}
	return reg, nil
}
