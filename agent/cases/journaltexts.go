package cases

import (
	"bytes"

	"clinicgw/sync/wire"
)

// WireTexts are a new case's texts as a central event holds them
// encoded: the patient's name, the form's answers and the text, each
// the bytes of the event a slim journal record cuts out (journalslim.go:
// the canonical encoding of the event's value), where they hold no '<',
// '>' or '&' — the only characters json.Marshal's encoding, a case
// record's, writes otherwise (escaped). A store that encodes the case
// copies them instead of quoting the values again (WireTextsTaker); each
// is given only for a value equal to the event's. They are bytes of the
// page the event came in: valid while the page applies, never to be
// kept after its transaction.
type WireTexts struct {
	name   string
	fields []wire.Field
	text   string
	// json.Marshal's encodings of name, fields (the list) and text;
	// nil where the event holds none to copy.
	nameJSON, fieldsJSON, textJSON []byte
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
	if w == nil || w.nameJSON == nil || name != w.name {
		return nil
	}
	return w.nameJSON
}

// TextJSON returns json.Marshal's encoding of text, nil if w does not
// hold it.
func (w *WireTexts) TextJSON(text string) []byte {
	if w == nil || w.textJSON == nil || text != w.text {
		return nil
	}
	return w.textJSON
}

// FieldsJSON returns json.Marshal's encoding of the list fs, nil if w
// does not hold it.
func (w *WireTexts) FieldsJSON(fs []Field) []byte {
	if w == nil || w.fieldsJSON == nil || len(fs) != len(w.fields) {
		return nil
	}
	for i := range fs {
		if fs[i] != Field(w.fields[i]) {
			return nil
		}
	}
	return w.fieldsJSON
}

// wireTexts returns the WireTexts of a slim record's case.created event
// from the values it cut out of event (cuts, in the order found) and
// jc, what they hold.
func wireTexts(event []byte, cuts []cut, jc journalContent) WireTexts {
	w := WireTexts{name: jc.name, fields: jc.wire, text: jc.text}
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
