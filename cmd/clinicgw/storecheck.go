package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

// storeCheckFlags is `clinicgw store check`: with the service stopped,
// the whole store checked without a change to it — the file's structure,
// bbolt's consistency check, every sealed value opening, the access log's
// chain — with progress on stderr and a summary on stdout. Exit 1 when it
// is damaged.
func storeCheckFlags(flags *flag.FlagSet) func(context.Context, *env) error {
	return configCommand(flags, func(ctx context.Context, e *env, cfg *agent.Config) error {
		path := cfg.StorePath()
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store %s does not exist yet; no gateway has run with this configuration", path)
		}
		kek, release, err := agent.OpenKEK(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		defer release()
		p := &checkProgress{w: e.stderr}
		rep, err := store.Check(ctx, path, kek, store.Options{Unit: cfg.Unit.HSAID, Logger: e.log}, p.report)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "store %s is sound: %d pages of %d bytes (%d in use), %d buckets, %d sealed values open, access log OK: %d entries, head %s\n",
			path, rep.File.Pages, rep.File.PageSize, rep.File.Reachable, rep.File.Buckets, rep.Values, rep.Audit.Entries, hex.EncodeToString(rep.Audit.Head.Hash[:]))
		for _, m := range rep.File.BadMeta {
			fmt.Fprintf(e.stdout, "note: meta page %d does not check; bbolt goes on from the other one (transaction %d) and rewrites it at the next commit. "+
				"After a power cut during a commit that is expected; otherwise the file was damaged there, and the last change before it may be lost\n", m, rep.File.Txid)
		}
		return nil
	})
}

// checkProgress prints each phase's progress in steps of 10 percent.
type checkProgress struct {
	w     io.Writer
	phase store.CheckPhase
	last  int
}

func (p *checkProgress) report(phase store.CheckPhase, done, total int) {
	if phase != p.phase {
		p.phase, p.last = phase, -10
	}
	pct := 100
	if total > 0 {
		pct = min(100, done*100/total)
	}
	if pct/10 > p.last/10 || (pct == 100 && p.last != 100) {
		p.last = pct
		fmt.Fprintf(p.w, "store check: %s %d%%\n", phase, pct)
	}
}
