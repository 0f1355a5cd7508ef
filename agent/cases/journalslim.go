package cases

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"clinicgw/sync/wire"
)

// A slim journal record (store schema 4) keeps a plain case.created or
// case.followup event without the content its case record holds (the
// patient's name, the form's answers, the text) and with the SHA-256 of
// the event as the central store sent it. After the head: the mark
// journalSlim, the hash, the case id's length (1 byte) and id, the
// event's kind (slimCreated, or slimFollowUp then the message id's length
// and id), the number of cuts (1 byte) and for each what was cut
// (cutName, cutFields, cutText) and where (a uvarint: bytes after the
// previous cut), then the event's bytes with those values cut out. A full
// record's event starts with '{', so the mark tells them apart.
//
// A record is made slim by splicing, not by encoding the event again:
// each value cut out is a byte range of the event that is exactly the
// canonical encoding (appendJSONString) of the value the event decoded
// to, so putting back the encoding of the same value gives the central
// store's bytes. A reconciliation puts back the encodings of the case
// record's values and gives the event back only if it hashes to the
// kept hash (ErrJournalDamaged otherwise). A record is made slim only
// where the event applied and the case record holds exactly its content;
// every other event (withdrawn, a duplicate, a conflict, quarantined,
// one whose values are encoded otherwise) keeps its full bytes, but for
// a sealed event's envelope, kept as raw bytes (journalsealed.go); and a
// purge turns the slim records of the cases it removes back into full
// ones (FullJournalRecord).
const journalSlim = 0x01

// The kinds of event a slim record keeps.
const (
	slimCreated  = 'c'
	slimFollowUp = 'f'
)

// What a slim record cut out of its event.
const (
	cutName   = 'n' // case.created: the patient's name
	cutFields = 'a' // case.created: the form's answers
	cutText   = 't' // the text
)

// ErrJournalDamaged means a slim journal record does not rebuild to the
// event the central store sent: its case record is gone or changed, or
// the record is damaged. The event is not given back.
var ErrJournalDamaged = errors.New("a sync journal entry does not rebuild to the event the central store sent")

// journalContent is what a slim record leaves to the case record.
type journalContent struct {
	name string // case.created: the patient's name
	text string
	// The form's answers: the case record's (fields), or, made from an
	// event, the event's own (wire; not copied). At most one is set.
	fields []Field
	wire   []wire.Field
}

// hasFields reports whether jc holds answers, an empty list included.
func (jc journalContent) hasFields() bool { return jc.fields != nil || jc.wire != nil }

func (jc journalContent) nfields() int { return len(jc.fields) + len(jc.wire) }

// field returns answer i.
func (jc journalContent) field(i int) Field {
	if jc.wire != nil {
		return Field(jc.wire[i])
	}
	return jc.fields[i]
}

func (jc journalContent) equal(o journalContent) bool {
	// nil and empty answers encode differently: they must agree too.
	if jc.name != o.name || jc.text != o.text || jc.hasFields() != o.hasFields() || jc.nfields() != o.nfields() {
		return false
	}
	for i := range jc.nfields() {
		if jc.field(i) != o.field(i) {
			return false
		}
	}
	return true
}

// appendCut appends the canonical encoding of what cut k holds of jc.
func (jc journalContent) appendCut(b []byte, k byte) []byte {
	switch k {
	case cutName:
		return appendJSONString(b, jc.name)
	case cutText:
		return appendJSONString(b, jc.text)
	}
	b = append(b, '[')
	for i := range jc.nfields() {
		f := jc.field(i)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, f.Name)
		b = append(b, `,"label":`...)
		b = appendJSONString(b, f.Label)
		b = append(b, `,"value":`...)
		b = appendJSONString(b, f.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// caseContent returns what case c holds of a slim record's event: for a
// created one the first message's text, the patient's name and the
// form's answers, for a follow-up the text of the patient's message
// msgID; false if c holds no such message.
func caseContent(c *Case, kind byte, msgID string) (journalContent, bool) {
	switch kind {
	case slimCreated:
		if len(c.Messages) == 0 {
			return journalContent{}, false
		}
		return journalContent{name: c.Patient.Name, text: c.Messages[0].Text, fields: c.Fields}, true
	case slimFollowUp:
		for _, m := range c.Messages {
			if m.ID == msgID && m.Author == (Actor{Kind: Patient}).Name() {
				return journalContent{text: m.Text}, true
			}
		}
	}
	return journalContent{}, false
}

// slimJournal is a journal entry's slim record, made off the
// transaction: the record and the content it leaves to the case record.
type slimJournal struct {
	rec     []byte
	caseID  ID
	content journalContent
	// texts are a case.created event's encoded values, for its case
	// record (journaltexts.go).
	texts caseTexts
}

// cut is a value a slim record leaves out: what, and its byte range in
// the event.
type cut struct {
	what     byte
	from, to int
}

// slimRecord returns e's slim record if e.Wire is a plain created or
// follow-up event whose content values are encoded canonically in
// e.Event (the caller then checks, in the transaction, that the case
// record holds that content); false otherwise.
func (e JournalEntry) slimRecord() (slimJournal, bool) { return e.slim(nil) }

// slim is slimRecord, or linkedSlimRecord with prev.
func (e JournalEntry) slim(prev *[32]byte) (slimJournal, bool) {
	ev := e.Wire
	if ev == nil || ev.Sealed != "" || ev.Route != nil || len(ev.CaseID) == 0 || len(ev.CaseID) > 255 {
		return slimJournal{}, false
	}
	var (
		jc    journalContent
		kind  byte
		msgID string
		cuts  [3]cut
		n     int
		ok    bool
	)
	m := contentMatcher{event: e.Event, valid: e.Checked}
	find := func(what byte, key string) bool {
		from, to, found := m.find(what, key, &jc)
		if found {
			cuts[n], n, m.at = cut{what, from, to}, n+1, to
		}
		return found
	}
	switch {
	case ev.Kind == wire.EventCaseCreated && ev.Case != nil && ev.Message == nil:
		c := ev.Case
		kind, jc = slimCreated, journalContent{name: c.Patient.Name, text: c.Text, wire: c.Fields}
		// Members in the order the encoder writes them.
		ok = find(cutName, `"name":`) && (!jc.hasFields() || find(cutFields, `"fields":`)) && find(cutText, `"text":`)
	case ev.Kind == wire.EventCaseFollowUp && ev.Message != nil && ev.Case == nil && len(ev.Message.ID) <= 255:
		kind, msgID, jc = slimFollowUp, ev.Message.ID, journalContent{text: ev.Message.Text}
		ok = find(cutText, `"text":`)
	}
	if !ok {
		return slimJournal{}, false
	}
	size := len(e.Event)
	for _, c := range cuts[:n] {
		size -= c.to - c.from
	}
	rec := e.head(make([]byte, 0, journalHead+1+2*sha256.Size+2+len(ev.CaseID)+2+len(msgID)+1+n*(1+binary.MaxVarintLen32)+size))
	if prev == nil {
		rec = append(rec, journalSlim)
		sum := sum256(e.Event)
		rec = append(rec, sum[:]...)
	} else {
		rec = append(rec, journalSlimLinked)
		rec = append(rec, prev[:]...)
		rec = rec[:len(rec)+sha256.Size] // the hash of what follows, below
	}
	kept := len(rec)
	rec = append(rec, byte(len(ev.CaseID)))
	rec = append(rec, ev.CaseID...)
	rec = append(rec, kind)
	if kind == slimFollowUp {
		rec = append(rec, byte(len(msgID)))
		rec = append(rec, msgID...)
	}
	rec = append(rec, byte(n))
	at := 0
	for _, c := range cuts[:n] {
		rec = append(rec, c.what)
		rec = binary.AppendUvarint(rec, uint64(c.from-at))
		at = c.to
	}
	at = 0
	for _, c := range cuts[:n] {
		rec = append(rec, e.Event[at:c.from]...)
		at = c.to
	}
	rec = append(rec, e.Event[at:]...)
	if prev != nil {
		sum := sum256(rec[kept:])
		copy(rec[kept-sha256.Size:kept], sum[:])
	}
	sj := slimJournal{rec: rec, caseID: ID(ev.CaseID), content: jc}
	if kind == slimCreated {
		sj.texts = wireTexts(e.Event, cuts[:n], jc)
	}
	return sj, true
}

// sum256 is the hash a slim record keeps: sha256.Sum256, counted by
// tests.
var sum256 = sha256.Sum256

// contentMatcher finds a slim record's values in its event, in order.
type contentMatcher struct {
	event []byte
	at    int  // where the search goes on: after the last value found
	valid bool // the values are valid UTF-8 (JournalEntry.Checked)
}

// find returns the byte range of the first value at or after m.at that
// follows key and is the canonical encoding of what cut what holds of jc.
func (m *contentMatcher) find(what byte, key string, jc *journalContent) (int, int, bool) {
	return findValue(m.event, m.at, key, func(b []byte) int { return m.match(b, what, jc) })
}

// findValue returns the byte range of the first value in event, at or
// after from, that follows key (a member's name and colon) and that
// match accepts (its length; -1 if it does not). What matters for
// exactness is only that the range holds the canonical encoding of the
// value cut out: the rebuild puts that encoding back there.
func findValue(event []byte, from int, key string, match func([]byte) int) (int, int, bool) {
	for from < len(event) {
		i := bytes.Index(event[from:], []byte(key))
		if i < 0 {
			return 0, 0, false
		}
		v := from + i + len(key)
		if n := match(event[v:]); n >= 0 {
			return v, v + n, true
		}
		from = v
	}
	return 0, 0, false
}

// match returns the length of jc.appendCut(nil, what) if b starts with
// it, else -1; it compares in place, without encoding.
func (m *contentMatcher) match(b []byte, what byte, jc *journalContent) int {
	switch what {
	case cutName:
		return m.str(b, jc.name)
	case cutText:
		return m.str(b, jc.text)
	}
	pos := 0
	lit := func(l string) bool {
		if !bytes.HasPrefix(b[pos:], []byte(l)) {
			return false
		}
		pos += len(l)
		return true
	}
	str := func(s string) bool {
		n := m.str(b[pos:], s)
		pos += n
		return n >= 0
	}
	if !lit("[") {
		return -1
	}
	for i := range jc.nfields() {
		f := jc.field(i)
		if i > 0 && !lit(",") {
			return -1
		}
		if !lit(`{"name":`) || !str(f.Name) || !lit(`,"label":`) || !str(f.Label) || !lit(`,"value":`) || !str(f.Value) || !lit("}") {
			return -1
		}
	}
	if !lit("]") {
		return -1
	}
	return pos
}

// str is matchJSONString, or matchValidJSONString for valid values.
func (m *contentMatcher) str(b []byte, s string) int {
	if m.valid {
		return matchValidJSONString(b, s)
	}
	return matchJSONString(b, s)
}

// slimParts is a slim record split after its head.
type slimParts struct {
	prev  []byte // a linked record's link before its event; nil for another
	kept  []byte // what a linked record's sum is of: all after it
	sum   []byte
	id    ID
	kind  byte
	msgID string
	cuts  []cut // from is where in body the value goes back; to is unused
	body  []byte
}

// parseSlim splits a slim record after its head; false for a full record.
func parseSlim(rec []byte) (slimParts, bool, error) {
	if len(rec) <= journalHead || rec[journalHead] != journalSlim && rec[journalHead] != journalSlimLinked {
		return slimParts{}, false, nil
	}
	short := fmt.Errorf("%w: the slim record is cut short", ErrJournalDamaged)
	p := rec[journalHead+1:]
	var sp slimParts
	if rec[journalHead] == journalSlimLinked {
		if len(p) < 2*sha256.Size+1 {
			return sp, true, short
		}
		sp.prev, p = p[:sha256.Size], p[sha256.Size:]
		sp.sum, p = p[:sha256.Size], p[sha256.Size:]
		sp.kept = p
	} else if len(p) < sha256.Size+1 {
		return sp, true, short
	} else {
		sp.sum, p = p[:sha256.Size], p[sha256.Size:]
	}
	var ok bool
	var id []byte
	if id, p, ok = lenPrefixed(p); !ok {
		return sp, true, short
	}
	sp.id = ID(id)
	if len(p) < 1 {
		return sp, true, short
	}
	sp.kind, p = p[0], p[1:]
	switch sp.kind {
	case slimCreated:
	case slimFollowUp:
		var m []byte
		if m, p, ok = lenPrefixed(p); !ok {
			return sp, true, short
		}
		sp.msgID = string(m)
	default:
		return sp, true, fmt.Errorf("%w: an unknown kind of slim record", ErrJournalDamaged)
	}
	if len(p) < 1 {
		return sp, true, short
	}
	n := int(p[0])
	p = p[1:]
	if n > 3 {
		return sp, true, fmt.Errorf("%w: %d values cut out", ErrJournalDamaged, n)
	}
	sp.cuts = make([]cut, n)
	at := 0
	for i := range sp.cuts {
		if len(p) < 1 {
			return sp, true, short
		}
		what := p[0]
		if what != cutName && what != cutFields && what != cutText {
			return sp, true, fmt.Errorf("%w: an unknown value cut out", ErrJournalDamaged)
		}
		d, k := binary.Uvarint(p[1:])
		if k <= 0 || d > uint64(len(rec)) {
			return sp, true, short
		}
		at += int(d)
		sp.cuts[i] = cut{what: what, from: at}
		p = p[1+k:]
	}
	if n > 0 && at > len(p) {
		return sp, true, short
	}
	sp.body = p
	return sp, true, nil
}

func lenPrefixed(p []byte) (v, rest []byte, ok bool) {
	if len(p) < 1 || len(p) < 1+int(p[0]) {
		return nil, nil, false
	}
	return p[1 : 1+int(p[0])], p[1+int(p[0]):], true
}

// JournalRecordCase returns the case a slim journal record leaves its
// content to; false for a full record, which needs no case.
func JournalRecordCase(rec []byte) (ID, bool) {
	sp, slim, err := parseSlim(rec)
	return sp.id, slim && err == nil
}

// FullJournalRecord returns the journal record rec with its event whole:
// rec itself if it is full, a sealed record's event with its envelope
// encoded again (journalsealed.go), else the event rebuilt from the slim
// record and c, its case, checked against the kept hash
// (ErrJournalDamaged if it does not match).
func FullJournalRecord(seq uint64, rec []byte, c *Case) ([]byte, error) {
	if isSealedRecord(rec) {
		full, err := fullSealedRecord(rec)
		return full, journalErr(seq, err)
	}
	sp, slim, err := parseSlim(rec)
	if err != nil || !slim {
		return rec, journalErr(seq, err)
	}
	if c == nil || c.ID != sp.id {
		return nil, journalErr(seq, fmt.Errorf("%w: its case %s is not here", ErrJournalDamaged, sp.id))
	}
	jc, ok := caseContent(c, sp.kind, sp.msgID)
	if !ok {
		return nil, journalErr(seq, fmt.Errorf("%w: case %s no longer holds the event's content", ErrJournalDamaged, sp.id))
	}
	if sp.prev != nil {
		if got := sha256.Sum256(sp.kept); !bytes.Equal(got[:], sp.sum) {
			return nil, journalErr(seq, fmt.Errorf("%w: case %s: the record's own bytes changed", ErrJournalDamaged, sp.id))
		}
	}
	full := make([]byte, 0, journalHead+len(sp.body)+len(jc.name)+len(jc.text)+64)
	full = append(full, rec[:journalHead]...)
	full = splice(full, sp, jc)
	if sp.prev != nil {
		if !linkedEvent(full[journalHead:], sp, jc, rec[8:journalHead]) {
			return nil, journalErr(seq, fmt.Errorf("%w: case %s", ErrJournalDamaged, sp.id))
		}
		return full, nil
	}
	if got := sha256.Sum256(full[journalHead:]); !bytes.Equal(got[:], sp.sum) {
		return nil, journalErr(seq, fmt.Errorf("%w: case %s", ErrJournalDamaged, sp.id))
	}
	return full, nil
}

// splice appends to b the event of slim record sp with jc's values put
// back where they were cut out.
func splice(b []byte, sp slimParts, jc journalContent) []byte {
	prev := 0
	for _, c := range sp.cuts {
		b = append(b, sp.body[prev:c.from]...)
		b = jc.appendCut(b, c.what)
		prev = c.from
	}
	return append(b, sp.body[prev:]...)
}

func journalErr(seq uint64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("journal entry %d: %w", seq, err)
}
