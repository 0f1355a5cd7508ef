package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/agent/store"
	"clinicgw/cardauth/bridge"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

// The demo clinic. Every HSA-ID, name and personnummer in it is invented;
// the personnummer use only the test serials 980–999.
const (
	demoUnit     = "SE2321000016-DEMO"
	demoUnitName = "Vårdcentralen Demo"
	demoDays     = 21
	demoSeed     = 1177 // the synthetic data is the same on every run
)

var (
	demoDistributor = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-DEMOADM", Roles: []cases.Role{cases.Distributor}}
	demoClinicians  = []struct {
		actor     cases.Actor
		signature string
		title     string // as the patient sees it
	}{
		{clinician("SE2321000016-DEMO1"), "Lars Läkarsson, leg. läkare", "Läkare"},
		{clinician("SE2321000016-DEMO2"), "Sara Sjöberg, leg. sjuksköterska", "Sjuksköterska"},
		{clinician("SE2321000016-DEMO3"), "Per Psykologsson, leg. psykolog", "Psykolog"},
	}
	demoUnitAdmin = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-DEMOENH", Roles: []cases.Role{cases.UnitAdmin}}
	demoPatient   = cases.Actor{Kind: cases.Patient}
)

func clinician(hsaID string) cases.Actor {
	return cases.Actor{Kind: cases.Staff, HSAID: hsaID, Roles: []cases.Role{cases.Clinician}}
}

func demoFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	dir := fs.String("dir", "", "`DIR` is the demo's state folder; it must be new or empty (default: a new temporary folder)")
	n := fs.Int("cases", 200, "`N` is how many synthetic cases of the last three weeks to seed as history")
	live := fs.Int("live", 20, "`N` is how many patients write now, through the central store")
	web := fs.String("web", "127.0.0.1:8444", "`ADDR` to serve the central store's patient pages on")
	ui := fs.String("ui", "127.0.0.1:8443", "`ADDR` to serve the gateway's web UI on (HTTPS); a host the browser reaches, not 0.0.0.0")
	bridgeAddr := fs.String("bridge", bridge.DefaultAddr, "`ADDR` for the demo workstation's card bridge (loopback)")
	cards := fs.String("cards", "127.0.0.1:8445", "`ADDR` to serve the demo card reader's page on (loopback)")
	admin := fs.String("admin", "127.0.0.1:8446", "`ADDR` for the gateway's admin listener, /metrics and /healthz (loopback, plain HTTP); empty: none")
	once := fs.Bool("once", false, "stop after the live part instead of serving until Ctrl-C")
	return func(ctx context.Context, e *env) error {
		if *n < 1 || *n > 100000 {
			return usagef("--cases %d: expected 1 to 100000", *n)
		}
		if *live < 0 || *live > 1000 {
			return usagef("--live %d: expected 0 to 1000", *live)
		}
		return runDemo(ctx, e, demoOptions{dir: *dir, history: *n, live: *live, web: *web, ui: *ui,
			bridge: *bridgeAddr, cards: *cards, admin: *admin, once: *once})
	}
}

// demoOptions are the demo's flags.
type demoOptions struct {
	dir             string
	history, live   int
	web, ui, bridge string
	cards, admin    string
	once            bool
	logPath         string // the technical log's file, "" if the log goes elsewhere
	// configure, in tests, changes the gateway's configuration before it
	// starts.
	configure func(*agent.Config)
}

// demoLogName is the demo's technical log, in its folder.
const demoLogName = "demo.log"

// runDemo runs the demonstration clinic in its folder (a new temporary
// one unless o.dir names one) with the technical log in the folder's
// demo.log and only warnings and errors on the console, so that the
// console tells the story. Stopped by ctx (Ctrl-C) or done with --once,
// it exits cleanly: a temporary folder is removed, a given one kept, and
// the output says which. After a failure the folder is kept for its log.
func runDemo(ctx context.Context, e *env, o demoOptions) (err error) {
	temp := o.dir == ""
	if o.dir, err = demoDir(o.dir); err != nil {
		return err
	}
	logPath := filepath.Join(o.dir, demoLogName)
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fh, err := agent.NewLogHandler(lf, e.logFormat, "")
	if err != nil {
		lf.Close()
		return err
	}
	de := *e
	de.log = slog.New(slog.NewMultiHandler(fh, minLevel{next: e.log.Handler(), min: slog.LevelWarn}))
	o.logPath = logPath
	defer func() {
		if ctx.Err() != nil {
			// Ctrl-C: the user stopped it, whatever the parts said as
			// they stopped (the log has it).
			err = nil
		}
		lf.Close()
		switch {
		case err == nil && temp:
			if rerr := os.RemoveAll(o.dir); rerr != nil {
				fmt.Fprintf(e.stdout, "\nThe demo's folder %s could not be removed (%v); remove it with: rm -rf %s\n", o.dir, rerr, shellQuote(o.dir))
				return
			}
			fmt.Fprintf(e.stdout, "\nThe demo's temporary folder %s was removed (with --dir DIR the demo keeps its folder).\n", o.dir)
		default:
			why := "is yours (--dir)"
			if err != nil {
				why = "is kept for its log"
			}
			fmt.Fprintf(e.stdout, "\nThe demo's folder %s %s: its log %s; remove it with: rm -rf %s\n", o.dir, why, logPath, shellQuote(o.dir))
		}
	}()
	return runDemoIn(ctx, &de, o, !temp)
}

// minLevel passes on to next only records at min or above.
type minLevel struct {
	next slog.Handler
	min  slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.next.Enabled(ctx, l)
}

func (h minLevel) Handle(ctx context.Context, r slog.Record) error { return h.next.Handle(ctx, r) }

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{next: h.next.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{next: h.next.WithGroup(name), min: h.min}
}

// shellQuote quotes a path for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// runDemoIn starts the demonstration clinic (startDemo) in o.dir, has
// patients write and staff answer through it, prints statistics and the
// access log's check, and unless once serves the clinic until ctx ends:
// the web UI, the demo card reader and the patient pages.
func runDemoIn(ctx context.Context, e *env, o demoOptions, kept bool) error {
	d, err := startDemo(ctx, e, o)
	if err != nil {
		return err
	}
	defer d.close()
	gw := d.gw
	if o.live > 0 {
		if err := demoLive(ctx, e, d.central.store, gw.Cases(), o.live); err != nil {
			return err
		}
	}
	if err := demoWaiting(ctx, e, d.central.store, gw.Cases()); err != nil {
		return err
	}
	st, err := gw.Cases().Stats(ctx, demoUnitAdmin, d.end.AddDate(0, 0, -demoDays), time.Time{})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	if err := printStats(e.stdout, st); err != nil {
		return err
	}
	rep, err := gw.Store().VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("access log NOT OK after %d good entries: %w", rep.Entries, err)
	}
	fmt.Fprintf(e.stdout, "\naccess log OK: %d entries, head %s\n", rep.Entries, hex.EncodeToString(rep.Head.Hash[:]))
	cfgPath := d.cfg.Path()
	if o.once && kept {
		fmt.Fprintf(e.stdout, "\nLook again with the clinicgw binary (in the source tree: go run ./cmd/clinicgw):\n  clinicgw run --config %s\n  clinicgw stats --config %s\n  clinicgw audit verify --config %s\n  clinicgw keys list --config %s\n", cfgPath, cfgPath, cfgPath, cfgPath)
	}
	if o.once {
		return nil
	}
	d.printWelcome(e.stdout)
	return d.wait(ctx)
}

// demoRun is a started demonstration clinic: the gateway with its web
// UI, the reference central store, and the demo workstation (card tray
// and bridge).
type demoRun struct {
	dir, logPath              string
	end                       time.Time // the end of the seeded history
	clinic                    *democlinic.Clinic
	cfg                       *agent.Config
	cp                        centralPKI
	central                   *centralServer
	gw                        *agent.Agent
	tray                      *democlinic.Tray
	servers                   []*http.Server
	lns                       []net.Listener
	uiURL, bridgeURL, trayURL string
	errc                      chan error
	cancel                    context.CancelFunc
	done                      sync.WaitGroup
	closeOnce                 sync.Once
}

// startDemo makes a demonstration clinic in the folder o.dir (absolute,
// new or empty but for the demo's log: demoDir) and starts it:
// democlinic's PKI, staff directory and web UI configuration; three weeks
// of synthetic history in the encrypted store; the reference central
// store and the gateway (agent.New/Start) syncing with it over mutual
// TLS on loopback; a SoftHSM2 token as every staff member's card, a card
// tray page to put them in the demo workstation's reader, and the card
// bridge (in this process) that the login page talks to.
func startDemo(ctx context.Context, e *env, o demoOptions) (_ *demoRun, err error) {
	d := &demoRun{errc: make(chan error, 4)}
	ctx, d.cancel = context.WithCancel(ctx)
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if d.dir = o.dir; d.dir == "" || !filepath.IsAbs(d.dir) {
		return nil, fmt.Errorf("demo folder %q: expected an absolute path", d.dir)
	}
	uiLn, bridgeLn, trayLn, err := demoListen(o)
	if err != nil {
		return nil, err
	}
	d.lns = []net.Listener{uiLn, bridgeLn, trayLn} // closed by close, whoever serves them
	fmt.Fprintf(e.stdout, "Demo clinic %s (%s) in %s\n", demoUnitName, demoUnit, d.dir)
	if d.logPath = o.logPath; d.logPath != "" {
		fmt.Fprintf(e.stdout, "Technical log: %s (warnings and errors also here)\n", d.logPath)
	}
	d.uiURL = "https://" + uiLn.Addr().String()
	d.bridgeURL = "http://" + bridgeLn.Addr().String()
	d.trayURL = "http://" + trayLn.Addr().String()
	d.clinic, err = democlinic.Build(d.dir, democlinic.Options{Unit: demoUnit, UnitName: demoUnitName,
		Origin: d.uiURL, Listen: uiLn.Addr().String(), Bridge: d.bridgeURL})
	if err != nil {
		return nil, err
	}
	d.cfg = d.clinic.Config
	if d.cp, err = demoCentralConfig(e, d.dir, d.cfg); err != nil {
		return nil, err
	}
	d.end = clock.System.Now().Truncate(time.Minute)
	batches, steps, err := seedHistory(ctx, e, d.cfg, d.end, o.history)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stdout, "History: %d cases over the last %d days in %d batches, then %d workflow steps.\n", o.history, demoDays, batches, steps)

	units := centralUnits{ids: []string{demoUnit}, names: map[string]string{demoUnit: demoUnitName}}
	if d.central, err = startCentral(ctx, e, filepath.Join(d.dir, "central"), d.cp, "127.0.0.1:0", o.web, units, 0, central.LogNotifier{Logger: e.log}, centralKeys{}); err != nil {
		return nil, err
	}
	d.cfg.Central.URL = d.central.apiURL
	if o.admin != "" {
		d.cfg.Admin = agent.AdminConfig{Listen: o.admin}
	}
	if o.configure != nil {
		o.configure(d.cfg)
	}
	if err := d.cfg.Write(d.cfg.Path()); err != nil {
		return nil, err
	}
	if d.tray, err = democlinic.ProvisionCards(filepath.Join(d.dir, "cards"), d.clinic.PKI, democlinic.Staff, e.log); err != nil {
		return nil, err
	}
	if d.gw, err = agent.New(d.cfg, agent.Options{Logger: e.log, UIListener: uiLn}); err != nil {
		return nil, err
	}
	if err := d.gw.Start(ctx); err != nil {
		d.gw = nil
		return nil, err
	}
	fmt.Fprintf(e.stdout, "Central store (reference, development only): sync API %s/v1/, patient pages %s/\n", d.central.apiURL, d.central.webURL)
	fmt.Fprintf(e.stdout, "Gateway running, syncing with it over mutual TLS; its web UI on %s/\n", d.uiURL)
	if addr := d.gw.AdminAddr(); addr != "" {
		fmt.Fprintf(e.stdout, "Operations (region IT): http://%s/metrics, http://%s/healthz\n", addr, addr)
	}

	b, err := bridge.New(bridge.Config{
		Gateway: d.uiURL, GatewayTLS: tlsconf.Client(tls.Certificate{}, d.clinic.PKI.RootPool(), "", nil),
		Cards: d.tray, Reader: d.tray, AppVersion: "clinicgw-bridge " + version, Logger: e.log,
	})
	if err != nil {
		return nil, err
	}
	d.serve(bridgeLn, b.Handler(), bridge.Limits)
	d.serve(trayLn, d.tray.Handler(), tlsconf.DefaultLimits)
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		if err := b.Run(ctx); err != nil {
			d.errc <- fmt.Errorf("card bridge: %w", err)
		}
	}()
	fmt.Fprintf(e.stdout, "Demo workstation: card reader page %s/, card bridge %s\n\n", d.trayURL, d.bridgeURL)
	return d, nil
}

// demoListen opens the web UI's, the bridge's and the card tray's
// listeners first, so that a taken port is named before anything is
// written.
func demoListen(o demoOptions) (ui, br, tray net.Listener, err error) {
	host, _, err := net.SplitHostPort(o.ui)
	if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
		return nil, nil, nil, usagef("--ui %q: expected HOST:PORT with a host the browser reaches, e.g. 127.0.0.1:8443", o.ui)
	}
	if host, _, err := net.SplitHostPort(o.cards); err != nil || !net.ParseIP(host).IsLoopback() {
		return nil, nil, nil, usagef("--cards %q: expected a loopback address, e.g. 127.0.0.1:8445", o.cards)
	}
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	for _, l := range []struct {
		flag, addr string
		listen     func(string) (net.Listener, error)
	}{
		{"--ui", o.ui, func(a string) (net.Listener, error) { return net.Listen("tcp", a) }},
		{"--bridge", o.bridge, bridge.Listen},
		{"--cards", o.cards, func(a string) (net.Listener, error) { return net.Listen("tcp", a) }},
	} {
		ln, err := l.listen(l.addr)
		if err != nil {
			closeAll()
			return nil, nil, nil, fmt.Errorf("%s %s: %w (is another demo or gateway running? choose another address with %s)", l.flag, l.addr, err, l.flag)
		}
		lns = append(lns, ln)
	}
	return lns[0], lns[1], lns[2], nil
}

// serve serves h on ln with limits lim until close.
func (d *demoRun) serve(ln net.Listener, h http.Handler, lim tlsconf.Limits) {
	srv := tlsconf.NewHTTPServer(h, nil, lim)
	d.servers = append(d.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.errc <- err
		}
	}()
}

// wait serves until ctx ends or a part fails.
func (d *demoRun) wait(ctx context.Context) error {
	cerr := make(chan error, 1)
	go func() { cerr <- d.central.wait(ctx) }()
	select {
	case err := <-cerr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case err := <-d.errc:
		return err
	}
}

// close stops every part that was started, the gateway first; called
// again, it does nothing.
func (d *demoRun) close() {
	d.closeOnce.Do(func() {
		d.cancel()
		for _, srv := range d.servers {
			srv.Close()
		}
		for _, ln := range d.lns {
			ln.Close()
		}
		d.done.Wait()
		if d.gw != nil {
			d.gw.Stop()
		}
		if d.central != nil {
			d.central.close(context.Background())
		}
		if d.tray != nil {
			d.tray.Close()
		}
		if d.clinic != nil {
			d.clinic.Close()
		}
	})
}

// printWelcome says where everything is and how to log in.
func (d *demoRun) printWelcome(w io.Writer) {
	fmt.Fprintf(w, "\nThe demo runs on. Your browser will warn about the development CA (its certificate:\n%s); accept it for these loopback pages.\n\n", d.cp.rootFile)
	fmt.Fprintf(w, "Staff web UI:        %s/\n", d.uiURL)
	fmt.Fprintf(w, "Demo card reader:    %s/  (put a card in, then log in with PIN %s)\n", d.trayURL, democlinic.CardPIN)
	if addr := d.gw.AdminAddr(); addr != "" {
		fmt.Fprintf(w, "Metrics and health:  http://%s/metrics  http://%s/healthz  (region IT's admin listener)\n", addr, addr)
	}
	if d.logPath != "" {
		fmt.Fprintf(w, "Technical log:       %s\n", d.logPath)
	}
	fmt.Fprintf(w, "Patient pages:       %s/  (development log-in: any synthetic personnummer,\n", d.central.webURL)
	fmt.Fprintf(w, "                     e.g. %s; new cases reach the gateway at once)\n\n", personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981))
	fmt.Fprintf(w, "Demo cards (SoftHSM2 tokens in %s, PIN %s for every card):\n", filepath.Join(d.dir, "cards"), democlinic.CardPIN)
	for _, m := range democlinic.Staff {
		roles := make([]string, len(m.Roles))
		for i, r := range m.Roles {
			roles[i] = string(r)
		}
		leave := ""
		if m.OnLeave {
			leave = " (on leave this week)"
		}
		fmt.Fprintf(w, "  %-22s %-20s %s%s\n", m.Name(), m.HSAID, strings.Join(roles, ", "), leave)
	}
	fmt.Fprintf(w, "\nStop with Ctrl-C.\n")
}

// demoCentralConfig adds the central store to the demo gateway's
// configuration: the forms file, the central store's server and the
// unit's client certificates from the clinic's development PKI (the URL
// comes when the central store is up).
func demoCentralConfig(e *env, dir string, cfg *agent.Config) (centralPKI, error) {
	cp, err := prepareCentralPKI(e, dir, "", []string{demoUnit})
	if err != nil {
		return centralPKI{}, err
	}
	// The demo unit offers every template of the catalogue: the built-in
	// case types and the regions' other services.
	cat := catalog.Catalog{Format: catalog.Format}
	for _, t := range catalog.Templates() {
		cat.Enable(t.Service.ID, nil)
	}
	forms, err := wire.Marshal(cat.Published().Forms())
	if err != nil {
		return centralPKI{}, err
	}
	if err := atomicfile.Write(filepath.Join(dir, formsFileName), forms, 0o640); err != nil {
		return centralPKI{}, err
	}
	unitPEM, err := filepath.Rel(dir, cp.unitFiles[demoUnit])
	if err != nil {
		return centralPKI{}, err
	}
	cfg.Central = agent.CentralConfig{
		CAFile: filepath.Join("pki", "root.pem"), CertFile: unitPEM, KeyFile: strings.TrimSuffix(unitPEM, ".pem") + ".key",
		FormsFile: formsFileName,
	}
	return cp, cfg.Write(cfg.Path())
}

// seedHistory plays n synthetic cases of the demo's three weeks up to end
// straight into the store, with a clock that moves through those weeks.
func seedHistory(ctx context.Context, e *env, cfg *agent.Config, end time.Time, n int) (batches, steps int, err error) {
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		return 0, 0, err
	}
	db, err := store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: demoUnit, Logger: e.log})
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := db.Close(); err == nil {
			err = cerr
		}
	}()
	clock := clocktest.New(end.AddDate(0, 0, -demoDays)) // the demo's time, moved through the seeded weeks
	svc, err := cases.NewService(cases.ServiceConfig{Unit: demoUnit, Store: db, Clock: clock, Rand: rand.Reader, Logger: e.log})
	if err != nil {
		return 0, 0, err
	}
	s := &seeder{svc: svc, clock: clock, rng: mrand.New(mrand.NewPCG(demoSeed, uint64(n))), end: end}
	if err := s.run(ctx, s.arrivals(n)); err != nil {
		return 0, 0, err
	}
	e.log.Info("demo history seeded", "cases", n, "batches", s.batches, "steps", s.steps)
	// The history's answers reached its patients long ago (the central
	// store of this demo starts empty): nothing of it waits to be sent.
	for {
		out, err := svc.PendingOutbound(ctx, 1000)
		if err != nil || len(out) == 0 {
			return s.batches, s.steps, err
		}
		keys := make([]string, len(out))
		for i, o := range out {
			keys[i] = o.Key
		}
		if err := svc.ConfirmOutbound(ctx, keys); err != nil {
			return 0, 0, err
		}
	}
}

// demoDir returns dir made ready for a new demo: a new temporary folder
// when dir is "", else dir, which must not exist or be empty.
func demoDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "clinicgw-demo-")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return dir, atomicfile.MkdirAll(dir, 0o700)
	case err != nil:
		return "", err
	case len(entries) > 0:
		return "", fmt.Errorf("%s is not empty; the demo needs a new or empty folder", dir)
	}
	return dir, nil
}
