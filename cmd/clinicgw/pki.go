package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/hsaid"
)

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func pkiDevFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	dir := fs.String("dir", "", "`DIR` holds the development PKI (required); created 0700, reused if it exists")
	var servers, units multiFlag
	fs.Var(&servers, "server", "`NAME` (DNS name or IP) for the central store's server certificate; repeatable (default localhost and 127.0.0.1)")
	fs.Var(&units, "unit", "`HSAID` of a care unit to issue a client certificate for; repeatable")
	return func(ctx context.Context, e *env) error {
		if *dir == "" {
			return usagef("--dir is required")
		}
		for _, u := range units {
			if !hsaid.Valid(u) {
				return usagef("--unit %q is not an HSA-ID (like SE2321000016-15ZM)", u)
			}
		}
		if len(servers) == 0 {
			servers = multiFlag{"localhost", "127.0.0.1"}
		}
		return pkiDev(e, *dir, servers, units, clock.System.Now())
	}
}

// pkiDev makes (or reuses) a development PKI in dir and issues the central
// store's server certificate and one client certificate per unit.
func pkiDev(e *env, dir string, servers, units []string, now time.Time) error {
	p, err := devpki.Load(dir, rand.Reader, now)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if p, err = devpki.New(rand.Reader, now); err != nil {
			return err
		}
		if err := p.WriteDir(dir); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created a development PKI in %s (NOT FOR PRODUCTION)\n", dir)
	case err != nil:
		return fmt.Errorf("%s holds a damaged development PKI: %w", dir, err)
	default:
		fmt.Fprintf(e.stdout, "reusing the development PKI in %s\n", dir)
	}
	srv, err := p.Server(servers...)
	if err != nil {
		return err
	}
	if err := devpki.WriteTLS(dir, "central", srv); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "  central store server: %s, %s (%s)\n",
		filepath.Join(dir, "central.pem"), filepath.Join(dir, "central.key"), strings.Join(servers, ", "))
	for _, u := range units {
		c, err := p.Unit(u, "Care unit "+u)
		if err != nil {
			return err
		}
		if err := devpki.WriteTLS(dir, "unit-"+u, c); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "  unit %s: %s, %s\n", u, filepath.Join(dir, "unit-"+u+".pem"), filepath.Join(dir, "unit-"+u+".key"))
	}
	fmt.Fprintf(e.stdout, "  trust anchor for both ends: %s\n", filepath.Join(dir, "root.pem"))
	return nil
}
