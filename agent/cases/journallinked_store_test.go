package cases_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestLinkedJournalOnDisk: a chained page of realistic new cases and a
// follow-up, applied to a store on disk as the uplink applies it, keeps
// every event after the page's first as a linked slim record, the
// journal gives each back byte for byte, also after the store is opened
// again, and the store's check rebuilds them all.
func TestLinkedJournalOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := filepath.Join(dir, "kek.key")
	if err := store.GenerateKeyFile(key, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(key)
	if err != nil {
		t.Fatal(err)
	}
	const unit = "SE2321000016-A001"
	open := func() (*store.DB, *cases.Service) {
		db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clocktest.New(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)),
			Rand: mrand.NewChaCha8([32]byte{7}), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return db, svc
	}
	db, svc := open()

	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var events []wire.Event
	for n := range 5 {
		events = append(events, wire.Event{Seq: uint64(n + 1), ID: fmt.Sprintf("ev%d", n+1), Kind: wire.EventCaseCreated,
			CaseID: fmt.Sprintf("01knfa0x2g3h4j5k6m7n8p9q0%d", n), At: at.Add(time.Duration(n) * time.Minute),
			Case: &wire.NewCase{Type: string(casetype.RenewPrescription), Text: backlogtest.SwedishText(n, 2048),
				Patient: wire.Person{PNR: string(personnummer.Synthetic(time.Date(1950, 1, 1+n, 0, 0, 0, 0, time.UTC), 981)), Name: "Åsa Öberg"},
				Fields:  []wire.Field{{Name: "medicine", Label: "Läkemedel", Value: backlogtest.SwedishText(n+7, 200)}}}})
	}
	events = append(events, wire.Event{Seq: 6, ID: "ev6", Kind: wire.EventCaseFollowUp, CaseID: events[2].CaseID, At: at.Add(time.Hour),
		Message: &wire.PatientMessage{ID: "m6", Text: backlogtest.SwedishText(3, 1000)}})

	// As the uplink journals a checked page (chainPage, inboundOf).
	link := wire.Genesis("0123456789abcdef0123456789abcdef")
	raw := map[uint64][]byte{}
	journal := make([]cases.JournalEntry, len(events))
	in := make([]cases.Inbound, len(events))
	for i := range events {
		ev := &events[i]
		b, err := wire.EncodeEvent(*ev)
		if err != nil {
			t.Fatal(err)
		}
		raw[ev.Seq] = b
		link = wire.NextLink(link, *ev)
		journal[i] = cases.JournalEntry{Seq: ev.Seq, Link: link, Event: b, Wire: ev, Checked: true}
		in[i] = cases.Inbound{Kind: cases.InboundKind(ev.Kind), EventID: ev.ID, CaseID: cases.ID(ev.CaseID), At: ev.At}
		if c := ev.Case; c != nil {
			in[i].Submission = &cases.Submission{ID: cases.ID(ev.CaseID), Type: casetype.Type(c.Type), SubmittedAt: ev.At, TextsChecked: true,
				Patient: cases.Person{PNR: personnummer.Personnummer(c.Patient.PNR), Name: c.Patient.Name}, Text: c.Text,
				Fields: []cases.Field{cases.Field(c.Fields[0])}}
		} else {
			in[i].MessageID, in[i].Text, in[i].TextChecked = ev.Message.ID, ev.Message.Text, true
		}
	}
	head := cases.SyncHead{Seq: 6, Link: link, Incarnation: "0123456789abcdef0123456789abcdef"}
	if rep, err := svc.ApplyChained(ctx, in, head, journal); err != nil || rep.Applied != len(events) {
		t.Fatalf("applied %+v: %v", rep, err)
	}

	givenBack := func(svc *cases.Service) {
		t.Helper()
		got, err := svc.Journal(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(events) {
			t.Fatalf("%d journal entries, want %d", len(got), len(events))
		}
		for i, e := range got {
			if !bytes.Equal(e.Event, raw[e.Seq]) || e.Link != journal[i].Link {
				t.Errorf("event %d given back as %.80s…", e.Seq, e.Event)
			}
		}
	}
	givenBack(svc)
	err = db.View(ctx, func(tx cases.ReadTx) error {
		return tx.SyncLog(cases.LogJournal, 0, func(pos uint64, rec []byte) bool {
			_, slim := cases.JournalRecordCase(rec)
			if linked := slim && rec[40] == 0x03; !slim || linked != (pos > 1) {
				t.Errorf("journal entry %d: slim %v, linked %v", pos, slim, linked)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Check(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit}, nil); err != nil {
		t.Fatalf("check: %v", err)
	}
	// A clinicgw of schema 5 reads a linked record as a whole event and
	// cannot give it back: the file must carry a schema it refuses.
	if v := fileSchema(t, filepath.Join(dir, "store.db")); v <= 5 {
		t.Errorf("a store holding linked journal records has schema %d: a clinicgw of schema 5 would open it", v)
	}
	db, svc = open()
	defer db.Close()
	givenBack(svc)
}

// fileSchema reads the schema version a store file carries (its meta
// bucket's "schema"), as any clinicgw reads it before it opens the rest.
func fileSchema(t *testing.T, path string) uint32 {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var v uint32
	err = bdb.View(func(btx *bolt.Tx) error {
		raw := btx.Bucket([]byte("meta")).Get([]byte("schema"))
		if len(raw) != 4 {
			return fmt.Errorf("schema %x", raw)
		}
		v = binary.BigEndian.Uint32(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
