package cases

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

const slimCaseID = "01knfa0x2g3h4j5k6m7n8p9q0r"

func slimEvent() wire.Event {
	return wire.Event{Seq: 7, ID: "ev7", Kind: wire.EventCaseCreated, CaseID: slimCaseID, At: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Case: &wire.NewCase{Type: "renew-prescription", Patient: wire.Person{PNR: "194001019809", Name: "Åsa Öberg"},
			Fields: []wire.Field{{Name: "medicine", Label: "Läkemedel", Value: "Levaxin"}}, Text: "Ont i halsen sedan i tisdags."}}
}

// slimCase is the case record slimEvent makes.
func slimCase() *Case {
	return &Case{ID: slimCaseID, Patient: Person{PNR: "194001019809", Name: "Åsa Öberg"},
		Fields:   []Field{{Name: "medicine", Label: "Läkemedel", Value: "Levaxin"}},
		Messages: []Message{{ID: "m1", Author: "patient", Text: "Ont i halsen sedan i tisdags."}}}
}

// TestSlimRecordOnlyWhenExact: a journal entry is made slim only where
// its event rebuilds to the central store's bytes exactly.
func TestSlimRecordOnlyWhenExact(t *testing.T) {
	enc := func(ev wire.Event) []byte { b, _ := wire.EncodeEvent(ev); return b }
	ev := slimEvent()
	sealed := ev
	sealed.Case, sealed.Sealed = nil, "c2VhbGVk"
	emptyFields := slimEvent()
	emptyFields.Case.Fields = []wire.Field{}
	withdrawn := wire.Event{Seq: 8, ID: "ev8", Kind: wire.EventCaseWithdrawn, CaseID: slimCaseID, At: ev.At}
	escaped := slimEvent()
	escaped.Case.Text = "<b> & </b>"
	escapedRaw, _ := json.Marshal(escaped)
	lines := slimEvent()
	lines.Case.Text = "Ont i halsen.\r\n\t\"Feber\" \\ \u2028 \x01 \xff – 🙂"
	lines.Case.Fields[0].Value = "rad ett\nrad två"
	followUp := wire.Event{Seq: 9, ID: "ev9", Kind: wire.EventCaseFollowUp, CaseID: slimCaseID, At: ev.At,
		Message: &wire.PatientMessage{ID: "m9", Text: "Nu har jag\nfeber också."}}
	noFields := slimEvent()
	noFields.Case.Fields = nil
	// å written as \u00e5 decodes to the same text, but is not how the
	// encoder writes it.
	otherEscape := bytes.Replace(enc(ev), []byte("i tisdags"), []byte(`i tisd\u0061gs`), 1)
	otherLabel := bytes.Replace(enc(ev), []byte("Läkemedel"), []byte(`L\u00e4kemedel`), 1)
	sameName := slimEvent()
	sameName.Case.Patient.Name = "medicine"
	for _, tc := range []struct {
		name string
		ev   wire.Event
		raw  []byte
		slim bool
	}{
		{"plain new case", ev, enc(ev), true},
		{"answers empty, not absent", emptyFields, enc(emptyFields), true},
		{"sealed", sealed, enc(sealed), false},
		{"withdrawal", withdrawn, enc(withdrawn), false},
		{"encoded otherwise (HTML escaped)", escaped, escapedRaw, false},
		// The rebuild puts back only the values it cut out: a member
		// this version does not know is kept as it was sent.
		{"a member this version does not know", ev, append(bytes.TrimSuffix(bytes.TrimSuffix(enc(ev), []byte("\n")), []byte("}")), []byte(`,"extra":1}`+"\n")...), true},
		{"escapes and line breaks", lines, enc(lines), true},
		{"follow-up", followUp, enc(followUp), true},
		{"no answers", noFields, enc(noFields), true},
		{"name equal to an answer's name", sameName, enc(sameName), true},
		{"the text escaped otherwise", ev, otherEscape, false},
		{"a label escaped otherwise", ev, otherLabel, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := JournalEntry{Seq: tc.ev.Seq, Event: tc.raw, Wire: &tc.ev}
			sj, ok := e.slimRecord()
			if ok != tc.slim {
				t.Fatalf("slim %v, want %v", ok, tc.slim)
			}
			if !ok {
				return
			}
			// Rebuilt from the content the event carried, it is the event.
			sp, slim, err := parseSlim(sj.rec)
			if !slim || err != nil {
				t.Fatalf("slim %v, %v", slim, err)
			}
			if got := splice(nil, sp, sj.content); !bytes.Equal(got, tc.raw) {
				t.Fatalf("rebuilt %s; want %s", got, tc.raw)
			}
			if len(sp.body) >= len(tc.raw)-len(sj.content.text) {
				t.Fatalf("the slim record keeps %d of the event's %d bytes", len(sp.body), len(tc.raw))
			}
		})
	}
	// A case record that holds no answers where the event had an empty
	// list does not hold its content exactly: the record stays whole.
	e := JournalEntry{Seq: 7, Event: enc(emptyFields), Wire: &emptyFields}
	sj, _ := e.slimRecord()
	c := slimCase()
	c.Fields = nil
	if jc, ok := caseContent(c, slimCreated, ""); ok && jc.equal(sj.content) {
		t.Error("a case without answers holds the content of an event with an empty list of answers")
	}
}

// FuzzFullJournalRecord: any stored journal record either reads back as
// an event whose hash is the one it keeps, or is refused; never a panic.
func FuzzFullJournalRecord(f *testing.F) {
	ev := slimEvent()
	raw, _ := wire.EncodeEvent(ev)
	sj, ok := JournalEntry{Seq: 7, Event: raw, Wire: &ev}.slimRecord()
	if !ok {
		f.Fatal("the seed event is not made slim")
	}
	f.Add(sj.rec)
	prev := wire.Link{1}
	linked := JournalEntry{Seq: 7, Link: wire.NextLink(prev, ev), Event: raw, Wire: &ev, Checked: true}
	if lj, ok := linked.linkedSlimRecord((*[32]byte)(&prev)); ok {
		f.Add(lj.rec)
	}
	f.Add(JournalEntry{Seq: 7, Event: raw}.record())
	f.Add(sj.rec[:journalHead+5])
	sev, sraw, _ := sealedTwin(f)
	f.Add(JournalEntry{Seq: 7, Event: sraw, Wire: &sev}.wholeRecord())
	f.Fuzz(func(t *testing.T, rec []byte) {
		full, err := FullJournalRecord(7, rec, slimCase())
		if err != nil {
			return
		}
		if isSealedRecord(rec) {
			if !bytes.Equal(full[:journalHead], rec[:journalHead]) {
				t.Fatal("a sealed record read back with another head")
			}
			return
		}
		sp, slim, _ := parseSlim(rec)
		if !slim {
			if !bytes.Equal(full, rec) {
				t.Fatal("a whole record read back changed")
			}
			return
		}
		if sp.prev != nil {
			var ev wire.Event
			if json.Unmarshal(full[journalHead:], &ev) != nil || wire.NextLink(wire.Link(sp.prev), ev) != wire.Link(full[8:journalHead]) {
				t.Fatal("a linked slim record read back as an event that does not match its link")
			}
		} else if got := sha256.Sum256(full[journalHead:]); !bytes.Equal(got[:], sp.sum) {
			t.Fatal("a slim record read back as an event that does not match its hash")
		}
		if !bytes.Equal(full[:journalHead], rec[:journalHead]) {
			t.Fatal("a slim record read back with another head")
		}
	})
}

// caseFields returns jc's answers as a case record holds them.
func (jc journalContent) caseFields() []Field {
	if !jc.hasFields() {
		return nil
	}
	out := make([]Field, jc.nfields())
	for i := range out {
		out[i] = jc.field(i)
	}
	return out
}
