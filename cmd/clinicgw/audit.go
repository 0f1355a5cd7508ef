package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"

	"clinicgw/agent"
	"clinicgw/agent/store"
)

func auditVerifyFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return storeCommand(fs, func(ctx context.Context, e *env, _ *agent.Config, db *store.DB) error {
		rep, err := db.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("access log NOT OK after %d good entries: %w", rep.Entries, err)
		}
		fmt.Fprintf(e.stdout, "access log OK: %d entries, head %s\n", rep.Entries, hex.EncodeToString(rep.Head.Hash[:]))
		return nil
	})
}
