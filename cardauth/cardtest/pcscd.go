package cardtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
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
	if unsupported != "" {
		return unsupported
	}
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
