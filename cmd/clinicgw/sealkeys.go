package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/store"
	"clinicgw/sync/seal"
)

// The unit's sealing keys in `keys list`, `keys rotate --sealing` and
// `keys retire --sealing KEYID` (agent/store's sealkeys.go).

// listSealingKeys prints the sealing keys after the key ring's terms.
func listSealingKeys(e *env, db *store.DB) error {
	keys, err := db.SealingKeys()
	if err != nil {
		return fmt.Errorf("read the sealing keys: %w", err)
	}
	fmt.Fprintln(e.stdout)
	if len(keys) == 0 {
		fmt.Fprintln(e.stdout, "no sealing key yet: the gateway makes one at its first start")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEALING KEY\tCREATED\tSTATE")
	for _, k := range keys {
		state := "opens"
		switch {
		case k.Current:
			state = "current"
		case !k.Retired.IsZero():
			state = "retired"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.ID, k.Created.Local().Format(time.DateTime), state)
	}
	return tw.Flush()
}

func rotateSealingKey(ctx context.Context, e *env, db *store.DB) error {
	k, err := db.RotateSealingKey(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sealing key %s is current; the gateway publishes it to the central store at its next start; older sealing keys keep opening what was sealed to them\n", k.ID)
	return nil
}

// retireSealingKey destroys a sealing key's private half, with the
// service stopped, and compacts the store so that no copy lingers.
func retireSealingKey(ctx context.Context, e *env, cfg *agent.Config, arg string) error {
	id, err := seal.ParseKeyID(arg)
	if err != nil {
		return usagef("--sealing: %v (copy the id from keys list)", err)
	}
	db, closeAll, err := agent.OpenExistingStore(ctx, cfg, e.log)
	if err != nil {
		return err
	}
	err = db.RetireSealingKey(ctx, id)
	closeAll()
	if err != nil {
		return err
	}
	if err := store.Compact(ctx, cfg.StorePath()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "sealing key %s retired: what was sealed to it never opens again; store compacted\n", id)
	return nil
}
