package cardtest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// unsupported is empty: the harness runs here.
const unsupported = ""

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
