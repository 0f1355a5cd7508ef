package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"clinicgw/agent"
	"clinicgw/sync/atomicfile"
	"clinicgw/systemd"
)

// On Linux the service is systemd's, defined by the unit in package
// systemd: `install` writes those bytes (never a unit of kardianos's
// making), the sysusers.d and tmpfiles.d snippets, and enables the unit;
// start, stop and status are systemctl's.

// Where the files go, relative to the host's root.
const (
	packageUnitDir = "usr/lib/systemd/system" // the deb's and rpm's
	adminUnitDir   = "etc/systemd/system"     // `clinicgw install`'s
	sysusersDir    = "etc/sysusers.d"
	tmpfilesDir    = "etc/tmpfiles.d"
	dropInName     = "50-clinicgw-install.conf"
	stateDir       = "/var/lib/clinicgw" // the unit's StateDirectory=, writable under ProtectSystem=strict
)

// systemdHost is the machine install writes to: its root folder and how
// commands run there. Tests give a temporary root and record the commands.
type systemdHost struct {
	root string
	// run runs a command and returns its combined output.
	run func(ctx context.Context, name string, args ...string) ([]byte, error)
	// have says whether a command is installed.
	have func(name string) bool
	// exe is the clinicgw binary the service is to run.
	exe string
}

func realHost() (*systemdHost, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the clinicgw binary: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return nil, fmt.Errorf("find the clinicgw binary: %w", err)
	}
	return &systemdHost{
		root: "/",
		run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			return exec.CommandContext(ctx, name, args...).CombinedOutput()
		},
		have: func(name string) bool { _, err := exec.LookPath(name); return err == nil },
		exe:  exe,
	}, nil
}

func (h *systemdHost) path(rel string) string { return filepath.Join(h.root, rel) }

// command runs name with args; a failure names the command and carries its
// output.
func (h *systemdHost) command(ctx context.Context, name string, args ...string) error {
	out, err := h.run(ctx, name, args...)
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return nil
}

func installService(ctx context.Context, e *env, cfg *agent.Config) error {
	h, err := realHost()
	if err != nil {
		return err
	}
	return h.install(ctx, e, cfg)
}

func uninstallService(ctx context.Context, e *env) error {
	h, err := realHost()
	if err != nil {
		return err
	}
	return h.uninstall(ctx, e)
}

func controlService(ctx context.Context, e *env, action string) error {
	h, err := realHost()
	if err != nil {
		return err
	}
	if err := h.command(ctx, "systemctl", action, systemd.UnitName); err != nil {
		return fmt.Errorf("%w (see `journalctl -u %s` for the service's own log)", err, systemd.UnitName)
	}
	fmt.Fprintf(e.stdout, "%s: %s done\n", serviceName, action)
	return nil
}

func serviceStatus(ctx context.Context, e *env) error {
	h, err := realHost()
	if err != nil {
		return err
	}
	return h.status(ctx, e)
}

// runUnderServiceManager: under systemd the gateway runs as in the
// foreground (SIGTERM stops it; sdNotify tells systemd when it is ready).
func runUnderServiceManager(*env, *gateway) (bool, error) { return false, nil }

// install writes the unit, the snippets and a drop-in naming this binary
// and cfg's file when they are not the unit's own, then creates the user
// and folders and enables the unit.
func (h *systemdHost) install(ctx context.Context, e *env, cfg *agent.Config) error {
	pkgUnit := h.path(filepath.Join(packageUnitDir, systemd.UnitName))
	if _, err := os.Stat(pkgUnit); err == nil {
		return fmt.Errorf("%s is installed by the clinicgw package: configure %s and run `systemctl enable --now %s` instead, or remove the package first",
			filepath.Join("/", packageUnitDir, systemd.UnitName), unitConfigPath(), systemd.UnitName)
	}
	for _, p := range []string{cfg.Path(), cfg.StorePath()} {
		for _, hidden := range []string{"/home/", "/root/", "/run/user/"} {
			if strings.HasPrefix(p, hidden) {
				return fmt.Errorf("%s is under %s, which the hardened unit hides from the service (ProtectHome=yes): put the configuration in /etc/clinicgw and the store in %s", p, hidden, stateDir)
			}
		}
	}
	unitPath := h.path(filepath.Join(adminUnitDir, systemd.UnitName))
	files := []struct {
		path string
		data []byte
	}{
		{unitPath, systemd.Unit},
		{h.path(filepath.Join(sysusersDir, systemd.SysusersName)), systemd.Sysusers},
		{h.path(filepath.Join(tmpfilesDir, systemd.TmpfilesName)), systemd.Tmpfiles},
	}
	dropIn := h.dropIn(cfg)
	dropInPath := h.path(filepath.Join(adminUnitDir, systemd.UnitName+".d", dropInName))
	if dropIn != nil {
		files = append(files, struct {
			path string
			data []byte
		}{dropInPath, dropIn})
	} else if err := os.Remove(dropInPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove an earlier install's drop-in: %w", err)
	}
	for _, f := range files {
		if err := atomicfile.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("install: %w", err)
		}
		// Replaced whole, mode and all, and durable: a power cut after
		// install leaves the old file or the new one, never an empty unit.
		if err := atomicfile.Write(f.path, f.data, 0o644); errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("install: %w (run it as root)", err)
		} else if err != nil {
			return fmt.Errorf("install: %w", err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", f.path)
	}

	if h.have("systemd-sysusers") {
		if err := h.command(ctx, "systemd-sysusers", files[1].path); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "systemd-sysusers not found: create the system user and group clinicgw yourself (see %s)\n", files[1].path)
	}
	if h.have("systemd-tmpfiles") {
		if err := h.command(ctx, "systemd-tmpfiles", "--create", files[2].path); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "systemd-tmpfiles not found: create the folders yourself (see %s)\n", files[2].path)
	}
	if err := h.command(ctx, "systemctl", "daemon-reload"); err != nil {
		return fmt.Errorf("%w (the files are in place; is systemd running?)", err)
	}
	if err := h.command(ctx, "systemctl", "enable", systemd.UnitName); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s is installed and enabled; it runs as the user clinicgw with %s.\n", systemd.UnitName, cfg.Path())
	fmt.Fprintf(e.stdout, "That user must be able to read the configuration and the files it names and write the store's folder:\n")
	fmt.Fprintf(e.stdout, "  chgrp clinicgw %s && chmod 0640 %s\n  chown -R clinicgw:clinicgw %s\n", cfg.Path(), cfg.Path(), filepath.Dir(cfg.StorePath()))
	fmt.Fprintf(e.stdout, "Then: clinicgw start; its log: journalctl -u %s\n", systemd.UnitName)
	return nil
}

// dropIn is the unit drop-in for a binary or configuration file other
// than the unit's ExecStart names, and for a store outside the unit's
// state folder; nil when the unit fits as it is.
func (h *systemdHost) dropIn(cfg *agent.Config) []byte {
	var b bytes.Buffer
	exe, cfgPath := unitExecStart()
	if exe != h.exe || cfgPath != cfg.Path() {
		fmt.Fprintf(&b, "ExecStart=\nExecStart=%s run --config %s\n", systemdQuote(h.exe), systemdQuote(cfg.Path()))
	}
	if exe != h.exe {
		// The unit's other commands (ExecReload=) run the same binary.
		for line := range strings.Lines(string(systemd.Unit)) {
			key, value, _ := strings.Cut(strings.TrimSpace(line), "=")
			if rest, ok := strings.CutPrefix(value, exe+" "); ok && strings.HasPrefix(key, "Exec") && key != "ExecStart" {
				fmt.Fprintf(&b, "%s=\n%s=%s %s\n", key, key, systemdQuote(h.exe), rest)
			}
		}
	}
	if dir := filepath.Dir(cfg.StorePath()); dir != stateDir && !strings.HasPrefix(dir, stateDir+"/") {
		fmt.Fprintf(&b, "ReadWritePaths=%s\n", systemdQuote(dir))
	}
	if b.Len() == 0 {
		return nil
	}
	return append([]byte("# Written by `clinicgw install`: this host's binary, configuration and store folder.\n[Service]\n"), b.Bytes()...)
}

// unitExecStart returns the binary and the --config file in the unit's
// ExecStart= line, "" for what it does not name.
func unitExecStart() (exe, cfgPath string) {
	for line := range strings.Lines(string(systemd.Unit)) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "ExecStart=")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) > 0 {
			exe = f[0]
		}
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "--config" {
				cfgPath = f[i+1]
			}
		}
	}
	return exe, cfgPath
}

// unitConfigPath is the configuration file the packaged unit runs with.
func unitConfigPath() string {
	if _, p := unitExecStart(); p != "" {
		return p
	}
	return "/etc/clinicgw/clinicgw.toml"
}

// systemdQuote writes a path as one ExecStart= word: '%' doubled (it
// starts a specifier), quoted when it holds a space, a quote or a
// backslash.
func systemdQuote(p string) string {
	p = strings.ReplaceAll(p, "%", "%%")
	if strings.ContainsAny(p, " \t\"'\\") {
		return strconv.Quote(p)
	}
	return p
}

// uninstall disables and stops the unit and removes what install wrote.
// The user, the configuration and the store stay.
func (h *systemdHost) uninstall(ctx context.Context, e *env) error {
	unitPath := h.path(filepath.Join(adminUnitDir, systemd.UnitName))
	if _, err := os.Stat(unitPath); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(h.path(filepath.Join(packageUnitDir, systemd.UnitName))); err == nil {
			return fmt.Errorf("the service is installed by the clinicgw package: remove the package instead (apt remove clinicgw, or dnf remove clinicgw)")
		}
		return fmt.Errorf("the service is not installed (no %s)", unitPath)
	}
	if err := h.command(ctx, "systemctl", "disable", "--now", systemd.UnitName); err != nil {
		return err
	}
	for _, p := range []string{
		unitPath,
		h.path(filepath.Join(adminUnitDir, systemd.UnitName+".d", dropInName)),
		h.path(filepath.Join(sysusersDir, systemd.SysusersName)),
		h.path(filepath.Join(tmpfilesDir, systemd.TmpfilesName)),
	} {
		switch err := os.Remove(p); {
		case err == nil:
			fmt.Fprintf(e.stdout, "removed %s\n", p)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("uninstall: %w", err)
		}
	}
	// The drop-in folder, if install made it and nothing else is in it.
	os.Remove(h.path(filepath.Join(adminUnitDir, systemd.UnitName+".d")))
	if err := h.command(ctx, "systemctl", "daemon-reload"); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\n%s is uninstalled; the user clinicgw, the configuration and the store are kept.\n", systemd.UnitName)
	return nil
}

// status prints whether the unit is installed, enabled and running.
func (h *systemdHost) status(ctx context.Context, e *env) error {
	// is-active and is-enabled exit non-zero for "inactive" and
	// "disabled": their output is the answer.
	active, _ := h.run(ctx, "systemctl", "is-active", systemd.UnitName)
	enabled, _ := h.run(ctx, "systemctl", "is-enabled", systemd.UnitName)
	a, en := strings.TrimSpace(string(active)), strings.TrimSpace(string(enabled))
	switch {
	case strings.Contains(a+en, "not been booted with systemd") || a == "" || en == "":
		return fmt.Errorf("cannot ask systemd about %s: %s", systemd.UnitName, firstLine(a+"\n"+en))
	case strings.Contains(en, "No such file") || en == "not-found":
		fmt.Fprintf(e.stdout, "%s: not installed\n", systemd.UnitName)
	default:
		fmt.Fprintf(e.stdout, "%s: %s, %s\n", systemd.UnitName, a, en)
	}
	return nil
}

func firstLine(s string) string {
	for l := range strings.Lines(strings.TrimSpace(s)) {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return "no answer (is systemd running?)"
}
