package cardtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Paths of the Debian packages the harness runs.
const (
	PCSCDPath  = "/usr/sbin/pcscd"
	VPCDDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
)

// SocketEnv is the variable libpcsclite reads (once per process, before
// its first call) to find pcscd's socket.
const SocketEnv = "PCSCLITE_CSOCK_NAME"

// ReaderName is the name pcscd gives vpcd's first reader.
const ReaderName = "Virtual PCD 00 00"

// PCSCD is a private pcscd with one vpcd reader.
type PCSCD struct {
	Socket string // its socket: the value for SocketEnv
	Port   int    // vpcd's port: a virtual card connects here

	dir  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logs *strings.Builder
}

// Available reports why a private pcscd cannot run here ("" if it can).
func Available() string {
	for _, p := range []string{PCSCDPath, VPCDDriver, "/usr/bin/unshare"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("%s is missing (make deps installs pcscd and vsmartcard-vpcd)", p)
		}
	}
	return ""
}

// SkipUnlessAvailable skips t when the parts are missing, except under CI
// (CI=true), where it fails: CI installs them, so a skip there would hide
// a broken set-up.
func SkipUnlessAvailable(t testing.TB) {
	t.Helper()
	if why := Available(); why != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
}

// NewPCSCD prepares a private pcscd whose socket will be in dir; Start
// runs it. The socket path is known before it starts, so a TestMain can
// set SocketEnv first.
func NewPCSCD(dir string) (*PCSCD, error) {
	port, err := freePortPair()
	if err != nil {
		return nil, err
	}
	p := &PCSCD{Socket: filepath.Join(dir, "pcscd.comm"), Port: port, dir: dir}
	conf := filepath.Join(dir, "reader.conf.d")
	if err := os.MkdirAll(conf, 0o700); err != nil {
		return nil, err
	}
	text := fmt.Sprintf("FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:%d\nLIBPATH %s\nCHANNELID %d\n", port, VPCDDriver, port)
	if err := os.WriteFile(filepath.Join(conf, "vpcd"), []byte(text), 0o600); err != nil {
		return nil, err
	}
	return p, nil
}

// freePortPair finds a port whose successor is free too (vpcd uses both).
func freePortPair() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port+1))
		l.Close()
		if err == nil {
			l2.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("cardtest: no two free ports in a row")
}

// Start runs pcscd: socket activation on Socket (fd 3), in a user and
// mount namespace with its own /run.
func (p *PCSCD) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("cardtest: pcscd already running")
	}
	os.Remove(p.Socket)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.Socket, Net: "unix"})
	if err != nil {
		return fmt.Errorf("cardtest: pcscd socket: %w", err)
	}
	ln.SetUnlinkOnClose(false)
	f, err := ln.File()
	ln.Close()
	if err != nil {
		return err
	}
	defer f.Close()
	script := fmt.Sprintf("mount -t tmpfs tmpfs /run && export LISTEN_PID=$$ LISTEN_FDS=1 && exec %s -f -c %s", PCSCDPath, filepath.Join(p.dir, "reader.conf.d"))
	cmd := exec.Command("unshare", "-Urm", "sh", "-c", script)
	cmd.ExtraFiles = []*os.File{f}
	logs := &strings.Builder{}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cardtest: start pcscd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			p.mu.Lock()
			if logs.Len() < 1<<20 {
				logs.WriteString(s.Text() + "\n")
			}
			p.mu.Unlock()
		}
		cmd.Wait()
		close(done)
	}()
	p.cmd, p.done, p.logs = cmd, done, logs
	// vpcd listens once pcscd has loaded the driver. (Connecting to see
	// would look like a card to it: read the kernel's table instead.)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if listening(p.Port) {
			return nil
		}
		select {
		case <-done:
			p.cmd = nil
			return fmt.Errorf("cardtest: pcscd ended at start:\n%s", p.Logs())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cardtest: vpcd did not listen on port %d within 10 s:\n%s", p.Port, p.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// listening reports whether something listens on TCP port.
func listening(port int) bool {
	want := fmt.Sprintf(":%04X ", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			fields := strings.Fields(line)
			// sl local_address rem_address st ...; st 0A is LISTEN.
			if len(fields) > 3 && strings.Contains(fields[1]+" ", want) && fields[3] == "0A" {
				return true
			}
		}
	}
	return false
}

// Stop kills pcscd and waits for it.
func (p *PCSCD) Stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}

// Logs is what pcscd printed.
func (p *PCSCD) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.logs == nil {
		return ""
	}
	return p.logs.String()
}

// Main is a TestMain's body for a package whose tests run a private
// pcscd: it prepares one (a folder, the socket's path in SocketEnv, which
// libpcsclite reads once per process, before its first call), stores it
// in *daemon (nil when the parts are missing: those tests skip with
// SkipUnlessAvailable), calls run, then stops pcscd and removes its
// folder. It returns run's exit code; tests Start it as they need it.
func Main(daemon **PCSCD, run func() int) int {
	if Available() != "" {
		return run()
	}
	dir, err := os.MkdirTemp("", "pcscd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	p, err := NewPCSCD(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	os.Setenv(SocketEnv, p.Socket)
	defer p.Stop()
	*daemon = p
	return run()
}
