package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

func keysListFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return storeCommand(fs, func(ctx context.Context, e *env, _ *agent.Config, db *store.DB) error {
		terms, err := db.Keyring()
		if err != nil {
			return fmt.Errorf("read key ring: %w", err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TERM\tCREATED\tSTATE")
		for _, t := range terms {
			state := "readable"
			switch {
			case t.Active:
				state = "active"
			case t.Retired:
				state = "retired"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", t.Term, t.Created.Local().Format(time.DateTime), state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return listSealingKeys(e, db)
	})
}

func keysRotateFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	sealing := fs.Bool("sealing", false, "rotate the unit's sealing key pair instead of the store's data key: the gateway publishes the new public key at its next start; older sealing keys keep opening what was sealed to them")
	return storeCommand(fs, func(ctx context.Context, e *env, _ *agent.Config, db *store.DB) error {
		if *sealing {
			return rotateSealingKey(ctx, e, db)
		}
		t, err := db.RotateKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key term %d is active; values sealed under earlier terms stay readable\n", t.Term)
		return nil
	})
}

// keysRetireFlags: with the service stopped, reseal every value under the
// active term (progress shown; safe to stop and run again), destroy the
// data keys of the terms nothing uses any more, and compact the file so
// that neither their old wrapped copies nor removed values linger in free
// pages.
func keysRetireFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	sealing := fs.String("sealing", "", "retire the sealing key `KEYID` (see keys list) instead: its private half is destroyed, what was sealed to it never opens again")
	return configCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config) error {
		if *sealing != "" {
			return retireSealingKey(ctx, e, cfg, *sealing)
		}
		db, closeAll, err := agent.OpenExistingStore(ctx, cfg, e.log)
		if err != nil {
			return err
		}
		last := time.Time{}
		n, err := db.Reseal(ctx, 1000, func(done, total int) {
			if time.Since(last) > time.Second || done == total {
				fmt.Fprintf(e.stdout, "resealed %d of %d values\n", done, total)
				last = time.Now()
			}
		})
		if err != nil {
			closeAll()
			return fmt.Errorf("%w (run the command again to go on)", err)
		}
		retired, err := db.RetireTerms(ctx)
		closeAll()
		if err != nil {
			return err
		}
		if err := store.Compact(ctx, cfg.StorePath()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d values resealed; key terms retired: %v; store compacted\n", n, retired)
		return nil
	})
}
