package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// journalEnv applies central events with their journal entries as the
// uplink does, to a store on disk.
type journalEnv struct {
	t   *testing.T
	db  *DB
	dir string
	svc *cases.Service
	raw map[uint64][]byte // each event as the central store sent it
}

func newJournalEnv(t *testing.T) *journalEnv {
	db, dir := testStore(t)
	e := &journalEnv{t: t, db: db, dir: dir, raw: map[uint64][]byte{}}
	e.svc = e.service(db)
	return e
}

func (e *journalEnv) service(db *DB) *cases.Service {
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)),
		Rand: rand.NewChaCha8([32]byte{7}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// jCase is a case.created event of case id n.
func jCase(seq uint64, n int, text string, fields bool) wire.Event {
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute)
	ev := wire.Event{Seq: seq, ID: fmt.Sprintf("ev%d", seq), Kind: wire.EventCaseCreated, CaseID: fmt.Sprintf("0%025d", n), At: at,
		Case: &wire.NewCase{Type: string(casetype.RenewPrescription), Text: text,
			Patient: wire.Person{PNR: string(personnummer.Synthetic(time.Date(1950, 1, 1+n, 0, 0, 0, 0, time.UTC), 981)), Name: "Åsa Öberg"}}}
	if fields {
		ev.Case.Fields = []wire.Field{{Name: "medicine", Label: "Läkemedel", Value: "Levaxin 50 mikrogram"}}
	}
	return ev
}

func jFollowUp(seq uint64, n int, text string) wire.Event {
	return wire.Event{Seq: seq, ID: fmt.Sprintf("ev%d", seq), Kind: wire.EventCaseFollowUp, CaseID: fmt.Sprintf("0%025d", n),
		At: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Message: &wire.PatientMessage{ID: fmt.Sprintf("m%d", seq), Text: text}}
}

// inbound is ev as the uplink applies it (pull.go's inboundOf).
func jInbound(ev wire.Event) cases.Inbound {
	switch ev.Kind {
	case wire.EventCaseCreated:
		return inboundOf(ev)
	case wire.EventCaseFollowUp:
		return cases.Inbound{Kind: cases.InboundFollowUp, EventID: ev.ID, CaseID: cases.ID(ev.CaseID), At: ev.At, MessageID: ev.Message.ID, Text: ev.Message.Text}
	}
	return cases.Inbound{Kind: cases.InboundKind(ev.Kind), EventID: ev.ID, CaseID: cases.ID(ev.CaseID), At: ev.At}
}

// apply applies events in one page; raw, if not nil, is how the central
// store encoded them (else EncodeEvent).
func (e *journalEnv) apply(events []wire.Event, raw [][]byte, in []cases.Inbound) {
	e.t.Helper()
	journal := make([]cases.JournalEntry, len(events))
	for i := range events {
		b := []byte(nil)
		if raw != nil {
			b = raw[i]
		} else {
			var err error
			if b, err = wire.EncodeEvent(events[i]); err != nil {
				e.t.Fatal(err)
			}
		}
		e.raw[events[i].Seq] = b
		journal[i] = cases.JournalEntry{Seq: events[i].Seq, Event: b, Wire: &events[i]}
		if in == nil || i >= len(in) {
			in = append(in, jInbound(events[i]))
		}
	}
	head := cases.SyncHead{Seq: events[len(events)-1].Seq, Incarnation: "test"}
	if _, err := e.svc.ApplyChained(e.t.Context(), in, head, journal); err != nil {
		e.t.Fatal(err)
	}
}

// slimSeqs are the journal's slim records.
func slimSeqs(t *testing.T, db *DB) []uint64 {
	t.Helper()
	var out []uint64
	err := db.View(t.Context(), func(tx cases.ReadTx) error {
		return tx.SyncLog(cases.LogJournal, 0, func(pos uint64, rec []byte) bool {
			if _, ok := cases.JournalRecordCase(rec); ok {
				out = append(out, pos)
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkGivenBack checks that the journal gives back every event as the
// central store sent it, byte for byte.
func (e *journalEnv) checkGivenBack(svc *cases.Service) {
	e.t.Helper()
	got, err := svc.Journal(e.t.Context(), 0, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(got) != len(e.raw) {
		e.t.Fatalf("the journal holds %d events, want %d", len(got), len(e.raw))
	}
	for _, j := range got {
		if want := e.raw[j.Seq]; string(j.Event) != string(want) {
			e.t.Errorf("event %d given back as\n%s\nwant\n%s", j.Seq, j.Event, want)
		}
	}
}

// mixedPage applies a page of every kind of event: plain new cases and a
// follow-up (kept slim), and a withdrawal, a duplicate, a conflict, a
// refused follow-up, a sealed event and an event the central store
// encoded otherwise (kept whole). It returns the seqs kept slim.
func (e *journalEnv) mixedPage() []uint64 {
	long := "Jag har ont i halsen <sedan> i tisdags & febern är 38,7. "
	evs := []wire.Event{
		jCase(1, 1, long, true),
		jCase(2, 2, "Bara text, inga svar.", false),
		jFollowUp(3, 1, "Det blev värre i natt."),
		{Seq: 4, ID: "ev4", Kind: wire.EventCaseWithdrawn, CaseID: jCase(0, 2, "", false).CaseID, At: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)},
		jCase(5, 1, long, true),                   // a repeat delivery of case 1
		jCase(6, 1, "Annan text.", true),          // other content for case 1: a conflict
		jFollowUp(7, 9, "Till ett okänt ärende."), // no such case
		jCase(8, 3, long, true),                   // sealed below
		jCase(9, 4, long, true),                   // encoded otherwise below
	}
	evs[4].ID = "ev5"
	raw := make([][]byte, len(evs))
	for i := range evs {
		raw[i], _ = wire.EncodeEvent(evs[i])
	}
	in := make([]cases.Inbound, len(evs))
	for i := range evs {
		in[i] = jInbound(evs[i])
	}
	evs[7].Sealed, evs[7].Case = "c2VhbGVk", nil
	raw[7], _ = wire.EncodeEvent(evs[7])
	in[7] = cases.Inbound{Kind: cases.InboundCreated, EventID: "ev8", CaseID: cases.ID(evs[7].CaseID), SealRefusal: "altered"}
	raw[8], _ = json.Marshal(evs[8]) // HTML escaped: not what EncodeEvent writes
	e.apply(evs, raw, in)
	return []uint64{1, 2, 3}
}

// TestJournalSlimGivenBackWhole: the journal keeps plain new cases and
// follow-ups that applied without their content and gives back every
// event, slim or whole, byte for byte.
func TestJournalSlimGivenBackWhole(t *testing.T) {
	e := newJournalEnv(t)
	want := e.mixedPage()
	if got := slimSeqs(t, e.db); !slices.Equal(got, want) {
		t.Errorf("slim journal records %v, want %v", got, want)
	}
	e.checkGivenBack(e.svc)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(t.Context(), filepath.Join(e.dir, "store.db"), mustKEK(t, e.dir), Options{Unit: testUnit}, nil); err != nil {
		t.Errorf("check of the sound store: %v", err)
	}
}

// TestJournalSlimDamaged: a slim record whose rebuild does not hash to
// the event the central store sent (its case record changed, or the
// record itself) is refused, never given back wrong.
func TestJournalSlimDamaged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int // the case whose journal entry is damaged
		damage func(t *testing.T, db *DB)
	}{
		{"case text changed", 1, func(t *testing.T, db *DB) {
			err := db.Update(t.Context(), func(tx cases.Tx) error {
				c, err := tx.Case(cases.ID(jCase(0, 1, "", false).CaseID))
				if err != nil {
					return err
				}
				c.Messages[0].Text += "!"
				c.Version++
				return tx.Update(c)
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"hash altered", 2, func(t *testing.T, db *DB) {
			err := db.Update(t.Context(), func(tx cases.Tx) error {
				var rec []byte
				if err := tx.SyncLog(cases.LogJournal, 1, func(_ uint64, r []byte) bool { rec = slices.Clone(r); return false }); err != nil {
					return err
				}
				rec[8+32+1] ^= 1
				return tx.PutSyncLog(cases.LogJournal, 2, rec)
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newJournalEnv(t)
			e.mixedPage()
			tc.damage(t, e.db)
			_, err := e.svc.Journal(t.Context(), 0, 1000)
			if !errors.Is(err, cases.ErrJournalDamaged) || !errors.Is(err, ErrDamaged) {
				t.Fatalf("reading the damaged journal: %v, want ErrJournalDamaged and ErrDamaged", err)
			}
			if e.db.Damaged() == nil {
				t.Error("the store does not say it is damaged")
			}
			// A purge of the case must not drop the event either.
			id := cases.ID(jCase(0, tc.n, "", false).CaseID)
			if _, err := e.db.PurgeCases(t.Context(), []cases.ID{id}, func(*cases.Case) error { return nil }); !errors.Is(err, cases.ErrJournalDamaged) {
				t.Errorf("purge of the case whose journal entry is damaged: %v, want ErrJournalDamaged", err)
			}
			// The store's check finds it too.
			if err := e.db.Close(); err != nil {
				t.Fatal(err)
			}
			_, err = Check(t.Context(), filepath.Join(e.dir, "store.db"), mustKEK(t, e.dir), Options{Unit: testUnit}, nil)
			if !errors.Is(err, cases.ErrJournalDamaged) || !errors.Is(err, ErrDamaged) {
				t.Errorf("check of the store: %v, want ErrJournalDamaged and ErrDamaged", err)
			}
		})
	}
}

// TestPurgeMakesJournalWhole: purging a case turns its slim journal
// records back into whole events, so a reconciliation after it still
// gives them back.
func TestPurgeMakesJournalWhole(t *testing.T) {
	e := newJournalEnv(t)
	e.mixedPage()
	id := cases.ID(jCase(0, 1, "", false).CaseID)
	if _, err := e.db.PurgeCases(t.Context(), []cases.ID{id}, func(*cases.Case) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := slimSeqs(t, e.db); !slices.Equal(got, []uint64{2}) {
		t.Errorf("slim journal records after the purge of case 1: %v, want [2]", got)
	}
	e.checkGivenBack(e.svc)
	var seen []Seen
	err := e.db.View(t.Context(), func(tx cases.ReadTx) error {
		c, err := tx.Case(cases.ID(jCase(0, 2, "", false).CaseID))
		if err != nil {
			return err
		}
		s, err := tx.(SeenReader).Seen(c)
		seen = append(seen, s)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, kept, err := e.db.PurgeSeen(t.Context(), seen, ""); err != nil || n != 1 || len(kept) != 0 {
		t.Fatalf("purge seen: %d purged, kept %v, %v", n, kept, err)
	}
	if got := slimSeqs(t, e.db); len(got) != 0 {
		t.Errorf("slim journal records after the purge of case 2: %v, want none", got)
	}
	e.checkGivenBack(e.svc)
}

// toSchema3 marks db as a schema-3 store: full journal records only.
func toSchema3(t *testing.T, db *DB) {
	t.Helper()
	asSchema4(t, db) // the retired indexes too (derivedidx.go)
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte(bucketMeta)).Put(keySchema, binary.BigEndian.AppendUint32(nil, 3))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSchema3BackupRestores: a backup of a schema-3 store (every journal
// record whole) restores, opens as schemaVersion, gives back its events byte
// for byte and keeps new ones slim.
func TestSchema3BackupRestores(t *testing.T) {
	e := newJournalEnv(t)
	evs := []wire.Event{jCase(1, 1, "Gammal text.", true), jFollowUp(2, 1, "Gammalt svar.")}
	raw := make([][]byte, len(evs))
	for i := range evs {
		raw[i], _ = wire.EncodeEvent(evs[i])
	}
	// As a schema-3 clinicgw journaled them: whole, without Wire.
	journal := []cases.JournalEntry{{Seq: 1, Event: raw[0]}, {Seq: 2, Event: raw[1]}}
	in := []cases.Inbound{jInbound(evs[0]), jInbound(evs[1])}
	if _, err := e.svc.ApplyChained(t.Context(), in, cases.SyncHead{Seq: 2, Incarnation: "test"}, journal); err != nil {
		t.Fatal(err)
	}
	e.raw[1], e.raw[2] = raw[0], raw[1]
	toSchema3(t, e.db)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	db := backupRestoreOpen(t, e.dir, 3)
	db.view(func(btx *bolt.Tx) error {
		if v, _ := readSchema(btx); v != schemaVersion {
			t.Errorf("the restored store has schema %d, want %d", v, schemaVersion)
		}
		return nil
	})
	e.db, e.svc = db, e.service(db)
	e.checkGivenBack(e.svc)
	e.apply([]wire.Event{jFollowUp(3, 1, "Nytt svar.")}, nil, nil)
	if got := slimSeqs(t, db); !slices.Equal(got, []uint64{3}) {
		t.Errorf("slim journal records %v, want [3]", got)
	}
	e.checkGivenBack(e.svc)
}
