package cases

import (
	"bytes"

	"clinicgw/sync/wire"
)

// WireTexts are a new case's texts as its central event holds them
// encoded: the patient's name, the form's answers and the text, each
// the bytes of the event a slim journal record cuts out (journalslim.go:
// the canonical encoding of the event's value), where they hold no '<',
// '>' or '&' — the only characters json.Marshal's encoding, a case
// record's, writes otherwise (escaped). A store that encodes the case
// copies them instead of quoting the values again (WireTextsTaker); each
// is given only for a value equal to the event's. They are bytes of the
// page the event came in: valid while the page applies, never to be
// kept after its transaction.
//
// The journal's records are made beside the transaction (ApplyChained),
// so the texts may not be found yet when the transaction inserts the
// case: its methods wait until they are, on the goroutine that encodes
// the case (the store's sealing goroutine), not the transaction's.
type WireTexts struct {
	ready <-chan struct{} // closed when texts is made
	texts *caseTexts
}

// caseTexts are what WireTexts give.
type caseTexts struct {
	name   string
	fields []wire.Field
	text   string
	// json.Marshal's encodings of name, fields (the list) and text;
	// nil where the event holds none to copy.
	nameJSON, fieldsJSON, textJSON []byte
}

// made waits until w's texts are found and returns them; nil if w is.
func (w *WireTexts) made() *caseTexts {
	if w == nil {
		return nil
	}
	<-w.ready
	return w.texts
}

// WireTextsTaker is a Tx that takes, before a new case's InsertPrepared
// or Insert, the encodings of its texts (WireTexts) to copy into its
// record. Nothing changes but how the record's bytes are made.
type WireTextsTaker interface {
	TakeWireTexts(c *Case, w *WireTexts)
}

// NameJSON returns json.Marshal's encoding of name, nil if w does not
// hold it.
func (w *WireTexts) NameJSON(name string) []byte {
	t := w.made()
	if t == nil || t.nameJSON == nil || name != t.name {
		return nil
	}
	return t.nameJSON
}

// TextJSON returns json.Marshal's encoding of text, nil if w does not
// hold it.
func (w *WireTexts) TextJSON(text string) []byte {
	t := w.made()
	if t == nil || t.textJSON == nil || text != t.text {
		return nil
	}
	return t.textJSON
}

// FieldsJSON returns json.Marshal's encoding of the list fs, nil if w
// does not hold it.
func (w *WireTexts) FieldsJSON(fs []Field) []byte {
	t := w.made()
	if t == nil || t.fieldsJSON == nil || len(fs) != len(t.fields) {
		return nil
	}
	for i := range fs {
		if fs[i] != Field(t.fields[i]) {
			return nil
		}
	}
	return t.fieldsJSON
}

// wireTexts returns the texts of a slim record's case.created event
// from the values it cut out of event (cuts, in the order found) and
// jc, what they hold.
func wireTexts(event []byte, cuts []cut, jc journalContent) caseTexts {
	w := caseTexts{name: jc.name, fields: jc.wire, text: jc.text}
	for _, c := range cuts {
		b := event[c.from:c.to:c.to]
		if !htmlFree(b) {
			continue
		}
		switch c.what {
		case cutName:
			w.nameJSON = b
		case cutFields:
			w.fieldsJSON = b
		case cutText:
			w.textJSON = b
		}
	}
	return w
}

// htmlFree reports whether b holds no '<', '>' or '&'.
func htmlFree(b []byte) bool {
	return bytes.IndexByte(b, '<') < 0 && bytes.IndexByte(b, '>') < 0 && bytes.IndexByte(b, '&') < 0
}
