package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/kekfile"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"

	bolt "go.etcd.io/bbolt"
)

// The fixture in testdata/schema2 is a store as clinicgw wrote it before
// cases kept the central store's time of record (SentAt): schema 2, every
// case record without "sentAt". It was written once, by
// TestWriteSchema2Fixture on the code of that time (commit 49b632c), and is
// never rewritten: its point is to hold what older clinicgw wrote. Its KEK is
// fixtureKEK, derived from a fixed text: a test key, not a real one.

// fixtureDir is the fixture's folder; tests open a copy, never the file.
const fixtureDir = "testdata/schema2"

// fixtureKEK returns the fixture's key-encryption key.
func fixtureKEK(t testing.TB) *FileKEK {
	t.Helper()
	key := sha256.Sum256([]byte("clinicgw test fixture schema 2: a test key, never a real one"))
	kek, err := kekfile.New("fixture", key[:], rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// The fixture's cases, as today's code stored them: ids, arrival at the
// gateway, and due dates counted from arrival.
var (
	stockholm = workday.Stockholm()
	// fixWeekend was sent Friday 23:59 and arrived Monday 08:00: due
	// Wednesday, counted from arrival.
	fixWeekend      = cases.ID("06fxm00000000000000000000a")
	fixWeekendSent  = time.Date(2026, 3, 6, 23, 59, 0, 0, stockholm)
	fixWeekendArr   = time.Date(2026, 3, 9, 8, 0, 0, 0, stockholm)
	fixWeekendDue   = time.Date(2026, 3, 11, 23, 59, 59, 999999999, stockholm)
	fixAnswered     = cases.ID("06fxm00000000000000000000b")
	fixAnsweredArr  = time.Date(2026, 3, 9, 8, 0, 0, 0, stockholm)
	fixAnsweredDue  = time.Date(2026, 3, 11, 23, 59, 59, 999999999, stockholm)
	fixWaiting      = cases.ID("06fxm00000000000000000000c")
	fixWaitingArr   = time.Date(2026, 3, 9, 8, 0, 0, 0, stockholm)
	fixWaitingDue   = time.Date(2026, 3, 11, 23, 59, 59, 999999999, stockholm)
	fixFixtureClock = time.Date(2026, 3, 9, 8, 0, 0, 0, stockholm)
)

const (
	fixDist   = "SE2321000016-D001"
	fixClinic = "SE2321000016-C001"
)

var (
	fixDistActor = cases.Actor{Kind: cases.Staff, HSAID: fixDist, Roles: []cases.Role{cases.Distributor}}
	fixClinActor = cases.Actor{Kind: cases.Staff, HSAID: fixClinic, Roles: []cases.Role{cases.Clinician}}
)

// fixtureSub is a synthetic patient's case sent at sent.
func fixtureSub(n int, sent time.Time) cases.Submission {
	pnr := personnummer.Synthetic(time.Date(1970+n, 5, 10, 0, 0, 0, 0, stockholm), 980+n)
	return cases.Submission{
		Type: casetype.AdviceNurse, Patient: cases.Person{PNR: pnr, Name: "Testperson Fixtur"},
		Text: "Jag har ont i halsen sedan i fredags.", SubmittedAt: sent,
	}
}

// TestWriteSchema2Fixture wrote testdata/schema2/store.db. It runs only
// with CLINICGW_WRITE_FIXTURE=schema2, and must not be run again: today's
// code would write today's records, not those of schema 2 before SentAt.
func TestWriteSchema2Fixture(t *testing.T) {
	if os.Getenv("CLINICGW_WRITE_FIXTURE") != "schema2" {
		t.Skip("writes the fixture; set CLINICGW_WRITE_FIXTURE=schema2 (only on the code the fixture stands for)")
	}
	path := filepath.Join(fixtureDir, "store.db")
	if err := os.MkdirAll(fixtureDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	clock := clocktest.New(fixFixtureClock)
	db, err := Open(t.Context(), path, fixtureKEK(t), Options{Unit: testUnit, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clock,
		Rand: mrand.NewChaCha8([32]byte{'f', 'i', 'x'}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	created := func(seq int, id cases.ID, sent time.Time, n int) cases.Inbound {
		sub := fixtureSub(n, sent)
		return cases.Inbound{Kind: cases.InboundCreated, EventID: "ev-" + string(rune('0'+seq)), CaseID: id, At: sent, Submission: &sub}
	}
	page := []cases.Inbound{
		created(1, fixWeekend, fixWeekendSent, 1),
		created(2, fixAnswered, fixWeekendSent.Add(-time.Hour), 2),
		created(3, fixWaiting, fixWeekendSent.Add(-2*time.Hour), 3),
	}
	if _, err := svc.ApplyInbound(ctx, page, 3); err != nil {
		t.Fatal(err)
	}
	do := func(a cases.Actor, id cases.ID, cmd cases.Command) {
		t.Helper()
		if _, err := svc.Do(ctx, a, id, cmd); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(time.Hour)
	for _, id := range []cases.ID{fixAnswered, fixWaiting} {
		do(fixDistActor, id, cases.Command{Action: cases.Assign, Assignee: fixClinic})
	}
	do(fixClinActor, fixAnswered, cases.Command{Action: cases.SendAnswer, Text: "Drick varmt och vila.", AuthorTitle: "Sjuksköterska"})
	do(fixClinActor, fixWaiting, cases.Command{Action: cases.SendCounter, Text: "Har du feber?", AuthorTitle: "Sjuksköterska"})
}

// openFixture opens a copy of the fixture in a temp dir.
func openFixture(t *testing.T, clock clock.Clock) (*DB, string) {
	t.Helper()
	src, err := os.Open(filepath.Join(fixtureDir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "store.db")
	dst, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), path, fixtureKEK(t), Options{Unit: testUnit, Clock: clock})
	if err != nil {
		t.Fatalf("open the schema 2 fixture: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// TestSchema2FixtureOpens opens the store an older clinicgw wrote: its
// cases keep their arrival times and due dates, and the access log still
// verifies.
func TestSchema2FixtureOpens(t *testing.T) {
	db, _ := openFixture(t, clocktest.New(fixFixtureClock.Add(24*time.Hour)))
	want := map[cases.ID]struct {
		status       cases.Status
		arrived, due time.Time
	}{
		fixWeekend:  {cases.Received, fixWeekendArr, fixWeekendDue},
		fixAnswered: {cases.Answered, fixAnsweredArr, fixAnsweredDue},
		fixWaiting:  {cases.WaitingForPatient, fixWaitingArr, fixWaitingDue},
	}
	err := db.View(t.Context(), func(tx cases.ReadTx) error {
		for id, w := range want {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			if c.Status != w.status || !c.ReceivedAt.Equal(w.arrived) || !c.DueAt.Equal(w.due) {
				t.Errorf("case %s: status %s arrived %v due %v; want %s, %v, %v", id, c.Status, c.ReceivedAt, c.DueAt, w.status, w.arrived, w.due)
			}
			// The time of record was not kept: arrival stands in for it,
			// as the stored due date was counted from it.
			if !c.SentAt.Equal(c.ReceivedAt) {
				t.Errorf("case %s: sent %v, want its arrival %v", id, c.SentAt, c.ReceivedAt)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.VerifyAudit(t.Context())
	if err != nil {
		t.Fatalf("verify the fixture's access log: %v (%+v)", err, rep)
	}
}

// TestSchema2FixtureRecordsHaveNoSentAt proves the fixture holds what
// clinicgw wrote before SentAt: no case record has the member.
func TestSchema2FixtureRecordsHaveNoSentAt(t *testing.T) {
	db, _ := openFixture(t, clocktest.New(fixFixtureClock))
	n := 0
	err := db.bolt.View(func(btx *bolt.Tx) error {
		t2 := db.newTx(btx)
		return t2.bucket(bucketCases).ForEach(func(k, v []byte) error {
			plain, err := t2.s.open(bucketCases, k, v)
			if err != nil {
				return err
			}
			n++
			if bytes.Contains(plain, []byte(`"sentAt"`)) {
				t.Errorf("case %s: the fixture's record has sentAt", k)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("the fixture has %d cases, want 3", n)
	}
}

// TestSchema2FixtureGoesOn: on a store an older clinicgw wrote, a
// patient's reply accepted by the central store on Friday 23:59 and pulled
// on Monday 08:00 renews the due date from Friday; the case is written
// back with its time of record, the schema stays 2 (an older clinicgw
// ignores the new member), and the access log still verifies.
func TestSchema2FixtureGoesOn(t *testing.T) {
	friday := time.Date(2026, 3, 13, 23, 59, 0, 0, stockholm)
	monday := time.Date(2026, 3, 16, 8, 0, 0, 0, stockholm)
	clock := clocktest.New(monday)
	db, path := openFixture(t, clock)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clock,
		Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	in := []cases.Inbound{{Kind: cases.InboundFollowUp, EventID: "ev-4", CaseID: fixWaiting, At: friday,
		MessageID: "06fxm00000000000000000000d", Text: "Ja, 38,5."}}
	if rep, err := svc.ApplyInbound(t.Context(), in, 4); err != nil || rep.Applied != 1 {
		t.Fatalf("apply the reply: %+v %v", rep, err)
	}
	c, err := svc.Get(t.Context(), fixDistActor, fixWaiting)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 17, 23, 59, 59, 999999999, stockholm); c.Status != cases.Assigned || !c.DueAt.Equal(want) {
		t.Errorf("after the reply: %s due %v, want assigned, due %v (two working days from Friday)", c.Status, c.DueAt, want)
	}
	if !c.ReceivedAt.Equal(fixWaitingArr) || !c.SentAt.Equal(fixWaitingArr) {
		t.Errorf("after the reply: arrived %v sent %v, want both the case's first arrival %v", c.ReceivedAt, c.SentAt, fixWaitingArr)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(t.Context(), path, fixtureKEK(t), Options{Unit: testUnit, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.bolt.View(func(btx *bolt.Tx) error {
		v, err := readSchema(btx)
		if err != nil {
			return err
		}
		if v != schemaVersion { // sentAt bumped nothing; the open moved the records (schema 3)
			t.Errorf("schema %d after writing, want %d", v, schemaVersion)
		}
		t2 := db.newTx(btx)
		key := recordKey(btx, fixWaiting)
		plain, err := t2.s.open(bucketCases, key, t2.bucket(bucketCases).Get(key))
		if err != nil {
			return err
		}
		if !bytes.Contains(plain, []byte(`"sentAt"`)) {
			t.Error("the rewritten record has no sentAt")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(t.Context()); err != nil {
		t.Fatalf("verify the access log: %v", err)
	}
}
