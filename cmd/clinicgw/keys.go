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
		return tw.Flush()
	})
}

func keysRotateFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return storeCommand(fs, func(ctx context.Context, e *env, _ *agent.Config, db *store.DB) error {
		t, err := db.RotateKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "key term %d is active; values sealed under earlier terms stay readable\n", t.Term)
		return nil
	})
}
