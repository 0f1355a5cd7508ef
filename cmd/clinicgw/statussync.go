package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"clinicgw/agent"
)

// statusSync adds to `clinicgw status` what the running gateway's admin
// listener says of its outbox's sealing, when --config names its
// configuration.
func statusSync(ctx context.Context, e *env, path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	cfg, err := agent.LoadConfig(abs)
	if err != nil {
		return err
	}
	o, err := agent.OutboundSealingFromAdmin(ctx, cfg)
	if errors.Is(err, agent.ErrAdminNotAnswering) {
		fmt.Fprintf(e.stdout, "outbox: unknown (%v; the gateway is not running, or runs without [admin])\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	printOutboundSealing(e.stdout, o)
	return nil
}

// printOutboundSealing says how the outbox travels, and the counts.
func printOutboundSealing(w io.Writer, o agent.OutboundSealing) {
	switch o.State {
	case "":
		fmt.Fprintln(w, "outbox: no sync figures (the gateway does not sync with a central store)")
		return
	case "sealed":
		fmt.Fprintf(w, "outbox: sealed to the central store's key %s\n", o.CentralKeyID)
	case "off":
		fmt.Fprintln(w, "outbox: plain (central.sealing is off)")
	case "plain":
		fmt.Fprintln(w, "outbox: plain (the central store offers no sealing key: a release before outbound sealing)")
	case "waiting":
		fmt.Fprintln(w, "outbox: WAITING: sealed before, and the central store offers no sealing key now; nothing is sent plain (check the central store's release, or set central.sealing = false)")
	case "refused":
		fmt.Fprintln(w, "outbox: WAITING: the central store's sealing key is not signed by a certificate of the pinned central CA; nothing is sealed to it (an incident: see Sealing keys in the README)")
	default:
		fmt.Fprintf(w, "outbox: %s\n", o.State)
	}
	fmt.Fprintf(w, "outbox items since start: %d sealed, %d plain, %d refused by the central store\n", o.Sealed, o.Plain, o.Refused)
}
