package agent_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/metrics"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestRestoreRecoveryHealth: a gateway started on a store restored from a
// backup says on /healthz (restore-recovery: pending, not /readyz) and
// on /metrics that what the central store confirmed after the backup is
// not back yet, for as long as the central store cannot be reached, and
// no longer once it is back.
func TestRestoreRecoveryHealth(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	cfg := gatewayDir(t, p, c.url, nil)
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	ctx := t.Context()
	a := startAgent(t, cfg, agent.Options{Uplink: fast})
	id, err := c.store.Submit(ctx, unit, central.Submission{PatientPNR: patientPNR, PatientName: patientName,
		FormID: string(casetype.RenewPrescription), Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin 5 mg"}}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the case", func() bool { _, err := a.Cases().Get(ctx, distributor, cases.ID(id)); return err == nil })
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := store.WriteBackup(backup, func(w io.Writer) (store.Manifest, error) { return a.Store().Backup(ctx, w, nil, nil) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cfg.StorePath()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Restore(ctx, cfg.StorePath(), backup, kek, store.Options{Unit: unit}, nil); err != nil {
		t.Fatal(err)
	}

	// The central store cannot be reached: the recovery waits.
	url := cfg.Central.URL
	cfg.Central.URL = "https://127.0.0.1:1"
	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	admin := &adminClient{t: t, base: "http://" + a.AdminAddr(), http: &http.Client{}}
	if code, rep := admin.health(metrics.PathHealth); code != http.StatusServiceUnavailable || rep.Checks["restore-recovery"] != "pending" {
		t.Errorf("/healthz while the recovery waits: %d %+v, want 503 with restore-recovery pending", code, rep)
	}
	if code, rep := admin.health(metrics.PathReady); code != http.StatusOK {
		t.Errorf("/readyz while the recovery waits: %d %+v, want 200 (staff work on)", code, rep)
	}
	if fams, _ := admin.scrape(); value(t, fams, "clinicgw_sync_restore_recovery", "state", "pending") != 1 {
		t.Error("clinicgw_sync_restore_recovery{state=pending} is not 1 while the recovery waits")
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	// It can: the recovery completes and the check passes.
	cfg.Central.URL = url
	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	admin = &adminClient{t: t, base: "http://" + a.AdminAddr(), http: &http.Client{}}
	waitFor(t, "the recovery done", func() bool {
		_, rep := admin.health(metrics.PathHealth)
		return rep.Checks["restore-recovery"] == metrics.StateOK
	})
	fams, _ := admin.scrape()
	if value(t, fams, "clinicgw_sync_restore_recovery", "state", "pending") != 0 || value(t, fams, "clinicgw_sync_restore_recovery", "state", "incomplete") != 0 {
		t.Error("clinicgw_sync_restore_recovery is not 0 after the recovery")
	}
}
