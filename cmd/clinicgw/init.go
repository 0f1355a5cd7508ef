package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"clinicgw/agent"
	"clinicgw/agent/store"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

func initFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	dir := fs.String("dir", "", "`DIR` is the gateway's folder (required); created with mode 0700 if missing")
	unit := fs.String("unit", "", "`HSAID` is the care unit's HSA-ID (required), like SE2321000016-15ZM")
	name := fs.String("name", "", "`NAME` is the care unit's name (required), as staff know it")
	force := fs.Bool("force", false, "replace an existing configuration and key file (only for a gateway whose store has not been created)")
	return func(ctx context.Context, e *env) error {
		return initGateway(e, *dir, *unit, *name, *force)
	}
}

// initGateway creates dir, a key-encryption key file and a configuration
// file naming them. It writes nothing unless all of it can be written.
func initGateway(e *env, dir, unit, name string, force bool) error {
	switch {
	case dir == "":
		return usagef("--dir is required")
	case unit == "":
		return usagef("--unit is required (the care unit's HSA-ID)")
	case name == "":
		return usagef("--name is required (the care unit's name)")
	}
	cfg := agent.DefaultConfig(unit, name)
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cfg.Central.FormsFile = formsFileName
	cfgPath := filepath.Join(dir, agent.ConfigFileName)
	keyPath := filepath.Join(dir, cfg.Store.KeyFile)
	formsPath := filepath.Join(dir, formsFileName)
	storePath := filepath.Join(dir, cfg.Store.Path)

	// A store sealed under the old key would be unreadable with a new one:
	// never replace the key beside an existing store, --force or not.
	if exists(storePath) {
		return fmt.Errorf("%s already holds a store (%s); init would make it unreadable. Use a new folder, or move the store away first", dir, storePath)
	}
	if !force {
		for _, p := range []string{cfgPath, keyPath, formsPath} {
			if exists(p) {
				return fmt.Errorf("%s already exists; not replacing it (use --force to replace the configuration and key of a gateway that has no store yet)", p)
			}
		}
	}

	if err := atomicfile.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create folder: %w", err)
	}
	if err := restrictFolder(dir); err != nil {
		return err
	}
	// The key first: a configuration never names a key file that is not there.
	if err := store.GenerateKeyFile(keyPath, rand.Reader, force); err != nil {
		return err
	}
	forms, err := wire.Marshal(casetype.DefaultForms())
	if err != nil {
		return err
	}
	if err := atomicfile.Write(formsPath, forms, 0o640); err != nil {
		return fmt.Errorf("forms: %w", err)
	}
	if err := cfg.Write(cfgPath); err != nil {
		return err
	}
	e.log.Info("gateway initialised", "unit", unit)
	fmt.Fprintf(e.stdout, "Created in %s:\n", dir)
	t := table{left: 2}
	t.row(filepath.Base(cfgPath), "configuration for care unit "+unit)
	t.row(filepath.Base(keyPath), "key-encryption key, mode 0600")
	t.row(formsFileName, "the unit's forms (the defaults: one per case type; edit to suit)")
	t.print(e.stdout)
	fmt.Fprintf(e.stdout, "\nNext: keep a copy of %s offline (without it the store cannot be read),\n", filepath.Base(keyPath))
	fmt.Fprintf(e.stdout, "then set the central store's address and certificates in [central] of %s\n", cfgPath)
	fmt.Fprintf(e.stdout, "(left empty, the gateway runs offline), and start it: clinicgw run --config %s\n", cfgPath)
	return nil
}

// formsFileName is the unit's forms file that init writes.
const formsFileName = "forms.json"

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}
