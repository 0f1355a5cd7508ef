package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"clinicgw/agent"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command gets: where to write, and a logger.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	logFormat      string // --log-format, "" if not given
}

// command is one subcommand, or a group of them (keys, audit).
type command struct {
	name    string
	args    string // synopsis of flags and arguments, for usage
	summary string // one line for `clinicgw help`
	flags   func(fs *flag.FlagSet) func(ctx context.Context, e *env) error
	sub     []*command
	// operands: the command takes arguments after its flags (it checks
	// them itself).
	operands bool
}

func commands() []*command {
	return []*command{
		{name: "init", args: "--dir DIR --unit HSAID --name NAME [--force]", summary: "create a gateway's folder: configuration file and key-encryption key", flags: initFlags},
		{name: "run", args: "--config FILE", summary: "run the gateway in the foreground (or as the service): store, workflow and sync with the central store", flags: runFlags},
		{name: "install", args: "--config FILE", summary: "install the gateway as a system service (systemd unit or Windows service) running with FILE", flags: installFlags},
		{name: "uninstall", summary: "remove the system service; configuration and store stay", flags: uninstallFlags},
		{name: "start", summary: "start the system service", flags: startFlags},
		{name: "stop", summary: "stop the system service", flags: stopFlags},
		{name: "status", args: "[--config FILE]", summary: "show whether the system service is installed and running; with --config, how the running gateway's outbox travels (sealed or plain, counts, the central key)", flags: statusFlags},
		{name: "reload", args: "PID", summary: "ask the running gateway (process PID) to read its configuration again, as `systemctl reload clinicgw` does", flags: reloadFlags, operands: true},
		{name: "bridge", args: "--gateway ORIGIN --ca FILE [--reader NAME] [--module PATH] [--listen ADDR]", summary: "run the workstation's card bridge: signs login challenges with the SITHS card, reports card removal", flags: bridgeFlags},
		{name: "keys", summary: "manage the store's key ring", sub: []*command{
			{name: "list", args: "--config FILE", summary: "list the key ring's terms and the unit's sealing keys", flags: keysListFlags},
			{name: "rotate", args: "[--sealing] --config FILE", summary: "start a new key term; older values stay readable (--sealing: a new sealing key pair, older ones keep opening)", flags: keysRotateFlags},
			{name: "retire", args: "[--sealing KEYID] --config FILE", summary: "with the service stopped: reseal everything under the active term, destroy older terms' keys, compact the store", flags: keysRetireFlags},
		}},
		{name: "archive", summary: "export old cases to the region archive", sub: []*command{
			{name: "run", args: "--config FILE", summary: "with the service stopped: export answered and closed cases past archive.age_days, verify, then remove them (resumable)", flags: archiveRunFlags},
			{name: "verify", args: "[--ca FILE] PACKAGE", summary: "check an archive package's checksums and signature", flags: archiveVerifyFlags, operands: true},
		}},
		{name: "backup", args: "--config FILE --out PATH", summary: "copy the store (from the running gateway through its admin listener, or from the file) with a manifest; as encrypted as the store, without the key", flags: backupFlags},
		{name: "restore", args: "--config FILE --from PATH", summary: "with the service stopped: check a backup of this unit in full, keep the store in place aside, put the backup in its place", flags: restoreFlags},
		{name: "store", summary: "check the store file", sub: []*command{
			{name: "check", args: "--config FILE", summary: "with the service stopped: check the store (structure, bbolt's check, every sealed value, the access log's chain); exit 1 if it is damaged", flags: storeCheckFlags},
		}},
		{name: "audit", summary: "check the access log", sub: []*command{
			{name: "verify", args: "--config FILE", summary: "verify the access log's hash chain end to end", flags: auditVerifyFlags},
		}},
		{name: "quarantine", summary: "central events the gateway could not apply, kept sealed", sub: []*command{
			{name: "list", args: "--config FILE", summary: "list the quarantined events: ids, kinds, reasons (no patient data)", flags: quarantineListFlags},
			{name: "retry", args: "--config FILE", summary: "with the service stopped: apply the quarantined events again (after a fix or an upgrade)", flags: quarantineRetryFlags},
			{name: "release", args: "--config FILE --seq N", summary: "with the service stopped: remove one quarantined event without applying it", flags: quarantineReleaseFlags},
		}},
		{name: "pki", summary: "development certificates (never for production)", sub: []*command{
			{name: "dev", args: "--dir DIR [--server NAME]... [--unit HSAID]...", summary: "make a SITHS-shaped test PKI, a central server certificate and unit client certificates", flags: pkiDevFlags},
		}},
		{name: "stats", args: "--config FILE [--from DATE] [--to DATE] [--recount | --rebuild]", summary: "print case statistics for a period; --recount checks the store's aggregates against a full recount (exit 1 if they differ), --rebuild counts them again", flags: statsFlags},
		{name: "demo", args: "[--dir DIR] [--cases N]", summary: "run a seeded demonstration clinic in a fresh folder", flags: demoFlags},
		{name: "central", args: "--dir DIR [--pki DIR] [--api ADDR] [--web ADDR] [--unit NAME=HSAID]... [--key-file FILE | --token-module FILE --token-label LABEL --token-key-label LABEL --token-pin-file FILE]", summary: "run the reference central patient-side store (sync API and patient pages)", flags: centralFlags},
		centralKeysCommand(),
		{name: "version", summary: "print the version", flags: versionFlags},
	}
}

// usageError is a mistake in how clinicgw was called: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run runs clinicgw with args (without the program name) and returns the
// exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	logFormat, args, err := globalFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "clinicgw: %v\n", err)
		return exitUsage
	}
	h, err := agent.NewLogHandler(stderr, logFormat, "")
	if err != nil {
		fmt.Fprintf(stderr, "clinicgw: %v\n", err)
		return exitUsage
	}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(h), logFormat: logFormat}
	cmds := commands()
	if len(args) == 0 {
		printUsage(stderr, "", cmds)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			// `clinicgw help keys rotate` is `clinicgw keys rotate --help`.
			return dispatch(ctx, e, "", cmds, slices.Concat(args[1:], []string{"--help"}))
		}
		printUsage(stdout, "", cmds)
		return exitOK
	}
	return dispatch(ctx, e, "", cmds, args)
}

// dispatch finds the command named by args[0] among cmds and runs it.
func dispatch(ctx context.Context, e *env, prefix string, cmds []*command, args []string) int {
	name := args[0]
	var cmd *command
	for _, c := range cmds {
		if c.name == name {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(e.stderr, "clinicgw: unknown command %q\n", prefix+name)
		fmt.Fprintf(e.stderr, "Run 'clinicgw %shelp' for the list of commands.\n", prefix)
		return exitUsage
	}
	full := prefix + cmd.name
	if cmd.sub != nil {
		rest := args[1:]
		if len(rest) == 0 {
			printUsage(e.stderr, full+" ", cmd.sub)
			return exitUsage
		}
		switch rest[0] {
		case "help", "-h", "-help", "--help":
			printUsage(e.stdout, full+" ", cmd.sub)
			return exitOK
		}
		return dispatch(ctx, e, full+" ", cmd.sub, rest)
	}

	fs := flag.NewFlagSet("clinicgw "+full, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.TrimSpace("clinicgw "+full+" "+cmd.args), capitalize(cmd.summary))
		printFlags(w, fs)
	}
	fs.Usage = func() {} // the flag package's error is printed; the usage follows below
	runCmd := cmd.flags(fs)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(e.stdout)
			return exitOK
		}
		usage(e.stderr)
		return exitUsage
	}
	if fs.NArg() > 0 && !cmd.operands {
		fmt.Fprintf(e.stderr, "clinicgw %s: unexpected argument %q\n", full, fs.Arg(0))
		fmt.Fprintf(e.stderr, "Run 'clinicgw %s --help' for usage.\n", full)
		return exitUsage
	}
	err := runCmd(ctx, e)
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "clinicgw %s: %v\n", full, err)
		fmt.Fprintf(e.stderr, "Run 'clinicgw %s --help' for usage.\n", full)
		return exitUsage
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintf(e.stderr, "clinicgw %s: interrupted\n", full)
		return exitFailure
	default:
		fmt.Fprintf(e.stderr, "clinicgw %s: %v\n", full, err)
		return exitFailure
	}
}

func printUsage(w io.Writer, prefix string, cmds []*command) {
	fmt.Fprintf(w, "Usage: clinicgw %s<command> [flags]\n\nCommands:\n", prefix)
	for _, c := range cmds {
		if c.sub != nil {
			for _, s := range c.sub {
				fmt.Fprintf(w, "  %-20s %s\n", prefix+c.name+" "+s.name, s.summary)
			}
			continue
		}
		fmt.Fprintf(w, "  %-20s %s\n", prefix+c.name, c.summary)
	}
	if prefix == "" {
		fmt.Fprintf(w, "\nGlobal flags, before the command:\n  --log-format text|json\n    \tthe technical log's format on stderr (default text, or the configuration's log.format)\n")
	}
	fmt.Fprintf(w, "\nRun 'clinicgw %s<command> --help' for a command's flags.\n", prefix)
}

// printFlags lists fs's flags in the --name form the documentation uses.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintf(w, "\nFlags:\n")
			first = false
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, usage)
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
