package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/atomicfile"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
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
		{clinician("SE2321000016-DEMO1"), "Demo Ett, leg. läkare", "Läkare"},
		{clinician("SE2321000016-DEMO2"), "Demo Två, leg. sjuksköterska", "Sjuksköterska"},
		{clinician("SE2321000016-DEMO3"), "Demo Tre, leg. psykolog", "Psykolog"},
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
	once := fs.Bool("once", false, "stop after the live part instead of serving until Ctrl-C")
	return func(ctx context.Context, e *env) error {
		if *n < 1 || *n > 100000 {
			return usagef("--cases %d: expected 1 to 100000", *n)
		}
		if *live < 0 || *live > 1000 {
			return usagef("--live %d: expected 0 to 1000", *live)
		}
		return runDemo(ctx, e, demoOptions{dir: *dir, history: *n, live: *live, web: *web, once: *once})
	}
}

// demoOptions are the demo's flags.
type demoOptions struct {
	dir           string
	history, live int
	web           string
	once          bool
}

// fakeClock is the demo's time, moved forward as the seeded weeks pass.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// runDemo makes a demonstration clinic in a fresh folder and runs it: a
// development PKI, the gateway's configuration, three weeks of synthetic
// history in the encrypted store, the reference central store and the
// gateway (agent.New/Start) syncing with it over mutual TLS on loopback.
// Then patients write cases through the central store, which arrive in the
// gateway; staff answer them, and the answers reach the patients. Unless
// once, it then serves the patient pages until ctx ends.
func runDemo(ctx context.Context, e *env, o demoOptions) error {
	dir, err := demoDir(o.dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Demo clinic %s (%s) in %s\n", demoUnitName, demoUnit, dir)
	cfg, cp, err := demoSetup(e, dir)
	if err != nil {
		return err
	}
	end := time.Now().Truncate(time.Minute)
	batches, steps, err := seedHistory(ctx, e, cfg, end, o.history)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "History: %d cases over the last %d days in %d batches, then %d workflow steps.\n", o.history, demoDays, batches, steps)

	units := centralUnits{ids: []string{demoUnit}, names: map[string]string{demoUnit: demoUnitName}}
	c, err := startCentral(ctx, e, filepath.Join(dir, "central"), cp, "127.0.0.1:0", o.web, units, central.LogNotifier{Logger: e.log})
	if err != nil {
		return err
	}
	defer c.close(ctx)
	cfg.Central.URL = c.apiURL
	if err := cfg.Write(cfg.Path()); err != nil {
		return err
	}
	gw, err := agent.New(cfg, agent.Options{Logger: e.log})
	if err != nil {
		return err
	}
	if err := gw.Start(ctx); err != nil {
		return err
	}
	defer gw.Stop()
	fmt.Fprintf(e.stdout, "Central store (reference, development only): sync API %s/v1/, patient pages %s/\n", c.apiURL, c.webURL)
	fmt.Fprintf(e.stdout, "Gateway running, syncing with it over mutual TLS.\n\n")

	if o.live > 0 {
		if err := demoLive(ctx, e, c.store, gw.Cases(), o.live); err != nil {
			return err
		}
	}

	st, err := gw.Cases().Stats(ctx, demoUnitAdmin, end.AddDate(0, 0, -demoDays), time.Time{})
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
	cfgPath := cfg.Path()
	if o.once {
		fmt.Fprintf(e.stdout, "\nLook again with the clinicgw binary (in the source tree: go run ./cmd/clinicgw):\n  clinicgw run --config %s\n  clinicgw stats --config %s\n  clinicgw audit verify --config %s\n  clinicgw keys list --config %s\n", cfgPath, cfgPath, cfgPath, cfgPath)
		return nil
	}
	fmt.Fprintf(e.stdout, "\nThe demo runs on. Try it as a patient: %s/ (development log-in: any synthetic\n", c.webURL)
	fmt.Fprintf(e.stdout, "personnummer, e.g. %s; your browser will warn about the development CA,\n", cases.SyntheticPersonnummer(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981))
	fmt.Fprintf(e.stdout, "whose certificate is %s). New cases reach the gateway at once.\nStop with Ctrl-C.\n", cp.rootFile)
	if err := c.wait(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demoSetup writes the demo gateway's folder: key file, forms, a
// development PKI with the central store's and the unit's certificates,
// and a configuration naming them (the central URL comes later).
func demoSetup(e *env, dir string) (*agent.Config, centralPKI, error) {
	units := []string{demoUnit}
	cp, err := prepareCentralPKI(e, dir, "", units)
	if err != nil {
		return nil, centralPKI{}, err
	}
	cfg := agent.DefaultConfig(demoUnit, demoUnitName)
	if err := store.GenerateKeyFile(filepath.Join(dir, cfg.Store.KeyFile), rand.Reader, false); err != nil {
		return nil, centralPKI{}, err
	}
	forms, err := wire.Marshal(central.DefaultForms())
	if err != nil {
		return nil, centralPKI{}, err
	}
	if err := atomicfile.Write(filepath.Join(dir, formsFileName), forms, 0o640); err != nil {
		return nil, centralPKI{}, err
	}
	unitPEM, err := filepath.Rel(dir, cp.unitFiles[demoUnit])
	if err != nil {
		return nil, centralPKI{}, err
	}
	cfg.Central = agent.CentralConfig{
		CAFile: filepath.Join("pki", "root.pem"), CertFile: unitPEM, KeyFile: strings.TrimSuffix(unitPEM, ".pem") + ".key",
		FormsFile: formsFileName,
	}
	if err := cfg.Write(filepath.Join(dir, agent.ConfigFileName)); err != nil {
		return nil, centralPKI{}, err
	}
	return cfg, cp, nil
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
	clock := &fakeClock{now: end.AddDate(0, 0, -demoDays)}
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
		return dir, os.MkdirAll(dir, 0o700)
	case err != nil:
		return "", err
	case len(entries) > 0:
		return "", fmt.Errorf("%s is not empty; the demo needs a new or empty folder", dir)
	}
	return dir, nil
}
