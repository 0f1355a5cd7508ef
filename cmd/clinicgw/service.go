package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kardianos/service"

	"clinicgw/agent"
)

// serviceName is the service's name for the service manager. It must equal
// the MSI's ServiceInstall/@Name (packaging/windows/clinicgw.wxs) and the
// systemd unit's name (package systemd).
const serviceName = "clinicgw"

func installFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file (required); the service runs with it")
	return func(ctx context.Context, e *env) error {
		if *path == "" {
			return usagef("--config is required")
		}
		abs, err := filepath.Abs(*path)
		if err != nil {
			return err
		}
		// A service that fails at every start helps nobody: the file must
		// load and validate now.
		cfg, err := agent.LoadConfig(abs)
		if err != nil {
			return err
		}
		return installService(ctx, e, cfg)
	}
}

func uninstallFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error { return uninstallService(ctx, e) }
}

func startFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error { return controlService(ctx, e, "start") }
}

func stopFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error { return controlService(ctx, e, "stop") }
}

func statusFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	path := fs.String("config", "", "`FILE` is the gateway's configuration file: with it, the running gateway's outbox sealing from its admin listener too")
	return func(ctx context.Context, e *env) error {
		err := serviceStatus(ctx, e)
		if *path == "" {
			return err
		}
		return errors.Join(err, statusSync(ctx, e, *path)) // statussync.go
	}
}

// gateway is the running gateway's lifecycle: start returns at once and
// brings the agent up in the background; stop ends it and waits. The
// foreground `run` and the Windows service (windowsProgram, the
// kardianos/service Program) share it.
type gateway struct {
	// configPath is the configuration file, loaded when the gateway
	// starts: as a Windows service a bad file is then an error in the
	// Event Log, not a service that never answers its manager.
	configPath string
	log        *slog.Logger
	// ready runs once agent.Start has returned: the store is open and the
	// listeners are up.
	ready func(*agent.Config)
	// useLog, when not nil, makes the gateway's log from the
	// configuration's [log] table (not as a Windows service, whose log is
	// the Event Log).
	useLog func(agent.LogConfig) (*slog.Logger, error)

	cancel context.CancelFunc
	done   chan struct{} // closed when the agent has stopped or failed to start
	err    error         // why, set before done is closed
}

// start brings the gateway up in the background; ctx ending stops it.
func (g *gateway) start(ctx context.Context) {
	ctx, g.cancel = context.WithCancel(ctx)
	g.done = make(chan struct{})
	go func() {
		defer close(g.done)
		g.err = g.run(ctx)
	}()
}

func (g *gateway) run(ctx context.Context) error {
	cfg, err := agent.LoadConfig(g.configPath)
	if err != nil {
		return err
	}
	log := g.log
	if g.useLog != nil {
		if log, err = g.useLog(cfg.Log); err != nil {
			return err
		}
	}
	setMemoryLimit(log, cfg.Runtime.MemoryLimitBytes())
	a, err := agent.New(cfg, agent.Options{Logger: log, Version: versionString()})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	if g.ready != nil {
		g.ready(cfg)
	}
	return a.Wait()
}

// stop ends the gateway, waits until it has stopped and returns why it
// ended if that was a failure.
func (g *gateway) stop() error {
	if err := sdNotify("STOPPING=1"); err != nil {
		g.log.Warn("cannot tell systemd the service is stopping", "err", err)
	}
	g.cancel()
	<-g.done
	return g.err
}

// runGateway runs the gateway until ctx ends (Ctrl-C, SIGTERM), the
// service manager stops it, or a part of it fails. Under systemd it tells
// the manager when it is ready (Type=notify); started by the Windows
// service manager it runs as a Windows service.
func runGateway(ctx context.Context, e *env, configPath string) error {
	g := &gateway{configPath: configPath, log: e.log}
	g.useLog = func(l agent.LogConfig) (*slog.Logger, error) {
		err := e.useLogConfig(l)
		return e.log, err
	}
	g.ready = func(cfg *agent.Config) {
		central := "none: offline, answers wait in the outbox"
		if cfg.Central.Online() {
			central = cfg.Central.URL
		}
		fmt.Fprintf(e.stdout, "clinicgw %s running for %s (%s)\n  store:   %s\n  central: %s\nStop with Ctrl-C.\n",
			version, cfg.Unit.Name, cfg.Unit.HSAID, cfg.StorePath(), central)
		if err := sdNotify("READY=1\nSTATUS=serving unit " + cfg.Unit.HSAID); err != nil {
			g.log.Warn("cannot tell systemd the service is ready", "err", err)
		}
	}
	if handled, err := runUnderServiceManager(e, g); handled {
		return err
	}
	g.start(ctx)
	select {
	case <-ctx.Done():
	case <-g.done:
	}
	return g.stop()
}

// systemLogHandler is a slog.Handler that writes each record, formatted
// as one text line without its time, to a kardianos/service Logger: the
// Windows Event Log for a Windows service. Error records become errors,
// warnings warnings, the rest information.
type systemLogHandler struct {
	inner slog.Handler // formats into line
	line  *lineBuffer
	sink  service.Logger
}

// lineBuffer holds the one record being formatted; the lock is held by
// Handle from formatting to sending.
type lineBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lineBuffer) Write(p []byte) (int, error) { return b.buf.Write(p) }

func newSystemLogHandler(sink service.Logger, level slog.Leveler) *systemLogHandler {
	line := &lineBuffer{}
	inner := slog.NewTextHandler(line, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{} // the event log has its own
			}
			return a
		},
	})
	return &systemLogHandler{inner: inner, line: line, sink: sink}
}

func (h *systemLogHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *systemLogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.line.mu.Lock()
	defer h.line.mu.Unlock()
	h.line.buf.Reset()
	if err := h.inner.Handle(ctx, r); err != nil {
		return err
	}
	text := strings.TrimSuffix(h.line.buf.String(), "\n")
	switch {
	case r.Level >= slog.LevelError:
		return h.sink.Error(text)
	case r.Level >= slog.LevelWarn:
		return h.sink.Warning(text)
	default:
		return h.sink.Info(text)
	}
}

func (h *systemLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &systemLogHandler{inner: h.inner.WithAttrs(attrs), line: h.line, sink: h.sink}
}

func (h *systemLogHandler) WithGroup(name string) slog.Handler {
	return &systemLogHandler{inner: h.inner.WithGroup(name), line: h.line, sink: h.sink}
}

// quotedCommandLine returns a service command line with exe quoted, and
// true, when it starts with exe unquoted and exe holds a space.
func quotedCommandLine(cmdline, exe string) (string, bool) {
	if !strings.ContainsAny(exe, " \t") || !strings.HasPrefix(strings.ToLower(cmdline), strings.ToLower(exe)) {
		return cmdline, false
	}
	rest := cmdline[len(exe):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return cmdline, false
	}
	return `"` + cmdline[:len(exe)] + `"` + rest, true
}
