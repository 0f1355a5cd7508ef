package agent

import (
	"clinicgw/agent/booking"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/config"
	"clinicgw/agent/groups"
	"clinicgw/agent/metrics"
	"clinicgw/agent/notify"
	"clinicgw/agent/store"
	"clinicgw/cardauth"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Options are what the caller gives the gateway besides its configuration.
type Options struct {
	Logger *slog.Logger // technical logs; discarded if nil
	Clock  clock.Clock  // the system clock if nil
	Rand   io.Reader    // crypto/rand if nil
	// Uplink adjusts the uplink's configuration before it is made (tests
	// shorten intervals); nil leaves the defaults.
	Uplink func(*uplink.Config)
	// UIListener, when not nil, is where the web UI listens instead of
	// ui.listen (tests listen on a free port first).
	UIListener net.Listener
	// OnReload, when not nil, is called after every read of a changed
	// configuration file, whether it was taken up or refused.
	OnReload func(ReloadStatus)
	// Version is the running clinicgw's version, for /metrics.
	Version string
}

// Agent is one care unit's gateway: the encrypted store, the case service
// and the uplink to the central store. Make it with New, then Start; Wait
// returns when it has stopped. Like syncthing's lib/syncthing App.
type Agent struct {
	cfg  *Config
	opts Options
	log  *slog.Logger

	// Made by New from the configuration, before anything is opened.
	upCfg *uplink.Config // nil: offline
	login *loginParts    // nil: no staff login configured

	// Set by Start.
	db  *store.DB
	svc *cases.Service
	// groups are the unit's staff groups (groups.go).
	groups *groups.Set
	up     *uplink.Uplink
	ui     *uiServer
	// forms are the unit's forms, for the form designer.
	forms   *formKeeper
	contact *contactKeeper
	// diary is the unit's booking diary (diary.go).
	diary *booking.Diary
	// diaryChanged hears of the diary's changes (diary.go's watchDiary).
	diaryChanged chan struct{}
	// notifier sends notices; nil without [notify].
	notifier *notify.Notifier
	// archive runs the archive export every night; nil without [archive].
	archive *archiveSchedule
	// backup takes the nightly backup; nil without [backup].
	backup *backupSchedule
	// errCount counts the log's errors and archived the archive's runs,
	// for /metrics; admin is the admin listener, nil without [admin].
	errCount *metrics.ErrorCounter
	admin    *adminServer
	archived archiveRuns
	// api is the integration API listener, nil without [api].
	api *apiServer

	// The lifecycle (lifecycle.go). stopping ends when the gateway is to
	// stop (Stop, Start's context, a part failing); the parts run on a
	// context that cancelParts ends once the listeners have drained.
	stopping    context.Context
	stop        context.CancelFunc
	cancelParts context.CancelFunc
	wg          sync.WaitGroup // every goroutine the gateway starts
	listeners   []*webListener
	closers     []closer
	mu          sync.Mutex
	err         error // the first error of a background part
	done        chan struct{}

	// The configuration reload (reload.go): the configuration in use and
	// the parts a reload replaces.
	reload reloadState
	live   atomic.Pointer[Config]
}

// New checks the configuration and loads what the uplink needs (the unit's
// certificate, the central store's CA, the forms), so that a mistake in
// any of them is reported before anything starts.
func New(cfg *Config, opts Options) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	errCount := metrics.NewErrorCounter()
	opts.Logger = slog.New(errCount.Handler(opts.Logger.Handler()))
	a := &Agent{cfg: cfg, opts: opts, log: opts.Logger, errCount: errCount}
	a.initReload()
	if cfg.Central.Online() {
		upCfg, err := uplinkConfig(cfg, opts)
		if err != nil {
			return nil, cfg.Locate(err)
		}
		a.upCfg = upCfg
	}
	if cfg.Login.Enabled() {
		lp, err := newLogin(cfg, opts.Clock, opts.Logger)
		if err != nil {
			return nil, cfg.Locate(err)
		}
		a.login = lp
	}
	return a, nil
}

// uplinkConfig builds the uplink's configuration from the [central] table.
func uplinkConfig(cfg *Config, opts Options) (*uplink.Config, error) {
	c := cfg.Central
	cert, err := tlsconf.LoadKeyPair(cfg.CentralFile(c.CertFile), cfg.CentralFile(c.KeyFile))
	if err != nil {
		return nil, config.KeyErr("central.cert_file", err, "central.key_file")
	}
	if err := tlsconf.RequireHSAID(cfg.Unit.HSAID)(cert.Leaf); err != nil {
		return nil, config.Errorf("central.cert_file", "the certificate is not this unit's (%s): %w", cfg.Unit.HSAID, err)
	}
	roots, err := tlsconf.LoadPool(cfg.CentralFile(c.CAFile))
	if err != nil {
		return nil, config.KeyErr("central.ca_file", err)
	}
	serverName := c.ServerName
	if serverName == "" {
		u, err := url.Parse(c.URL)
		if err != nil {
			return nil, config.KeyErr("central.url", err)
		}
		serverName = u.Hostname()
	}
	upCfg := &uplink.Config{
		BaseURL: c.URL,
		TLS:     tlsconf.Client(cert, roots, serverName, nil),
		Clock:   opts.Clock,
		Rand:    opts.Rand,
		Logger:  opts.Logger.With("part", "uplink"),
		Sealing: c.Sealing,
	}
	if c.FormsFile != "" {
		forms, err := LoadForms(cfg.CentralFile(c.FormsFile))
		if err != nil {
			return nil, config.KeyErr("central.forms_file", err)
		}
		upCfg.Forms = &forms
	}
	if opts.Uplink != nil {
		opts.Uplink(upCfg)
	}
	return upCfg, nil
}

// LoadForms reads and checks the unit's forms: a JSON form set as the sync
// protocol publishes it (sync/wire FormSet).
func LoadForms(path string) (wire.FormSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return wire.FormSet{}, err
	}
	defer f.Close()
	forms, err := wire.DecodeFormSet(f)
	if err != nil {
		return wire.FormSet{}, fmt.Errorf("%s: %w", path, err)
	}
	return forms, nil
}

// Start opens the store (creating it on the first run; the key file must
// exist), makes the case service and starts the uplink, the listeners and
// the background parts. It returns once the gateway is up; it runs until
// Stop, ctx's end or a part's failure. If Start fails, what it opened and
// started is stopped and closed again (lifecycle.go) before it returns.
func (a *Agent) Start(ctx context.Context) (err error) {
	if a.done != nil {
		return errors.New("start gateway: already started")
	}
	a.stopping, a.stop = context.WithCancel(ctx)
	runCtx, cancelParts := context.WithCancel(context.WithoutCancel(a.stopping))
	a.cancelParts, a.done = cancelParts, make(chan struct{})
	defer func() {
		if err != nil {
			a.stop()
			a.shutdown()
			a.done = nil
			err = fmt.Errorf("start gateway: %w", err)
		}
	}()
	kek, release, err := OpenKEK(ctx, a.cfg, a.log.With("part", "kek"))
	if err != nil {
		return err
	}
	a.opened("release the key-encryption key's token", release)
	db, err := store.Open(ctx, a.cfg.StorePath(), kek, store.Options{Unit: a.cfg.Unit.HSAID, Logger: a.log.With("part", "store")})
	if err != nil {
		return err
	}
	a.opened("close store", db.Close)
	// The unit's sealing key pair (sync/seal): made at the first start,
	// its private half wrapped by the KEK like the data keys.
	if _, _, err := db.EnsureSealingKey(ctx); err != nil {
		return err
	}
	kick := func() {}
	var changed atomic.Pointer[func(cases.Change)]
	signals := newSignalQueue()
	var onSignal func(cases.Signal) // only with a notifier to drain the queue
	if a.cfg.Notify.Enabled() {
		onSignal = signals.Push
	}
	var fileForms *wire.FormSet
	if a.upCfg != nil {
		fileForms = a.upCfg.Forms
	}
	forms, publish, err := openForms(ctx, db, fileForms, a.log.With("part", "forms"))
	if err != nil {
		return err
	}
	grp, err := a.openGroups(ctx, db) // groups.go
	if err != nil {
		return err
	}
	a.groups = grp
	forms.groupExists = grp.GroupExists // a service routes to a group the unit has
	svc, err := cases.NewService(cases.ServiceConfig{
		Unit: a.cfg.Unit.HSAID, Store: db, Clock: a.opts.Clock, Rand: a.opts.Rand, Groups: grp,
		Logger: a.log.With("part", "cases"), OnOutbound: func() { kick() },
		OnChange: func(ch cases.Change) {
			if fn := changed.Load(); fn != nil {
				(*fn)(ch)
			}
		},
		OnSignal:      onSignal,
		SyncRetention: a.cfg.SyncRetention(),
		Services:      forms,
		RouteFor:      func(t casetype.Type) string { return forms.RouteFor(string(t)) },

		ClientWriteRetention: a.cfg.API.ClientWrites(), // api.client_write_retention
	})
	if err != nil {
		return err
	}
	contact := &contactKeeper{db: db, log: a.log.With("part", "contact")}
	// The booking diary: the staff's pages and, through the uplink, the
	// patients' requests at the central store decide with the same
	// authority (clinicians' names are not published: Display nil).
	if a.diary, err = a.newDiary(db); err != nil {
		return fmt.Errorf("booking diary: %w", err)
	}
	var up *uplink.Uplink
	if a.upCfg != nil {
		cfg := *a.upCfg
		cfg.Cases = svc
		cfg.SealingKeys = db
		cfg.Booking = diarySync{booking.SyncSource{Diary: a.diary}, a.cfg.Unit.HSAID, a.opts.Clock} // diarysync.go
		if publish != nil {
			services, legacy := publish.Published(), publish.Legacy()
			cfg.Forms, cfg.Services = &legacy, &services
		} else {
			cfg.Forms = nil
		}
		if rf, ok, err := db.RestoredFrom(); err != nil {
			return fmt.Errorf("read the restore record: %w", err)
		} else if ok && rf.ReconciledAt.IsZero() {
			// Restored from a backup: get back what the central store
			// confirmed after it before pushing anything.
			cfg.Restored = &uplink.Restored{Since: rf.Backup.TakenAt, Done: func(ctx context.Context, _ uplink.RecoverReport) error {
				return db.MarkRestoreReconciled(ctx, a.opts.Clock.Now())
			}}
		}
		if up, err = uplink.New(cfg); err != nil {
			return err
		}
		kick = up.Kick // set before anyone can call the service
		forms.setUplink(up)
		if err := contact.setUplink(ctx, up); err != nil {
			return err
		}
	}
	if a.cfg.Notify.Enabled() {
		if a.notifier, err = a.newNotifier(db); err != nil {
			return err
		}
	}
	if a.cfg.Archive.Enabled() {
		if a.archive, err = a.newArchiveSchedule(db); err != nil {
			return err
		}
	}
	if a.cfg.Backup.Enabled() {
		if a.backup, err = a.newBackupSchedule(db); err != nil {
			return err
		}
	}
	a.db, a.svc, a.up, a.forms, a.contact = db, svc, up, forms, contact
	if a.cfg.UI.Enabled() {
		ui, err := a.startUI(db)
		if err != nil {
			return fmt.Errorf("web UI: %w", err)
		}
		a.ui = ui
		notify := ui.ui.Notify
		changed.Store(&notify)
	}
	a.watchDiary(up) // diary.go
	if a.archive != nil {
		a.wg.Go(func() { a.archive.run(runCtx) })
	}
	if a.backup != nil {
		a.wg.Go(func() { a.backup.run(runCtx) })
	}
	a.wg.Go(func() { a.runAuditCheck(runCtx, db) })
	a.wg.Go(func() { a.runDiaryGenerate(runCtx, a.diary) })
	a.wg.Go(func() { a.runDiaryReleases(runCtx, a.up) })
	if n := a.notifier; n != nil {
		log := a.log.With("part", "notify")
		a.wg.Go(func() { signals.run(runCtx, n, log) })
		a.wg.Go(func() { n.Run(runCtx, 10*time.Second) })
		a.wg.Go(func() { watchOverdue(runCtx, a.opts.Clock, svc, n, log) })
		rm, err := a.newReminders(n, a.contact)
		if err != nil {
			return fmt.Errorf("booking reminders: %w", err)
		}
		a.wg.Go(func() { rm.Run(runCtx, reminderTick) })
	}
	if a.cfg.Admin.Enabled() {
		if err := a.startAdmin(); err != nil {
			return fmt.Errorf("admin listener: %w", err)
		}
	}
	if a.cfg.API.Enabled() {
		api, err := a.startAPI()
		if err != nil {
			return fmt.Errorf("integration API: %w", err)
		}
		// The change feed hears of every change too, after the UI.
		ui := changed.Load()
		both := func(ch cases.Change) {
			if ui != nil {
				(*ui)(ch)
			}
			api.Notify(ch)
		}
		changed.Store(&both)
	}
	if a.login != nil {
		a.wg.Go(func() {
			if err := a.login.run(runCtx); err != nil && runCtx.Err() == nil {
				a.fail(fmt.Errorf("staff directory: %w", err))
			}
		})
	}
	if up != nil {
		a.wg.Go(func() {
			if err := up.Run(runCtx); err != nil && runCtx.Err() == nil {
				a.fail(fmt.Errorf("uplink: %w", err))
			}
		})
		a.log.Info("gateway started", "unit", a.cfg.Unit.HSAID, "central", a.cfg.Central.URL)
	} else {
		a.log.Warn("gateway started offline: no central store configured (central.url); answers wait in the outbox", "unit", a.cfg.Unit.HSAID)
	}
	if a.cfg.Path() != "" {
		if watch, err := a.watchConfig(); err != nil {
			a.log.Error("config file not watched; changes apply at the next start", "err", err)
		} else {
			a.wg.Go(func() {
				if err := watch(runCtx); err != nil && runCtx.Err() == nil {
					a.log.Error("config file no longer watched; changes apply at the next start", "err", err)
				}
			})
		}
	}
	// The supervisor: it alone is not in a.wg, which it waits for.
	go func() {
		<-a.stopping.Done()
		if err := a.shutdown(); err != nil {
			a.record(err)
		}
		a.log.Info("gateway stopped", "unit", a.cfg.Unit.HSAID)
		close(a.done)
	}()
	return nil
}

// fail records the first error of a background part and stops the rest.
func (a *Agent) fail(err error) {
	a.record(err)
	a.stop()
}

// record keeps err as the gateway's error unless one came first.
func (a *Agent) record(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err == nil {
		a.err = err
		a.log.Error("gateway part failed; stopping", "err", err)
	}
}

// Stop ends the gateway and waits until it has stopped.
func (a *Agent) Stop() error {
	if a.done == nil {
		return nil
	}
	a.stop()
	return a.Wait()
}

// Wait blocks until the gateway has stopped (Stop, its context's end, or
// a part failing) and returns the first failure, if any.
func (a *Agent) Wait() error {
	if a.done == nil {
		return errors.New("wait: the gateway was not started")
	}
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Cases is the case service; nil before Start.
func (a *Agent) Cases() *cases.Service { return a.svc }

// Store is the encrypted store; nil before Start.
func (a *Agent) Store() *store.DB { return a.db }

// Uplink reports the sync's state; ok is false when the gateway runs
// offline or has not started.
func (a *Agent) Uplink() (st uplink.Status, ok bool) {
	if a.up == nil {
		return uplink.Status{}, false
	}
	return a.up.Status(), true
}

// Login is staff login by card; nil when [login] is not configured.
func (a *Agent) Login() *cardauth.Authenticator {
	if a.login == nil {
		return nil
	}
	return a.login.auth
}

// UIAddr is where the web UI listens; "" without one.
func (a *Agent) UIAddr() string {
	if a.ui == nil {
		return ""
	}
	return a.ui.ln.Addr().String()
}

// Config is the gateway's configuration in use: the one it started with,
// with what reloads applied since.
func (a *Agent) Config() *Config { return a.live.Load() }
