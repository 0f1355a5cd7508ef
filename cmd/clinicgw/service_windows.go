package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/kardianos/service"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"

	"clinicgw/agent"
)

// On Windows the service is the Service Control Manager's, through
// kardianos/service. The MSI installs it (ServiceInstall, name clinicgw);
// `clinicgw install` does the same for a copy run from anywhere. Either
// way the service sets its own recovery actions and event source when it
// starts, since the MSI cannot (wixl has no ServiceConfig).

// recoveryActions: restart after 5 s, again after 30 s, then every 2 min;
// the count of failures starts again after a day without one.
var recoveryActions = []mgr.RecoveryAction{
	{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
	{Type: mgr.ServiceRestart, Delay: 30 * time.Second},
	{Type: mgr.ServiceRestart, Delay: 2 * time.Minute},
}

const recoveryResetSeconds = 24 * 60 * 60

// serviceConfig describes the service to kardianos/service. args are the
// arguments the service manager starts the binary with.
func serviceConfig(args []string) *service.Config {
	return &service.Config{
		Name:        serviceName,
		DisplayName: "clinicgw care-unit gateway",
		Description: "The care unit's gateway for secure patient messaging: encrypted case store, staff web UI, sync with the central patient-side store.",
		Arguments:   args,
	}
}

// newService is the service as the control commands (install, start,
// stop, status, uninstall) see it: its program is never run from here.
func newService(args []string) (service.Service, error) {
	s, err := service.New(&windowsProgram{g: &gateway{}}, serviceConfig(args))
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	return s, nil
}

func installService(ctx context.Context, e *env, cfg *agent.Config) error {
	s, err := newService([]string{"run", "--config", cfg.Path()})
	if err != nil {
		return err
	}
	if err := s.Install(); err != nil {
		if strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("the service %s is already installed (by the MSI or an earlier install): uninstall it first", serviceName)
		}
		return fmt.Errorf("install the service (run as Administrator): %w", err)
	}
	// The service sets them again at every start: a failure here is not
	// the end of the install.
	if err := setRecovery(); err != nil {
		fmt.Fprintf(e.stderr, "warning: %v; the service sets them itself when it starts\n", err)
	}
	fmt.Fprintf(e.stdout, "The service %s is installed (automatic start, restarts on failure) with %s.\nStart it: clinicgw start; its log: Event Viewer, Windows Logs > Application, source %s.\n",
		serviceName, cfg.Path(), serviceName)
	return nil
}

// installedByMSI says whether the MSI installed the service: it leaves a
// mark in the registry (packaging/windows/clinicgw.wxs).
func installedByMSI() bool {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\clinicgw`, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetStringValue("InstalledByMSI")
	return err == nil
}

func uninstallService(ctx context.Context, e *env) error {
	if installedByMSI() {
		return errors.New("the service was installed by the MSI: remove clinicgw in Settings > Apps (or msiexec /x), which removes the service too; the configuration and the store are kept")
	}
	s, err := newService(nil)
	if err != nil {
		return err
	}
	if st, err := s.Status(); err == nil && st == service.StatusRunning {
		if err := s.Stop(); err != nil {
			return fmt.Errorf("stop the service: %w", err)
		}
	}
	if err := s.Uninstall(); err != nil {
		return fmt.Errorf("uninstall the service (run as Administrator): %w", err)
	}
	fmt.Fprintf(e.stdout, "The service %s is uninstalled; the configuration and the store are kept.\n", serviceName)
	return nil
}

func controlService(ctx context.Context, e *env, action string) error {
	s, err := newService(nil)
	if err != nil {
		return err
	}
	if err := service.Control(s, action); err != nil {
		return fmt.Errorf("%w (see Event Viewer, Windows Logs > Application, source %s)", err, serviceName)
	}
	fmt.Fprintf(e.stdout, "%s: %s done\n", serviceName, action)
	return nil
}

func serviceStatus(ctx context.Context, e *env) error {
	s, err := newService(nil)
	if err != nil {
		return err
	}
	st, err := s.Status()
	switch {
	case errors.Is(err, service.ErrNotInstalled):
		fmt.Fprintf(e.stdout, "%s: not installed\n", serviceName)
		return nil
	case err != nil:
		return fmt.Errorf("service status: %w", err)
	case st == service.StatusRunning:
		fmt.Fprintf(e.stdout, "%s: running\n", serviceName)
	case st == service.StatusStopped:
		fmt.Fprintf(e.stdout, "%s: stopped\n", serviceName)
	default:
		fmt.Fprintf(e.stdout, "%s: unknown state\n", serviceName)
	}
	return nil
}

// setRecovery makes the service manager restart the service when it fails:
// when the process ends without stopping, and when it stops with an error.
func setRecovery() error {
	return withService(func(s *mgr.Service) error {
		if err := s.SetRecoveryActions(recoveryActions, recoveryResetSeconds); err != nil {
			return fmt.Errorf("set the service's recovery actions: %w", err)
		}
		if err := s.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
			return fmt.Errorf("set the service's recovery actions: %w", err)
		}
		return nil
	})
}

// withService runs fn on the installed clinicgw service.
func withService(fn func(*mgr.Service) error) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		return fmt.Errorf("open the service %s: %w", serviceName, err)
	}
	defer s.Close()
	return fn(s)
}

// quoteImagePath quotes the service's program path in its command line
// when it holds a space and is not quoted ("C:\Program Files\clinicgw\
// clinicgw.exe run ..."): unquoted, Windows would first try to run
// C:\Program.exe (CWE-428). Some MSI engines (Wine's) write it so.
func quoteImagePath() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return withService(func(s *mgr.Service) error {
		c, err := s.Config()
		if err != nil {
			return fmt.Errorf("read the service's configuration: %w", err)
		}
		quoted, ok := quotedCommandLine(c.BinaryPathName, exe)
		if !ok {
			return nil
		}
		c.BinaryPathName = quoted
		if err := s.UpdateConfig(c); err != nil {
			return fmt.Errorf("quote the service's program path: %w", err)
		}
		return nil
	})
}

// runUnderServiceManager runs the gateway as a Windows service when the
// Service Control Manager started the process; it logs to the Windows
// Event Log, since a service has no console.
func runUnderServiceManager(e *env, g *gateway) (bool, error) {
	if service.Interactive() {
		return false, nil
	}
	// The event source; the MSI registers it, `clinicgw install` too, so
	// "exists" is the usual answer.
	if err := eventlog.InstallAsEventCreate(serviceName, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "exists") {
		fmt.Fprintf(e.stderr, "register the event source %s: %v\n", serviceName, err)
	}
	s, err := service.New(&windowsProgram{g: g}, serviceConfig(nil))
	if err != nil {
		return true, fmt.Errorf("service manager: %w", err)
	}
	sink, err := s.Logger(nil)
	if err != nil {
		return true, fmt.Errorf("open the event log: %w", err)
	}
	g.log, g.useLog = slog.New(newSystemLogHandler(sink, slog.LevelInfo)), nil
	if err := setRecovery(); err != nil {
		g.log.Warn("cannot set the service's recovery actions; it will not restart by itself on failure", "err", err)
	}
	if err := quoteImagePath(); err != nil {
		g.log.Warn("cannot check the service's command line", "err", err)
	}
	return true, s.Run()
}

// windowsProgram is the gateway as a Windows service: it logs the
// service's start and stop, and a gateway that fails on its own ends the
// process with an error, so that the recovery actions restart it.
type windowsProgram struct {
	g        *gateway
	stopping chan struct{}
}

func (p *windowsProgram) Start(s service.Service) error {
	p.stopping = make(chan struct{})
	p.g.log.Info("service starting", "version", versionString(), "config", p.g.configPath)
	p.g.start(context.Background())
	go func() {
		select {
		case <-p.stopping:
		case <-p.g.done:
			select {
			case <-p.stopping: // Stop came first: not a failure
				return
			default:
			}
			err := p.g.err
			if err == nil {
				err = errors.New("the gateway stopped by itself")
			}
			p.g.log.Error("service failed; the service manager restarts it", "err", err)
			os.Exit(exitFailure) // without reporting "stopped": a crash to the service manager
		}
	}()
	return nil
}

func (p *windowsProgram) Stop(s service.Service) error {
	close(p.stopping)
	err := p.g.stop()
	if err != nil {
		p.g.log.Error("service stopped with an error", "err", err)
		return err
	}
	p.g.log.Info("service stopped")
	return nil
}
