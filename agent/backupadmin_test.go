package agent_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/agent"
	"clinicgw/agent/democlinic"
	"clinicgw/agent/store"
)

// TestBackupThroughAdminTLS: the admin listener on HTTPS (the web UI's
// certificate) with a bearer token hands a running gateway's copy to
// BackupFromAdmin, which trusts only that certificate and sends the
// backup token from beside the store; with a wrong token, or the scrape
// token, it is refused, and a listener that is not there is
// ErrAdminNotAnswering.
func TestBackupThroughAdminTLS(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: unit, UnitName: unitName,
		Origin: "https://" + ln.Addr().String(), Listen: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	cfg := dc.Config
	token := strings.Repeat("0123456789abcdef", 4)
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfg.Path()), "admin.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admin = agent.AdminConfig{Listen: free.Addr().String(), TLS: true, TokenFile: "admin.token"}
	free.Close()
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	if cfg, err = agent.LoadConfig(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var notThere bytes.Buffer
	if _, err := agent.BackupFromAdmin(ctx, cfg, &notThere, nil); !errors.Is(err, agent.ErrAdminNotAnswering) || notThere.Len() > 0 {
		t.Fatalf("backup with no gateway running: %v (%d bytes)", err, notThere.Len())
	}
	a := startAgent(t, cfg, agent.Options{UIListener: ln})
	out := filepath.Join(t.TempDir(), "b.db")
	var progress []int64
	m, err := store.WriteBackup(out, func(w io.Writer) (store.Manifest, error) {
		return agent.BackupFromAdmin(ctx, cfg, w, func(done, _ int64) { progress = append(progress, done) })
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Unit != unit || len(progress) == 0 || progress[len(progress)-1] != m.Size {
		t.Errorf("manifest %+v, progress %v", m, progress)
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Check(ctx, out, kek, store.Options{Unit: unit}, nil); err != nil {
		t.Errorf("the copy does not check: %v", err)
	}
	// A wrong backup token is refused, and so is the scrape token
	// (admin.token_file): a monitoring system holding it gets no copy.
	good, err := os.ReadFile(agent.BackupTokenPath(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(agent.BackupTokenPath(cfg), []byte(strings.Repeat("x", 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	var refused bytes.Buffer
	if _, err := agent.BackupFromAdmin(ctx, cfg, &refused, nil); err == nil || !strings.Contains(err.Error(), "401") || refused.Len() > 0 {
		t.Errorf("backup with the wrong token: %v (%d bytes)", err, refused.Len())
	}
	if err := os.WriteFile(agent.BackupTokenPath(cfg), []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.BackupFromAdmin(ctx, cfg, &refused, nil); err == nil || !strings.Contains(err.Error(), "401") || refused.Len() > 0 {
		t.Errorf("backup with the scrape token: %v (%d bytes)", err, refused.Len())
	}
	// The listener removes its token when it stops, and only its own.
	if err := os.WriteFile(agent.BackupTokenPath(cfg), good, 0o600); err != nil {
		t.Fatal(err)
	}
	a.Stop()
	if _, err := os.Stat(agent.BackupTokenPath(cfg)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the backup token is still there after the stop: %v", err)
	}
}

// TestBackupNeedsTokenOnLoopback: /backup is never wider than the store
// file. On a plain loopback admin listener without admin.token_file, a
// request without a token gets 401, not the copy: the token is a one-run
// secret the gateway writes beside the store (mode 0600) for `clinicgw
// backup`, which reads it there. /metrics keeps answering without one.
func TestBackupNeedsTokenOnLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := democlinic.Build(t.TempDir(), democlinic.Options{Unit: unit, UnitName: unitName,
		Origin: "https://" + ln.Addr().String(), Listen: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dc.Close() })
	cfg := dc.Config
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admin = agent.AdminConfig{Listen: free.Addr().String()}
	free.Close()
	a := startAgent(t, cfg, agent.Options{UIListener: ln})
	defer a.Stop()
	get := func(path, token string) (int, int) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+a.AdminAddr()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, _ := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, int(n)
	}
	if status, n := get("/backup", ""); status != http.StatusUnauthorized {
		t.Errorf("GET /backup without a token on a plain loopback listener: %d, %d bytes; want 401", status, n)
	}
	if status, _ := get("/backup", strings.Repeat("x", 64)); status != http.StatusUnauthorized {
		t.Errorf("GET /backup with a wrong token: %d, want 401", status)
	}
	if status, _ := get("/metrics", ""); status != http.StatusOK {
		t.Errorf("GET /metrics without a token: %d, want 200 (no admin.token_file)", status)
	}
	file := agent.BackupTokenPath(cfg)
	if filepath.Dir(file) != filepath.Dir(cfg.StorePath()) {
		t.Errorf("the backup token is at %s, not beside the store %s", file, cfg.StorePath())
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup token file has mode %v, want 0600", fi.Mode().Perm())
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if status, n := get("/backup", strings.TrimSpace(string(raw))); status != http.StatusOK || n == 0 {
		t.Errorf("GET /backup with the token beside the store: %d, %d bytes", status, n)
	}
	out := filepath.Join(t.TempDir(), "b.db")
	if _, err := store.WriteBackup(out, func(w io.Writer) (store.Manifest, error) {
		return agent.BackupFromAdmin(t.Context(), cfg, w, nil)
	}); err != nil {
		t.Errorf("clinicgw backup's way: %v", err)
	}
}
