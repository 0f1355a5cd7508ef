package agent_test

import (
	"bytes"
	"errors"
	"io"
	"net"
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
// BackupFromAdmin, which trusts only that certificate; without the token
// it is refused, and a listener that is not there is ErrAdminNotAnswering.
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
	// The wrong token is refused.
	if err := os.WriteFile(filepath.Join(filepath.Dir(cfg.Path()), "admin.token"), []byte(strings.Repeat("x", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	var refused bytes.Buffer
	if _, err := agent.BackupFromAdmin(ctx, cfg, &refused, nil); err == nil || !strings.Contains(err.Error(), "401") || refused.Len() > 0 {
		t.Errorf("backup with the wrong token: %v (%d bytes)", err, refused.Len())
	}
	a.Stop()
}
