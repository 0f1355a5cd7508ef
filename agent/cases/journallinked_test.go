package cases

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// chainedPage is a page of realistic new cases and a follow-up as the
// uplink journals them (chainPage): each entry checked, with its link in
// the chain from base.
func chainedPage(t testing.TB, base wire.Link) []JournalEntry {
	var page []JournalEntry
	link := base
	for i := range 4 {
		ev, _ := realisticEvent(t)
		ev.Seq, ev.ID = uint64(10+i), fmt.Sprintf("ev%d", 10+i)
		ev.Case.Text = patientText(i, 2048)
		if i == 3 {
			ev.Kind, ev.Case, ev.Message = wire.EventCaseFollowUp, nil, &wire.PatientMessage{ID: "m13", Text: patientText(9, 1500)}
		}
		raw, err := wire.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		link = wire.NextLink(link, ev)
		page = append(page, JournalEntry{Seq: ev.Seq, Link: link, Event: raw, Wire: &ev, Checked: true})
	}
	return page
}

// caseOf is a case record that holds the content sj leaves to it.
func caseOf(sj slimJournal, ev *wire.Event) *Case {
	c := &Case{ID: sj.caseID, Patient: Person{Name: sj.content.name}, Fields: sj.content.caseFields()}
	if ev.Message != nil {
		c.Messages = []Message{{ID: "m1", Author: "patient", Text: "Första."}, {ID: ev.Message.ID, Author: "patient", Text: sj.content.text}}
	} else {
		c.Messages = []Message{{ID: "m1", Author: "patient", Text: sj.content.text}}
	}
	return c
}

// TestLinkedSlimRecordHashesWhatItKeeps: a checked event after the first
// of its page is journaled slim without hashing the content it leaves to
// the case record (the chain's link, which the uplink computed over the
// event, already commits to it): only the bytes the record keeps are
// hashed. Given back, each record is the event as the central store sent
// it.
func TestLinkedSlimRecordHashesWhatItKeeps(t *testing.T) {
	page := chainedPage(t, wire.Genesis("0123456789abcdef0123456789abcdef"))
	hashed := 0
	sum256 = func(b []byte) [32]byte { hashed += len(b); return sha256.Sum256(b) }
	defer func() { sum256 = sha256.Sum256 }()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, e := range page {
		hashed = 0
		rec, sj := journalRecord(page, i, now)
		if rec != nil {
			t.Fatalf("entry %d: not slim", i)
		}
		if i > 0 && hashed > len(sj.rec)-journalHead {
			t.Errorf("entry %d: %d bytes hashed for an event of %d; the record keeps %d", i, hashed, len(e.Event), len(sj.rec)-journalHead)
		}
		full, err := FullJournalRecord(e.Seq, sj.rec, caseOf(sj, e.Wire))
		if err != nil || !bytes.Equal(full[journalHead:], e.Event) {
			t.Fatalf("entry %d given back: %v", i, err)
		}
	}
}

// TestLinkedSlimRecordRefusesDamage: a linked slim record gives back the
// central store's event or nothing: a byte of it changed anywhere (its
// link, the link before, its hash, what it keeps), a case record that no
// longer holds the content, another link before, or a value put back
// where the decoder takes another member's, is refused.
func TestLinkedSlimRecordRefusesDamage(t *testing.T) {
	page := chainedPage(t, wire.Genesis("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, i := range []int{1, 3} { // a new case, a follow-up
		e := page[i]
		_, sj := journalRecord(page, i, now)
		if len(sj.rec) <= journalHead || sj.rec[journalHead] != journalSlimLinked {
			t.Fatalf("entry %d: not a linked slim record", i)
		}
		c := caseOf(sj, e.Wire)
		for at := 8; at < len(sj.rec); at++ {
			if at == journalHead {
				continue // the mark: another makes a whole record, which keeps no hash (as for journalSlim)
			}
			for _, x := range []byte{0x01, 0x80} {
				rec := bytes.Clone(sj.rec)
				rec[at] ^= x
				if _, err := FullJournalRecord(e.Seq, rec, c); !errors.Is(err, ErrJournalDamaged) {
					t.Fatalf("entry %d: byte %d changed (^%#x): not refused: %v", i, at, x, err)
				}
			}
		}
		changed := map[string]func(*Case){
			"the text":        func(c *Case) { c.Messages[len(c.Messages)-1].Text += "." },
			"the name":        func(c *Case) { c.Patient.Name = "Åsa Öbergh" },
			"an answer":       func(c *Case) { c.Fields[0].Value += "!" },
			"a label":         func(c *Case) { c.Fields[1].Label = "Sen" },
			"no answers":      func(c *Case) { c.Fields = nil },
			"one answer more": func(c *Case) { c.Fields = append(c.Fields, Field{Name: "x", Label: "X", Value: "x"}) },
		}
		for what, change := range changed {
			if i == 3 && what != "the text" {
				continue // a follow-up leaves only its text to the case
			}
			c := caseOf(sj, e.Wire)
			c.Fields = slices.Clone(c.Fields)
			change(c)
			if _, err := FullJournalRecord(e.Seq, sj.rec, c); !errors.Is(err, ErrJournalDamaged) {
				t.Errorf("entry %d: a case record with %s changed: %v", i, what, err)
			}
		}
		other := page[i]
		other.Checked = true
		sj2, _ := other.linkedSlimRecord(&page[0].Link) // not the link before
		if i != 1 {
			if _, err := FullJournalRecord(e.Seq, sj2.rec, c); !errors.Is(err, ErrJournalDamaged) {
				t.Errorf("entry %d: made after another link: %v", i, err)
			}
		}
	}

	// A value put back where the decoder takes another member's: the
	// first "text" in the event is in a member this version does not
	// know, with the text's value; the case's text changed.
	e := page[1]
	raw := bytes.Replace(e.Event, []byte(`"text":`), []byte(`"x":{"text":`+string(appendJSONString(nil, e.Wire.Case.Text))+`},"text":`), 1)
	e.Event = raw
	sj, ok := e.linkedSlimRecord(&page[0].Link)
	if !ok {
		t.Fatal("not slim")
	}
	if _, err := FullJournalRecord(e.Seq, sj.rec, caseOf(sj, e.Wire)); err != nil {
		t.Fatalf("as it came: %v", err)
	}
	c := caseOf(sj, e.Wire)
	c.Messages[0].Text = "Något annat."
	if full, err := FullJournalRecord(e.Seq, sj.rec, c); !errors.Is(err, ErrJournalDamaged) {
		t.Errorf("a text put back into a member the decoder does not read: %v\n%.300s", err, full)
	}
}

// FuzzLinkedSlimRecord: a linked slim record with a byte after its mark
// changed or cut short, given back with the event's own case record or with one whose
// content changed, is the central store's event or is refused.
func FuzzLinkedSlimRecord(f *testing.F) {
	f.Add(1, 50, byte(1), "", false)
	f.Add(3, 0, byte(0), "ändrad", true)
	page := chainedPage(f, wire.Genesis("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, i, at int, x byte, text string, cut bool) {
		i = 1 + int(uint(i)%uint(len(page)-1))
		e := page[i]
		_, sj := journalRecord(page, i, now)
		rec := bytes.Clone(sj.rec)
		// The head's time and the mark aside (another mark makes a whole
		// record, which keeps no hash).
		at = journalHead + 1 + int(uint(at)%uint(len(rec)-journalHead-1))
		rec[at] ^= x
		if cut {
			rec = rec[:at]
		}
		c := caseOf(sj, e.Wire)
		if text != "" {
			c.Messages[len(c.Messages)-1].Text = text
		}
		full, err := FullJournalRecord(e.Seq, rec, c)
		if err == nil && !bytes.Equal(full[journalHead:], e.Event) {
			t.Fatalf("given back as another event:\n%q", full[journalHead:])
		}
	})
}
