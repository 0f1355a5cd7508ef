package store

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// What a commit writes, by bucket: bbolt copies every page a transaction
// changes to a new page, so the pages of the file as committed that were
// not the same bucket's pages before the commit are the pages the commit
// wrote (a page freed by one commit is reused at the earliest by the
// next). filePages reads the committed file and names each page's owner.

// filePages maps every page of db's file, as last committed, to the name
// of the top-level bucket whose tree holds it ("(root)": the tree of the
// bucket names).
func filePages(t testing.TB, db *DB) map[uint64]string {
	t.Helper()
	data, err := os.ReadFile(db.path)
	if err != nil {
		t.Fatal(err)
	}
	ps := uint64(db.bolt.Info().PageSize)
	le := binary.LittleEndian // bbolt writes in the machine's order
	// The meta page with the higher transaction id is the committed one.
	var root, txid uint64
	for _, m := range []uint64{0, 1} {
		p := data[m*ps:]
		if id := le.Uint64(p[16+48:]); id >= txid {
			root, txid = le.Uint64(p[16+16:]), id
		}
	}
	owner := make(map[uint64]string)
	var walk func(id uint64, name string)
	walk = func(id uint64, name string) {
		p := data[id*ps:]
		flags, count, overflow := le.Uint16(p[8:]), int(le.Uint16(p[10:])), uint64(le.Uint32(p[12:]))
		for i := uint64(0); i <= overflow; i++ {
			owner[id+i] = name
		}
		for i := range count {
			e := p[16+16*i:]
			switch flags {
			case 0x01: // branch: pos, ksize, child
				walk(le.Uint64(e[8:]), name)
			case 0x02: // leaf: flags, pos, ksize, vsize
				if le.Uint32(e[0:])&0x01 == 0 {
					continue // a value, not a bucket
				}
				pos, ksize := le.Uint32(e[4:]), le.Uint32(e[8:])
				key := e[pos : pos+ksize]
				sub := le.Uint64(e[pos+ksize:])
				if sub == 0 {
					continue // an inline bucket: in its parent's page
				}
				if name == "(root)" {
					walk(sub, string(key))
				} else {
					walk(sub, name)
				}
			default:
				t.Fatalf("page %d of bucket %s has flags %#x", id, name, flags)
			}
		}
	}
	walk(root, "(root)")
	return owner
}

// pagesWritten counts, by bucket, the pages of after that were not the
// same bucket's in before.
func pagesWritten(before, after map[uint64]string) map[string]int {
	out := make(map[string]int)
	for id, name := range after {
		if before[id] != name {
			out[name]++
		}
	}
	return out
}

// backlogEnv applies a backlog as the uplink does: events of the central
// store's cases, whose ids were made a thousand to the millisecond (a
// batch the central store took at once: random order within it), in
// commits of perCommit events with their journal entries.
type backlogEnv struct {
	t         testing.TB
	db        *DB
	svc       *cases.Service
	rnd       *rand.ChaCha8
	seq       uint64
	at        time.Time
	perCommit int
	pending   []cases.Inbound
	journal   []cases.JournalEntry
	// measure, when set, runs each commit's apply (benchmarks).
	measure func(apply func())
}

func newBacklogEnv(t testing.TB, perCommit int) *backlogEnv {
	db, _ := testStore(t)
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(now),
		Rand: rand.NewChaCha8([32]byte{7}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &backlogEnv{t: t, db: db, svc: svc, rnd: rand.NewChaCha8([32]byte{8}), at: now.Add(-time.Hour), perCommit: perCommit}
}

var backlogText = strings.Repeat("Jag har haft ont i halsen sedan i tisdags och det blir inte bättre. Febern gick upp till 38,7 grader i natt. ", 19)

// batch submits n cases in one millisecond and applies the full commits.
func (e *backlogEnv) batch(n int) {
	e.at = e.at.Add(time.Second)
	for range n {
		id, err := caseid.New(e.at, e.rnd)
		if err != nil {
			e.t.Fatal(err)
		}
		e.seq++
		p := int(e.seq) % 20000
		ev := wire.Event{Seq: e.seq, ID: fmt.Sprintf("ev%d", e.seq), Kind: wire.EventCaseCreated, CaseID: string(id), At: e.at,
			Case: &wire.NewCase{Type: string(casetype.RenewPrescription),
				Patient: wire.Person{PNR: string(personnummer.Synthetic(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p/20), 980+p%20)), Name: "Åsa Öberg"},
				Fields:  []wire.Field{{Name: "medicine", Label: "Läkemedel", Value: "Levaxin 50 mikrogram"}, {Name: "howOften", Label: "Hur ofta", Value: "daily"}},
				Text:    backlogText}}
		// The journal keeps the event as the central store sent it.
		raw, err := wire.EncodeEvent(ev)
		if err != nil {
			e.t.Fatal(err)
		}
		e.pending = append(e.pending, inboundOf(ev))
		e.journal = append(e.journal, cases.JournalEntry{Seq: e.seq, Event: raw, Wire: &ev})
		if len(e.pending) == e.perCommit {
			e.commit()
		}
	}
}

// appliedBacklog is a backlogEnv that applied batches of a thousand
// cases, all committed.
func appliedBacklog(t testing.TB, perCommit, batches int) *backlogEnv {
	e := newBacklogEnv(t, perCommit)
	for range batches {
		e.batch(1000)
	}
	e.commit()
	return e
}

func (e *backlogEnv) commit() {
	if len(e.pending) == 0 {
		return
	}
	head := cases.SyncHead{Seq: e.seq, Incarnation: "test"}
	var err error
	apply := func() { _, err = e.svc.ApplyChained(e.t.Context(), e.pending, head, e.journal) }
	if e.measure != nil {
		e.measure(apply)
	} else {
		apply()
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.pending, e.journal = e.pending[:0], e.journal[:0]
}

// inboundOf is the case.created event ev as the uplink applies it.
func inboundOf(ev wire.Event) cases.Inbound {
	c := ev.Case
	sub := &cases.Submission{ID: cases.ID(ev.CaseID), Type: casetype.Type(c.Type), SubmittedAt: ev.At, TextsChecked: true,
		Patient: cases.Person{PNR: personnummer.Personnummer(c.Patient.PNR), Name: c.Patient.Name}, Text: c.Text}
	for _, f := range c.Fields {
		sub.Fields = append(sub.Fields, cases.Field{Name: f.Name, Label: f.Label, Value: f.Value})
	}
	return cases.Inbound{Kind: cases.InboundCreated, EventID: ev.ID, CaseID: cases.ID(ev.CaseID), At: ev.At, Submission: sub}
}

// treePages is the pages of bucket name's tree.
func treePages(t testing.TB, db *DB, name string) int {
	t.Helper()
	var n int
	err := db.bolt.View(func(btx *bolt.Tx) error {
		if b := btx.Bucket([]byte(name)); b != nil {
			st := b.Stats()
			n = st.BranchPageN + st.BranchOverflowN + st.LeafPageN + st.LeafOverflowN
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBacklogPagesWritten: a backlog's commits write each case record
// once, into full pages. Keyed by id, the cases of one millisecond
// (random order) that two commits share made the second rewrite the
// first's leaf pages, split half full: the cases bucket wrote 1.28 times
// the pages its tree grew by, and 1.78 times its records' bytes. Logs
// what each bucket wrote per case.
func TestBacklogPagesWritten(t *testing.T) {
	e := appliedBacklog(t, 750, 8)
	ps := e.db.bolt.Info().PageSize
	before := filePages(t, e.db)
	pagesBefore, bytesBefore := treePages(t, e.db, bucketCases), leafBytes(t, e.db, bucketCases)
	total := make(map[string]int)
	const batches = 6
	commits := 0
	for range batches {
		e.batch(1000)
		after := filePages(t, e.db)
		for name, n := range pagesWritten(before, after) {
			total[name] += n
		}
		before = after
		commits++
	}
	names := slices.Sorted(maps.Keys(total))
	sum := 0
	for _, n := range names {
		sum += total[n]
		t.Logf("%-24s %6d pages %8.0f bytes/case", n, total[n], float64(total[n]*ps)/(batches*1000))
	}
	t.Logf("%-24s %6d pages %8.0f bytes/case", "all", sum, float64(sum*ps)/(batches*1000))
	// Each record written once: the pages the records' tree grew by, and
	// per commit its last leaf (partly filled) and the branch pages above;
	// and the tree's pages full (values of 2.8 KiB fill 5/6 of a page).
	grown := treePages(t, e.db, bucketCases) - pagesBefore
	if written, limit := total[bucketCases], grown+3*commits; written > limit {
		t.Errorf("the case records wrote %d pages where their tree grew by %d (%.2f times); want at most %d",
			written, grown, float64(written)/float64(grown), limit)
	}
	recs := leafBytes(t, e.db, bucketCases) - bytesBefore
	t.Logf("the records' tree grew by %d pages holding %d bytes", grown, recs)
	if written, limit := total[bucketCases]*ps, recs*5/4+3*commits*ps; written > limit {
		t.Errorf("the case records wrote %d bytes for %d bytes of records (%.2f times); want at most %d",
			written, recs, float64(written)/float64(recs), limit)
	}
}

// leafBytes is the bytes bucket name's leaf pages hold.
func leafBytes(t testing.TB, db *DB, name string) int {
	t.Helper()
	var n int
	err := db.bolt.View(func(btx *bolt.Tx) error {
		if b := btx.Bucket([]byte(name)); b != nil {
			n = b.Stats().LeafInuse
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBacklogJournalBytes: the sync journal keeps an applied case's
// event without the content its case record holds (the text, the
// answers, the name), so a backlog writes each case's text once. With
// the event whole it wrote 2.4 KB per 2.2 KB case.
func TestBacklogJournalBytes(t *testing.T) {
	e := appliedBacklog(t, 750, 2)
	ps := e.db.bolt.Info().PageSize
	before := filePages(t, e.db)
	const batches = 4
	written := 0
	for range batches {
		e.batch(1000)
		after := filePages(t, e.db)
		written += pagesWritten(before, after)[bucketSyncJournal]
		before = after
	}
	perCase := float64(written*ps) / (batches * 1000)
	event := len(backlogText) + 300 // the event's bytes, about
	t.Logf("sync-journal: %.0f bytes/case for events of about %d bytes", perCase, event)
	if limit := float64(event) / 3; perCase > limit {
		t.Errorf("the sync journal wrote %.0f bytes per case; want at most %.0f (a third of the event)", perCase, limit)
	}
}
