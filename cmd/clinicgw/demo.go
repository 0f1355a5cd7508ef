package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
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
	}{
		{clinician("SE2321000016-DEMO1"), "Demo Ett, leg. läkare"},
		{clinician("SE2321000016-DEMO2"), "Demo Två, leg. sjuksköterska"},
		{clinician("SE2321000016-DEMO3"), "Demo Tre, leg. psykolog"},
	}
	demoUnitAdmin = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-DEMOENH", Roles: []cases.Role{cases.UnitAdmin}}
	demoPatient   = cases.Actor{Kind: cases.Patient}
)

func clinician(hsaID string) cases.Actor {
	return cases.Actor{Kind: cases.Staff, HSAID: hsaID, Roles: []cases.Role{cases.Clinician}}
}

func demoFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	dir := fs.String("dir", "", "`DIR` is the demo's state folder; it must be new or empty (default: a new temporary folder)")
	n := fs.Int("cases", 200, "`N` is how many synthetic cases to seed")
	return func(ctx context.Context, e *env) error {
		if *n < 1 || *n > 100000 {
			return usagef("--cases %d: expected 1 to 100000", *n)
		}
		return runDemo(ctx, e, *dir, *n)
	}
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

// runDemo creates a gateway in a fresh folder, seeds n synthetic cases over
// the last three weeks, works through part of them as the demo staff would,
// and prints the statistics and the access log's verification.
func runDemo(ctx context.Context, e *env, dir string, n int) error {
	dir, err := demoDir(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Demo clinic %s (%s) in %s\n", demoUnitName, demoUnit, dir)

	cfg := agent.DefaultConfig(demoUnit, demoUnitName)
	if err := store.GenerateKeyFile(filepath.Join(dir, cfg.Store.KeyFile), rand.Reader, false); err != nil {
		return err
	}
	if err := cfg.Write(filepath.Join(dir, agent.ConfigFileName)); err != nil {
		return err
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: demoUnit, Logger: e.log})
	if err != nil {
		return err
	}
	defer db.Close()

	end := time.Now().Truncate(time.Minute)
	clock := &fakeClock{now: end.AddDate(0, 0, -demoDays)}
	svc, err := cases.NewService(cases.ServiceConfig{
		Unit: demoUnit, Store: db, Clock: clock, Rand: rand.Reader, Logger: e.log,
	})
	if err != nil {
		return err
	}

	s := &seeder{svc: svc, clock: clock, rng: mrand.New(mrand.NewPCG(demoSeed, uint64(n))), end: end}
	arrivals := s.arrivals(n)
	if err := s.run(ctx, arrivals); err != nil {
		return err
	}
	e.log.Info("demo seeded", "cases", n, "batches", s.batches, "steps", s.steps)

	clock.Set(end)
	from := end.AddDate(0, 0, -demoDays)
	st, err := svc.Stats(ctx, demoUnitAdmin, from, time.Time{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Seeded %d cases over %d days in %d batches, then %d workflow steps.\n\n", n, demoDays, s.batches, s.steps)
	if err := printStats(e.stdout, st); err != nil {
		return err
	}

	rep, err := db.VerifyAudit(ctx)
	if err != nil {
		return fmt.Errorf("access log NOT OK after %d good entries: %w", rep.Entries, err)
	}
	fmt.Fprintf(e.stdout, "\naccess log OK: %d entries, head %s\n", rep.Entries, hex.EncodeToString(rep.Head.Hash[:]))
	cfgPath := filepath.Join(dir, agent.ConfigFileName)
	fmt.Fprintf(e.stdout, "\nLook again with the clinicgw binary (in the source tree: go run ./cmd/clinicgw):\n  clinicgw stats --config %s\n  clinicgw audit verify --config %s\n  clinicgw keys list --config %s\n", cfgPath, cfgPath, cfgPath)
	return nil
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
