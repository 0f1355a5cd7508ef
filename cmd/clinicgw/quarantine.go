package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/workday"
)

// The quarantine of central events the gateway could not apply
// (agent/cases/quarantine.go), for region IT, with the service stopped.
// Only ids, kinds, reasons and fields are printed: never patient data.

func quarantineService(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) (*cases.Service, error) {
	return cases.NewService(cases.ServiceConfig{Unit: cfg.Unit.HSAID, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: e.log})
}

func quarantineListFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return storeCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error {
		svc, err := quarantineService(ctx, e, cfg, db)
		if err != nil {
			return err
		}
		qs, err := svc.Quarantine(ctx)
		if err != nil {
			return err
		}
		if len(qs) == 0 {
			fmt.Fprintln(e.stdout, "quarantine empty: every central event was applied")
			return nil
		}
		w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SEQ\tQUARANTINED\tEVENT\tKIND\tCASE\tREASON\tFIELD\tCURSOR")
		for _, q := range qs {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", q.Seq, q.At.In(workday.Stockholm()).Format(time.DateTime),
				q.Event.EventID, q.Event.Kind, q.Event.CaseID, q.Reason, orDash(q.Field), q.Cursor)
		}
		if err := w.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d quarantined: after a fix or an upgrade, `clinicgw quarantine retry`; an event settled otherwise, `clinicgw quarantine release --seq N`\n", len(qs))
		return nil
	})
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func quarantineRetryFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return storeCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error {
		svc, err := quarantineService(ctx, e, cfg, db)
		if err != nil {
			return err
		}
		rr, err := svc.RetryQuarantine(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "quarantine retried: %d applied, %d remain\n", rr.Applied, rr.Remaining)
		// Outbox items the central store refused as conflicts wait, parked,
		// for the same kind of fix: released, each is sent once more.
		n, err := svc.UnparkOutbound(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(e.stdout, "%d parked outbox items released: the gateway sends each once more at its next start\n", n)
		}
		return nil
	})
}

func quarantineReleaseFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	seq := fs.Uint64("seq", 0, "`N` is the quarantined event to release, as `clinicgw quarantine list` numbers it (required)")
	run := storeCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error {
		svc, err := quarantineService(ctx, e, cfg, db)
		if err != nil {
			return err
		}
		if err := svc.ReleaseQuarantine(ctx, *seq); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "quarantined event %d released: it will not be applied\n", *seq)
		return nil
	})
	return func(ctx context.Context, e *env) error {
		if *seq == 0 {
			return usagef("--seq is required")
		}
		return run(ctx, e)
	}
}
