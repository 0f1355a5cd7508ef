package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
)

func auditVerifyFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	config := configFlag(fs)
	return func(ctx context.Context, e *env) error {
		_, db, err := openStore(ctx, *config, e.log)
		if err != nil {
			return err
		}
		defer db.Close()
		rep, err := db.VerifyAudit(ctx)
		if err != nil {
			return fmt.Errorf("access log NOT OK after %d good entries: %w", rep.Entries, err)
		}
		fmt.Fprintf(e.stdout, "access log OK: %d entries, head %s\n", rep.Entries, hex.EncodeToString(rep.Head.Hash[:]))
		return nil
	}
}
