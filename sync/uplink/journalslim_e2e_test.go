package uplink

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// sentEvents is every event the central store holds for the unit, as
// it sends them, by event id, without the seq (which a give-back renews).
func sentEvents(t *testing.T, g *gateway) map[string][]byte {
	t.Helper()
	page, raw, _, err := g.up.getInboxEvents(context.Background(), wire.InboxQuery{After: 0, Limit: wire.MaxInboxLimit})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for i, ev := range page.Events {
		prefix := fmt.Appendf(nil, `{"seq":%d,`, ev.Seq)
		if !bytes.HasPrefix(raw[i], prefix) {
			t.Fatalf("event %s does not start with its seq: %.40s", ev.ID, raw[i])
		}
		out[ev.ID] = raw[i][len(prefix):]
	}
	return out
}

// TestRestoreGivesBackBytes: the sync journal keeps plain new cases and
// follow-ups without their content (rebuilt from the case records) and a
// withdrawal whole; a central store restored from a copy from before them
// gets every one back byte for byte, as it first sent it.
func TestRestoreGivesBackBytes(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	g := newGateway(t, c.url(), unitCert(t), nil)
	g.start()
	first := c.submit(0)
	waitFor(t, 10*time.Second, "the first case", func() bool { return g.ids()[first] })
	backup := t.TempDir() + "/backup.db"
	c.backupTo(backup)
	answered, withdrawn := c.submit(1), c.submit(2)
	waitFor(t, 10*time.Second, "the later cases", func() bool { return g.ids()[answered] && g.ids()[withdrawn] })
	g.answer(answered)
	waitFor(t, 10*time.Second, "the answer at the central store", func() bool {
		return c.patientCase(1, answered).Status == wire.StatusAnswered
	})
	if err := c.store.FollowUp(ctx, patients[1], answered, "Tack, det hjälpte. Får jag ringa på fredag?"); err != nil {
		t.Fatal(err)
	}
	if err := c.store.Withdraw(ctx, patients[2], withdrawn); err != nil {
		t.Fatal(err)
	}
	head := c.head()
	waitFor(t, 10*time.Second, "the follow-up and the withdrawal", func() bool { return g.up.Status().Cursor == head })

	sent := sentEvents(t, g)
	var slim, whole int
	err := g.db.View(ctx, func(tx cases.ReadTx) error {
		return tx.SyncLog(cases.LogJournal, 0, func(_ uint64, rec []byte) bool {
			if _, ok := cases.JournalRecordCase(rec); ok {
				slim++
			} else {
				whole++
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if slim != 4 || whole != 1 {
		t.Errorf("the journal keeps %d events slim and %d whole, want 4 (three cases, a follow-up) and 1 (the withdrawal)", slim, whole)
	}

	c.restoreFrom(backup, nil)
	waitFor(t, 10*time.Second, "the reconciliation", func() bool { return g.up.Status().Reconciliations == 1 })
	if rep := g.up.Status().LastReconcile; rep.Restored != 4 || rep.Incomplete() {
		t.Errorf("reconcile report %+v, want 4 events restored", rep)
	}
	back := sentEvents(t, g)
	if len(back) != len(sent) {
		t.Errorf("the restored central store holds %d events, want %d", len(back), len(sent))
	}
	for id, want := range sent {
		if got := back[id]; !bytes.Equal(got, want) {
			t.Errorf("event %s came back as\n%s\nwant\n%s", id, got, want)
		}
	}
}
