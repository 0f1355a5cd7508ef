package store

import (
	"hash"
	"sync"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// What an insert makes of a new case alone, its index entries (with the
// blinded personnummer: a keyed hash each) and its statistics tally, is
// made ahead of the transaction where a caller can (cases.InsertPreparer:
// the sync's prepare stage, which runs ahead of the one goroutine that
// applies a backlog and bounds its speed). The transaction checks that
// the prepared work was made of the case as it is now, by the sealer
// (index key) and unit of the transaction, and makes it itself otherwise.

// preparedInsert is PrepareInsert's work for one case.
type preparedInsert struct {
	s       *sealer // whose index key blinded the numbers
	unit    string
	of      insertInputs
	entries []indexEntry
	tally   cases.StatsTally
	// patients is the blinded personnummer of the case's patient (which
	// the access-log entry of its arrival names too: tx.blind) and its
	// guardian, if another, as its id index entry holds them
	// (patientidx.go).
	patients []byte
}

// insertInputs are the fields of a case that its index entries and its
// tally are made of (indexValuesWith, cases.TallyOf).
type insertInputs struct {
	id                                    cases.ID
	unit, assignee, group                 string
	typ                                   casetype.Type
	status                                cases.Status
	patient, guardian                     personnummer.Personnummer
	hasGuardian                           bool
	sentAt, receivedAt, dueAt, answeredAt time.Time
	answerDays, history                   int
}

func inputsOf(c *cases.Case) insertInputs {
	in := insertInputs{id: c.ID, unit: c.Unit, assignee: c.Assignee, group: c.Group, typ: c.Type, status: c.Status,
		patient: c.Patient.PNR, sentAt: c.SentAt, receivedAt: c.ReceivedAt, dueAt: c.DueAt, answeredAt: c.AnsweredAt,
		answerDays: c.AnswerDays, history: len(c.History)}
	if c.Guardian != nil {
		in.guardian, in.hasGuardian = c.Guardian.PNR, true
	}
	return in
}

// prepareInsert makes c's index entries and tally, blinding with blind
// (s's index key).
func prepareInsert(c *cases.Case, s *sealer, unit string, blind func(string) []byte) *preparedInsert {
	v := indexValuesWith(c, blind)
	return &preparedInsert{s: s, unit: unit, of: inputsOf(c),
		entries: v.entries(c.ID), tally: cases.TallyOf(c, unit), patients: patientValue(v.patients)}
}

// fits reports whether p was made of c as it is, for t.
func (p *preparedInsert) fits(t *tx, c *cases.Case) bool {
	return p != nil && p.s == t.s && p.unit == t.unit && p.of == inputsOf(c)
}

// blinders keeps keyed hashes for PrepareInsert, each with its sealer.
var blinders sync.Pool

type pooledBlinder struct {
	s *sealer
	m hash.Hash
}

// PrepareInsert makes, outside any transaction, c's index entries and
// statistics tally for InsertPrepared (cases.InsertPreparer). It is safe
// to call from several goroutines.
func (db *DB) PrepareInsert(c *cases.Case) cases.PreparedInsert {
	s := db.sealer.Load()
	if s == nil || c == nil {
		return nil
	}
	b, _ := blinders.Get().(*pooledBlinder)
	if b == nil || b.s != s {
		b = &pooledBlinder{s: s, m: s.newBlinder()}
	}
	defer blinders.Put(b)
	return prepareInsert(c, s, db.unit, func(pnr string) []byte { return s.blindWith(b.m, pnr) })
}

var (
	_ cases.InsertPreparer   = (*DB)(nil)
	_ cases.PreparedInserter = (*tx)(nil)
)
