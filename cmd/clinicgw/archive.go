package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/archive"
	"clinicgw/agent/store"
	"clinicgw/sync/tlsconf"
)

// archiveRunFlags exports what is due now, with the service stopped.
func archiveRunFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return configCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config) error {
		if !cfg.Archive.Enabled() {
			return fmt.Errorf("config %s: archive.dir is not set", cfg.Path())
		}
		db, closeAll, err := agent.OpenExistingStore(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer closeAll()
		a, err := agent.NewArchiver(cfg, db, nil, e.log)
		if err != nil {
			return err
		}
		start := time.Now()
		rep, err := a.Run(ctx, func(done, total int) {
			if done < total { // the total is an upper bound until the end
				fmt.Fprintf(e.stdout, "exported %d of at most %d cases\n", done, total)
				return
			}
			fmt.Fprintf(e.stdout, "exported %d of %d cases\n", done, total)
		})
		if err != nil {
			return fmt.Errorf("%w (run the command again to go on where it stopped; nothing unverified was removed)", err)
		}
		secs := time.Since(start).Seconds()
		fmt.Fprintf(e.stdout, "%d packages, %d cases, %.1f MB in %.1f s (%.0f cases/s, %.1f MB/s); key terms retired: %v\n",
			rep.Packages, rep.Cases, float64(rep.Bytes)/1e6, secs, float64(rep.Cases)/secs, float64(rep.Bytes)/1e6/secs, rep.RetiredTerms)
		if len(rep.RetiredTerms) == 0 {
			return nil
		}
		// The retired keys' old copies and the purged cases' ciphertext
		// leave the file's free pages now, not at the service's next start.
		if err := closeAll(); err != nil {
			return err
		}
		if err := store.Compact(ctx, cfg.StorePath()); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "store compacted: nothing of the removed cases is left in it")
		return nil
	})
}

// archiveVerifyFlags checks one package.
func archiveVerifyFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	ca := fs.String("ca", "", "`FILE` (PEM) with the CA certificates the signer's certificate must chain to; without it only the package's own signature is checked")
	return func(ctx context.Context, e *env) error {
		if fs.NArg() != 1 {
			return usagef("expected one package file")
		}
		var roots *x509.CertPool
		if *ca != "" {
			var err error
			if roots, err = tlsconf.LoadPool(*ca); err != nil {
				return err
			}
		}
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		m, err := archive.Verify(bufio.NewReaderSize(f, 256<<10), roots) // a stream: the package is never whole in memory
		if err != nil {
			return fmt.Errorf("%s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(e.stdout, "%s OK: unit %s, %d cases, %d files, signed by %s, made %s\n", fs.Arg(0), m.Unit, len(m.Cases),
			len(m.Files), m.Signer.Subject.CommonName, m.Created.Local().Format(time.DateTime))
		return nil
	}
}
