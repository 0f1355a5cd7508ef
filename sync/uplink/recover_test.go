package uplink

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
)

// TestRestoredRecoversOnce: a gateway's store (on disk) is backed up, staff
// answer two cases and the central store (over mutual TLS) confirms them;
// the store is restored from the backup and its uplink started with
// Restored. The first attempt to record the recovery done fails (a crash
// between putting the items back and recording it): the next attempt
// fetches them again and changes nothing. Both answers are back once, each
// case has one history event and one access-log record per item put back, the chain
// check took the restore for no central store going back, and nothing
// reached the patient pages twice.
func TestRestoredRecoversOnce(t *testing.T) {
	c := startCentral(t)
	dir := t.TempDir()
	keyPath, path := filepath.Join(dir, "kek.key"), filepath.Join(dir, "store.db")
	if err := store.GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	open := func() (*store.DB, *cases.Service) {
		db, err := store.Open(ctx, path, kek, store.Options{Unit: unit})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: newLogger(io.Discard)})
		if err != nil {
			t.Fatal(err)
		}
		return db, svc
	}
	run := func(svc *cases.Service, restored *Restored) (*Uplink, func()) {
		up, err := New(Config{BaseURL: c.url(), TLS: tlsconf.Client(unitCert(t), testPKI().RootPool(), "127.0.0.1", nil),
			Cases: svc, PollInterval: 100 * time.Millisecond, PushInterval: 100 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
			Restored: restored})
		if err != nil {
			t.Fatal(err)
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- up.Run(rctx) }()
		return up, func() { cancel(); <-done }
	}
	db, svc := open()
	up, stop := run(svc, nil)
	ids := []string{c.submit(0), c.submit(1)}
	waitFor(t, 10*time.Second, "the cases at the gateway", func() bool { return up.Status().Cursor == c.head() })
	backup := filepath.Join(t.TempDir(), "b.db")
	m, err := store.WriteBackup(backup, func(w io.Writer) (store.Manifest, error) { return db.Backup(ctx, w, nil, nil) })
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := svc.Do(ctx, distributor, cases.ID(id), cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Do(ctx, clinician, cases.ID(id), cases.Command{Action: cases.SendAnswer, Text: answerText, Signature: signature, AuthorTitle: authorTitle}); err != nil {
			t.Fatal(err)
		}
	}
	up.Kick()
	waitFor(t, 10*time.Second, "the answers confirmed", func() bool {
		p, err := svc.PendingOutbound(ctx, 10)
		return err == nil && len(p) == 0
	})
	stop()
	db.Close()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Restore(ctx, path, backup, kek, store.Options{Unit: unit}, nil); err != nil {
		t.Fatal(err)
	}

	db, svc = open()
	defer db.Close()
	var calls atomic.Int32
	up, stop = run(svc, &Restored{Since: m.TakenAt, Done: func(ctx context.Context, rep RecoverReport) error {
		if calls.Add(1) == 1 {
			return errors.New("cut before it was recorded")
		}
		return db.MarkRestoreReconciled(ctx, time.Now())
	}})
	defer stop()
	waitFor(t, 10*time.Second, "the recovery recorded", func() bool { return !up.Status().RestorePending })
	st := up.Status()
	// Per case two items: the assignment (a status change) and the answer.
	if calls.Load() != 2 || st.LastRecover.Fetched != 4 || st.LastRecover.Applied != 0 || st.LastRecover.Known != 4 || st.LastRecover.Incomplete {
		t.Errorf("Done called %d times; the last recovery %+v, want 4 fetched, 4 known (put back by the first attempt)", calls.Load(), st.LastRecover)
	}
	if st.Continuity != ContinuityOK || st.Reconciliations != 0 {
		t.Errorf("the gateway's own restore was taken for a central store that went back: %q, %d reconciliations", st.Continuity, st.Reconciliations)
	}
	recs, err := db.AuditOfCases(ctx, []cases.ID{cases.ID(ids[0]), cases.ID(ids[1])})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		got, err := svc.Get(ctx, distributor, cases.ID(id))
		if err != nil {
			t.Fatal(err)
		}
		answers, events, records := 0, 0, 0
		for _, m := range got.Messages {
			if m.Kind == cases.Answer && m.Text == answerText && m.Signature == signature && m.AuthorTitle == authorTitle {
				answers++
			}
		}
		for _, e := range got.History {
			if e.Action == cases.RecoverFromCentral {
				events++
			}
		}
		for _, r := range recs[cases.ID(id)] {
			if r.Entry.Action == string(cases.RecoverFromCentral) && r.Entry.Outcome == audit.Allowed {
				records++
			}
		}
		if got.Status != cases.Answered || answers != 1 || events != 2 || records != 2 {
			t.Errorf("case %d: %s, %d answers, %d history events and %d access-log records of the recovery; want answered, 1, 2, 2", i, got.Status, answers, events, records)
		}
		if n := c.patientCase(i, id).StaffMessages(); n != 1 {
			t.Errorf("case %d: %d answers on the patient's page", i, n)
		}
	}
	if rf, ok, err := db.RestoredFrom(); err != nil || !ok || rf.ReconciledAt.IsZero() {
		t.Errorf("the restore is not recorded reconciled: %+v %v %v", rf, ok, err)
	}
}
