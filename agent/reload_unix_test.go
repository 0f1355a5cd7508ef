//go:build !windows

package agent_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/logtest"
)

// TestReloadOnSIGHUP: SIGHUP reloads the file (systemctl reload). The
// file is changed after New read it and before Start watches it, so the
// file watch cannot be what sees it.
func TestReloadOnSIGHUP(t *testing.T) {
	cfg, err := agent.LoadConfig(digestGatewayDir(t).Path())
	if err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	events := make(chan agent.ReloadStatus, 4)
	a, err := agent.New(cfg, agent.Options{Logger: slog.New(slog.NewTextHandler(logs, nil)),
		OnReload: func(st agent.ReloadStatus) { events <- st }})
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Path(), []byte(strings.Replace(string(text), `digest = "15m"`, `digest = "45m"`, 1)), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop() })
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-events:
		if st.LastError != "" {
			t.Fatalf("reload on SIGHUP refused: %s", st.LastError)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no reload within 20 s of SIGHUP; log:\n%s", logs)
	}
	if got := a.NoticeDigest(); got != 45*time.Minute {
		t.Errorf("digest after SIGHUP: %v, want 45m", got)
	}
	if !strings.Contains(logs.String(), `msg="config reload asked for by signal"`) {
		t.Errorf("log lacks the signal:\n%s", logs)
	}
}

// TestReloadSymlinkedFile: a configuration file that is a symlink to a
// file kept elsewhere (configuration management) is reloaded when the
// file it links to is replaced.
func TestReloadSymlinkedFile(t *testing.T) {
	cfg := digestGatewayDir(t)
	target := filepath.Join(t.TempDir(), "managed.toml")
	if err := os.Rename(cfg.Path(), target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, cfg.Path()); err != nil {
		t.Fatal(err)
	}
	cfg, err := agent.LoadConfig(cfg.Path())
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan agent.ReloadStatus, 4)
	startAgent(t, cfg, agent.Options{OnReload: func(st agent.ReloadStatus) { events <- st }})
	text, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, target, strings.Replace(string(text), `digest = "15m"`, `digest = "20m"`, 1))
	select {
	case st := <-events:
		if st.LastError != "" || st.ReloadedAt.IsZero() {
			t.Fatalf("status: %+v", st)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the change to the linked file was not reloaded within 20 s")
	}
}

// digestGatewayDir is a gatewayDir with notices on (to a mail server that
// is down) and a digest of 15 minutes, written to its file: a key that
// reloads at once.
func digestGatewayDir(t *testing.T) *agent.Config {
	t.Helper()
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	cfg.Notify = agent.NotifyConfig{SMTPAddr: "127.0.0.1:1", SMTPFrom: "clinicgw <noreply@vc.example.se>", Digest: "15m"}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	return cfg
}
