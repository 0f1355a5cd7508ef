package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/systemd"
)

// TestNotifyReady runs the gateway as systemd would start it for a
// Type=notify unit: $NOTIFY_SOCKET names a real unixgram socket, here a
// path and an abstract name. The gateway must send READY=1 once it is up
// (store open, listeners started), STOPPING=1 when it is told to stop, and
// end cleanly.
func TestNotifyReady(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", "SE2321000016-15ZM", "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "clinicgw.toml")
	for _, tt := range []struct{ name, addr string }{
		{"path", filepath.Join(t.TempDir(), "notify.sock")},
		{"abstract", fmt.Sprintf("@clinicgw-test-%d-%d", os.Getpid(), time.Now().UnixNano())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: tt.addr, Net: "unixgram"})
			if err != nil {
				t.Fatal(err)
			}
			defer sock.Close()
			t.Setenv("NOTIFY_SOCKET", tt.addr)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var out, errOut bytes.Buffer
			exited := make(chan int, 1)
			go func() { exited <- run(ctx, []string{"run", "--config", cfg}, &out, &errOut) }()

			// A deadline only so that a broken gateway fails the test
			// instead of hanging it; nothing here depends on timing.
			sock.SetReadDeadline(time.Now().Add(2 * time.Minute))
			buf := make([]byte, 4096)
			n, err := sock.Read(buf)
			if err != nil {
				t.Fatalf("no message on the notify socket: %v\nstderr: %s", err, errOut.String())
			}
			msg := string(buf[:n])
			if !slices.Contains(strings.Split(msg, "\n"), "READY=1") {
				t.Fatalf("first notify message %q, want READY=1", msg)
			}
			if !strings.Contains(msg, "STATUS=serving unit SE2321000016-15ZM") {
				t.Errorf("READY message %q lacks the status line", msg)
			}
			// Ready means up: the store exists by now.
			if _, err := os.Stat(filepath.Join(dir, "store.db")); err != nil {
				t.Errorf("READY=1 before the store was open: %v", err)
			}

			cancel()
			if n, err = sock.Read(buf); err != nil {
				t.Fatalf("no STOPPING=1: %v", err)
			}
			if got := string(buf[:n]); got != "STOPPING=1" {
				t.Errorf("second notify message %q, want STOPPING=1", got)
			}
			if code := <-exited; code != exitOK {
				t.Fatalf("run: exit %d: %s", code, errOut.String())
			}
			if !strings.Contains(errOut.String(), "gateway stopped") {
				t.Errorf("run did not log its stop:\n%s", errOut.String())
			}
		})
	}
}

func TestNotifyWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify("READY=1"); err != nil {
		t.Errorf("without NOTIFY_SOCKET: %v, want nothing done", err)
	}
	t.Setenv("NOTIFY_SOCKET", "relative.sock")
	if err := sdNotify("READY=1"); err == nil {
		t.Error("a relative NOTIFY_SOCKET was accepted")
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "nobody-listens.sock"))
	if err := sdNotify("READY=1"); err == nil {
		t.Error("no error when nobody listens on NOTIFY_SOCKET")
	}
}

// testHost is a systemdHost on a temporary root whose commands are
// recorded, not run: systemd is not PID 1 on the machines this runs on
// (CI, containers), so systemctl could not do them, and a test must not
// change the real host anyway. What install writes is checked byte for
// byte; systemd-analyze checks on the unit itself are package systemd's.
func testHost(t *testing.T, have ...string) (*systemdHost, *[]string) {
	var cmds []string
	return &systemdHost{
		root: t.TempDir(),
		run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			cmds = append(cmds, strings.Join(append([]string{name}, args...), " "))
			return nil, nil
		},
		have: func(name string) bool { return slices.Contains(have, name) },
		exe:  "/opt/clinic gw/clinicgw",
	}, &cmds
}

func testConfig(t *testing.T) *agent.Config {
	dir := filepath.Join(t.TempDir(), "etc")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := agent.DefaultConfig("SE2321000016-15ZM", "Vårdcentralen Exempel")
	cfg.Store.Path = "/var/lib/clinicgw/store.db"
	if err := cfg.Write(filepath.Join(dir, "clinicgw.toml")); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInstallSystemd(t *testing.T) {
	h, cmds := testHost(t, "systemd-sysusers", "systemd-tmpfiles")
	cfg := testConfig(t)
	var out bytes.Buffer
	if err := h.install(context.Background(), &env{stdout: &out}, cfg); err != nil {
		t.Fatal(err)
	}
	// The unit and the snippets are package systemd's bytes, not a unit of
	// kardianos's making.
	for rel, want := range map[string][]byte{
		"etc/systemd/system/clinicgw.service": systemd.Unit,
		"etc/sysusers.d/clinicgw.conf":        systemd.Sysusers,
		"etc/tmpfiles.d/clinicgw.conf":        systemd.Tmpfiles,
	} {
		p := filepath.Join(h.root, rel)
		if got := readFile(t, p); !bytes.Equal(got, want) {
			t.Errorf("%s differs from package systemd's file:\n%s", rel, got)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: mode %v, want 0644", rel, fi.Mode().Perm())
		}
	}
	// This binary and this configuration are not the unit's: a drop-in
	// names them, quoted for the space, for ExecStart and ExecReload. The
	// store is in the state folder: no ReadWritePaths.
	dropIn := string(readFile(t, filepath.Join(h.root, "etc/systemd/system/clinicgw.service.d", dropInName)))
	wantExec := fmt.Sprintf("ExecStart=\nExecStart=\"/opt/clinic gw/clinicgw\" run --config %s\n"+
		"ExecReload=\nExecReload=\"/opt/clinic gw/clinicgw\" reload $MAINPID\n", cfg.Path())
	if !strings.Contains(dropIn, "[Service]\n"+wantExec) || strings.Contains(dropIn, "ReadWritePaths") {
		t.Errorf("drop-in:\n%s\nwant [Service] then\n%s", dropIn, wantExec)
	}
	sysusers := filepath.Join(h.root, "etc/sysusers.d/clinicgw.conf")
	tmpfiles := filepath.Join(h.root, "etc/tmpfiles.d/clinicgw.conf")
	want := []string{
		"systemd-sysusers " + sysusers,
		"systemd-tmpfiles --create " + tmpfiles,
		"systemctl daemon-reload",
		"systemctl enable clinicgw.service",
	}
	if !slices.Equal(*cmds, want) {
		t.Errorf("install ran\n%s\nwant\n%s", strings.Join(*cmds, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(out.String(), "chown -R clinicgw:clinicgw /var/lib/clinicgw") {
		t.Errorf("install did not say how to hand the store's folder to the service user:\n%s", out.String())
	}

	// Installed again with the store elsewhere: the drop-in opens that
	// folder for writing.
	cfg.Store.Path = "/srv/clinic/store.db"
	if err := h.install(context.Background(), &env{stdout: &out}, cfg); err != nil {
		t.Fatal(err)
	}
	dropIn = string(readFile(t, filepath.Join(h.root, "etc/systemd/system/clinicgw.service.d", dropInName)))
	if !strings.Contains(dropIn, "\nReadWritePaths=/srv/clinic\n") {
		t.Errorf("drop-in for a store in /srv/clinic:\n%s", dropIn)
	}

	// Uninstall stops, disables and removes what install wrote.
	*cmds = nil
	out.Reset()
	if err := h.uninstall(context.Background(), &env{stdout: &out}); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"etc/systemd/system/clinicgw.service", "etc/systemd/system/clinicgw.service.d",
		"etc/sysusers.d/clinicgw.conf", "etc/tmpfiles.d/clinicgw.conf"} {
		if _, err := os.Stat(filepath.Join(h.root, rel)); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall (%v)", rel, err)
		}
	}
	want = []string{"systemctl disable --now clinicgw.service", "systemctl daemon-reload"}
	if !slices.Equal(*cmds, want) {
		t.Errorf("uninstall ran\n%s\nwant\n%s", strings.Join(*cmds, "\n"), strings.Join(want, "\n"))
	}
	if err := h.uninstall(context.Background(), &env{stdout: &out}); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("second uninstall: %v, want not installed", err)
	}
}

// Without systemd-sysusers and systemd-tmpfiles install says what to do
// by hand and still installs the unit.
func TestInstallSystemdWithoutSysusers(t *testing.T) {
	h, cmds := testHost(t)
	var out bytes.Buffer
	if err := h.install(context.Background(), &env{stdout: &out}, testConfig(t)); err != nil {
		t.Fatal(err)
	}
	if want := []string{"systemctl daemon-reload", "systemctl enable clinicgw.service"}; !slices.Equal(*cmds, want) {
		t.Errorf("install ran %q, want %q", *cmds, want)
	}
	for _, want := range []string{"create the system user and group clinicgw yourself", "create the folders yourself"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// With the package's unit in place install refuses: there must never be a
// second unit. Uninstall points at the package too.
func TestInstallSystemdBesidePackage(t *testing.T) {
	h, cmds := testHost(t, "systemd-sysusers", "systemd-tmpfiles")
	pkgUnit := filepath.Join(h.root, "usr/lib/systemd/system/clinicgw.service")
	os.MkdirAll(filepath.Dir(pkgUnit), 0o755)
	if err := os.WriteFile(pkgUnit, systemd.Unit, 0o644); err != nil {
		t.Fatal(err)
	}
	err := h.install(context.Background(), &env{stdout: &bytes.Buffer{}}, testConfig(t))
	if err == nil || !strings.Contains(err.Error(), "installed by the clinicgw package") {
		t.Fatalf("install beside the package's unit: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(h.root, "etc/systemd/system/clinicgw.service")); !os.IsNotExist(err) {
		t.Error("a refused install wrote a unit")
	}
	if err := h.uninstall(context.Background(), &env{stdout: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "remove the package") {
		t.Errorf("uninstall of the package's service: %v, want a pointer to the package", err)
	}
	if len(*cmds) != 0 {
		t.Errorf("refusals ran %q", *cmds)
	}
}

func TestInstallSystemdRefusesHome(t *testing.T) {
	h, _ := testHost(t)
	cfg := testConfig(t)
	cfg.Store.Path = "/home/admin/store.db"
	err := h.install(context.Background(), &env{stdout: &bytes.Buffer{}}, cfg)
	if err == nil || !strings.Contains(err.Error(), "ProtectHome") {
		t.Errorf("store under /home: %v, want a refusal naming ProtectHome", err)
	}
}

func TestSystemdQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/clinicgw":       "/usr/bin/clinicgw",
		"/opt/clinic gw/clinicgw": `"/opt/clinic gw/clinicgw"`,
		"/srv/100%/clinicgw":      "/srv/100%%/clinicgw",
	} {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInstallSystemdVerifies checks what install writes, the unit with its
// drop-in (a binary path with a space, a store outside the state folder),
// with systemd's own parser: `systemd-analyze verify --root`, offline, the
// host's targets copied into the root so the unit's dependencies resolve.
// systemd-analyze exits 0 on unknown keys: any output is a failure.
func TestInstallSystemdVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (package systemd)")
	}
	h, _ := testHost(t, "systemd-sysusers", "systemd-tmpfiles")
	var hostUnits string
	for _, dir := range []string{"/usr/lib/systemd/system", "/lib/systemd/system"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.target")); len(m) > 0 {
			hostUnits = dir
			break
		}
	}
	if hostUnits == "" {
		t.Skip("no systemd targets on this host to resolve the unit's dependencies")
	}
	units := filepath.Join(h.root, "usr/lib/systemd/system")
	os.MkdirAll(units, 0o755)
	for _, pattern := range []string{"*.target", "*.socket"} {
		m, _ := filepath.Glob(filepath.Join(hostUnits, pattern))
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				os.WriteFile(filepath.Join(units, filepath.Base(p)), b, 0o644)
			}
		}
	}
	// This binary only (not /usr/bin/clinicgw): every Exec* line of the
	// unit must name it through the drop-in.
	exe := filepath.Join(h.root, h.exe)
	os.MkdirAll(filepath.Dir(exe), 0o755)
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Store.Path = "/srv/clinic/store.db"
	if err := h.install(context.Background(), &env{stdout: &bytes.Buffer{}}, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--root="+h.root, systemd.UnitName).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestStatusSystemd(t *testing.T) {
	for _, tt := range []struct {
		name, active, enabled, want, err string
	}{
		{"running", "active", "enabled", "clinicgw.service: active, enabled", ""},
		{"stopped", "inactive", "disabled", "clinicgw.service: inactive, disabled", ""},
		{"not installed", "inactive", "Failed to get unit file state for clinicgw.service: No such file or directory", "clinicgw.service: not installed", ""},
		{"no systemd", "System has not been booted with systemd as init system (PID 1). Can't operate.", "System has not been booted with systemd as init system (PID 1). Can't operate.", "", "not been booted with systemd"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &systemdHost{run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
				if args[0] == "is-active" {
					return []byte(tt.active + "\n"), nil
				}
				return []byte(tt.enabled + "\n"), nil
			}}
			var out bytes.Buffer
			err := h.status(context.Background(), &env{stdout: &out})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("status: %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil || strings.TrimSpace(out.String()) != tt.want {
				t.Errorf("status: %q, %v; want %q", out.String(), err, tt.want)
			}
		})
	}
}
