package agent_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestRestoreRePulls: a gateway syncing with the reference central store
// over mutual TLS is backed up; more cases arrive, the store is lost and
// restored from the backup; at its next start the gateway pulls again
// from the backup's cursor, and every case the central store holds is in
// the gateway exactly once. (What staff did after the backup comes back
// too: TestGatewayRestoreReconciles.)
func TestRestoreRePulls(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	cfg := gatewayDir(t, p, c.url, nil)
	ctx := t.Context()
	submit := func(n int) []string {
		var ids []string
		for i := range n {
			id, err := c.store.Submit(ctx, unit, central.Submission{PatientPNR: patientPNR, PatientName: patientName,
				FormID: string(casetype.RenewPrescription), Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin 5 mg"}}})
			if err != nil {
				t.Fatalf("submit %d: %v", i, err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	arrived := func(a *agent.Agent, ids []string) func() bool {
		return func() bool {
			for _, id := range ids {
				if _, err := a.Cases().Get(ctx, distributor, cases.ID(id)); err != nil {
					return false
				}
			}
			return true
		}
	}
	a := startAgent(t, cfg, agent.Options{Uplink: fast})
	before := submit(3)
	waitFor(t, "the first cases", arrived(a, before))
	backup := filepath.Join(t.TempDir(), "b.db")
	m, err := store.WriteBackup(backup, func(w io.Writer) (store.Manifest, error) { return a.Store().Backup(ctx, w, nil, nil) })
	if err != nil {
		t.Fatal(err)
	}
	after := submit(4)
	waitFor(t, "the cases after the backup", arrived(a, after))
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.StorePath(), bytes.Repeat([]byte{0}, 65536), 0o600); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Restore(ctx, cfg.StorePath(), backup, kek, store.Options{Unit: unit}, nil); err != nil {
		t.Fatal(err)
	}
	if cur, err := store.SyncCursorOf(cfg.StorePath()); err != nil || cur != m.SyncCursor {
		t.Fatalf("restored cursor %d (%v), the backup's %d", cur, err, m.SyncCursor)
	}
	b := startAgent(t, cfg, agent.Options{Uplink: fast})
	waitFor(t, "every case again after the restore", arrived(b, append(slices.Clone(before), after...)))
	all, err := b.Cases().List(ctx, distributor, cases.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(before)+len(after) {
		t.Errorf("gateway holds %d cases after the restore, the central store %d", len(all), len(before)+len(after))
	}
	head, err := c.store.Head(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cursor at the central store's head", func() bool {
		st, ok := b.Uplink()
		return ok && st.Cursor == head
	})
}
