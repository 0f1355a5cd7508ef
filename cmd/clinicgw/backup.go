package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

// backupFlags is `clinicgw backup`: a consistent copy of the store, from
// the running gateway through its admin listener, or from the store file
// when no gateway runs. The copy is as encrypted as the store; the
// key-encryption key is not in it.
func backupFlags(flags *flag.FlagSet) func(context.Context, *env) error {
	out := flags.String("out", "", "`PATH` is the backup file to write (its manifest goes beside it as PATH"+store.ManifestSuffix+"); it must not exist")
	return configCommand(flags, func(ctx context.Context, e *env, cfg *agent.Config) error {
		if *out == "" {
			return usagef("--out is required")
		}
		if err := store.BackupTarget(*out); err != nil {
			return err
		}
		p := &byteProgress{w: e.stderr}
		from := ""
		m, err := store.WriteBackup(*out, func(w io.Writer) (store.Manifest, error) {
			m, err := agent.BackupFromAdmin(ctx, cfg, w, p.report)
			if !errors.Is(err, agent.ErrAdminNotAnswering) {
				from = "the running gateway (admin listener)"
				return m, err
			}
			path := cfg.StorePath()
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return store.Manifest{}, fmt.Errorf("store %s does not exist yet; no gateway has run with this configuration", path)
			}
			from = "the store file " + path
			m, err = store.BackupFile(ctx, path, w, store.Options{Unit: cfg.Unit.HSAID, Logger: e.log}, p.report)
			if errors.Is(err, store.ErrInUse) {
				if cfg.Admin.Enabled() {
					return m, fmt.Errorf("store %s is in use by a running gateway, and its admin listener (admin.listen %s) does not answer: check the service's log, or stop it and run clinicgw backup again", path, cfg.Admin.Listen)
				}
				return m, fmt.Errorf("store %s is in use by a running gateway without an admin listener: set [admin] listen (a running gateway is backed up through it), or stop the service and run clinicgw backup again", path)
			}
			return m, err
		})
		if err != nil {
			return fmt.Errorf("backup %s: %w (an interrupted backup is not resumed: run the command again)", *out, err)
		}
		fmt.Fprintf(e.stdout, "backup %s written from %s: %d bytes, taken at %s, care unit %s, sync cursor %d, access log %d records, SHA-256 %s\n",
			*out, from, m.Size, m.TakenAt.Format("2006-01-02 15:04:05Z07:00"), m.Unit, m.SyncCursor, m.AuditSeq, m.SHA256)
		fmt.Fprintf(e.stdout, "The key-encryption key is not in it: keep the KEK apart from the backup, never beside it.\n")
		return nil
	})
}

// byteProgress prints a copy's progress in steps of 10 percent.
type byteProgress struct {
	w    io.Writer
	last int64
}

func (p *byteProgress) report(done, total int64) {
	pct := int64(100)
	if total > 0 {
		pct = min(100, done*100/total)
	}
	if pct/10 > p.last/10 || (pct == 100 && p.last != 100) || done == 0 {
		p.last = pct
		fmt.Fprintf(p.w, "backup: %d of %d bytes (%d%%)\n", done, total, pct)
	}
}

// restoreFlags is `clinicgw restore`: with the service stopped, the store
// replaced by a checked backup of the same unit; the store in place is
// kept aside, never deleted.
func restoreFlags(flags *flag.FlagSet) func(context.Context, *env) error {
	from := flags.String("from", "", "`PATH` is the backup file (with its manifest beside it, PATH"+store.ManifestSuffix+")")
	return configCommand(flags, func(ctx context.Context, e *env, cfg *agent.Config) error {
		if *from == "" {
			return usagef("--from is required")
		}
		if addr, ok := agent.AdminAnswers(ctx, cfg); ok {
			return fmt.Errorf("the gateway is running (its admin listener answers at %s): stop the service first (clinicgw stop); nothing was replaced", addr)
		}
		kek, release, err := agent.OpenKEK(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer release()
		p := &checkProgress{w: e.stderr}
		rep, err := store.Restore(ctx, cfg.StorePath(), *from, kek, store.Options{Unit: cfg.Unit.HSAID, Logger: e.log}, p.report)
		if err != nil {
			return err
		}
		m := rep.Backup
		fmt.Fprintf(e.stdout, "store %s restored from backup %s taken at %s: %d sealed values and %d access-log records checked; the restore is in the access log\n",
			cfg.StorePath(), *from, m.TakenAt.Format("2006-01-02 15:04:05Z07:00"), rep.Check.Values, rep.Check.Audit.Entries)
		if rep.Aside != "" {
			fmt.Fprintf(e.stdout, "The store that was in place is kept as %s (never deleted by clinicgw: remove it yourself once you no longer need it).\n", rep.Aside)
		}
		fmt.Fprintf(e.stdout, "Start the service: the gateway pulls again from the central store what came after sync cursor %d.\n", m.SyncCursor)
		return nil
	})
}
