package cases

import (
	"encoding/json"

	"clinicgw/sync/wire"
)

// A linked slim record (journalSlimLinked) is a slim record that keeps,
// instead of the hash of its whole event, the chain's link before the
// event and the hash of only the bytes it keeps: the rest of the record
// after that hash (the case and message ids, the cuts, the event without
// its content). The record's head holds the event's own link
// (wire.NextLink), which the uplink computed over the event's content
// and checked against the central store's chain, so the content need
// not be hashed a second time: after the mark, the link before (32
// bytes), the hash (32 bytes), then the slim record's fields as after
// journalSlim's hash.
//
// Given back, the event is rebuilt as from a slim record and accepted
// only if (1) the kept bytes hash to the kept hash, (2) the rebuilt event
// decodes, and each value put back is what the decoded event holds in
// that member, and (3) the decoded event's link after the link before is
// the record's link. Then the event is the central store's byte for
// byte: (1) makes every byte but the values put back the same; the link
// commits to every value of the event, so (2) and (3) make the values
// put back the values the central store sent (a SHA-256 collision
// aside), and their canonical encodings, which the rebuild writes, are
// the bytes that were cut out (the record was made slim only so). (2)
// also refuses a value put back where the decoder takes another (a
// member repeated or unknown to it).
//
// A record is made linked only where the link before is known to be the
// event's (JournalEntry.Checked, an entry after the first of its page:
// ApplyChained); the first of a page keeps the hash of its event
// (journalSlim). Records of either form are read.
const journalSlimLinked = 0x03

// linkedSlimRecord is slimRecord for an event whose link in the chain
// after prev is e.Link: the record keeps prev and a hash of only what it
// keeps of the event.
func (e JournalEntry) linkedSlimRecord(prev *[32]byte) (slimJournal, bool) { return e.slim(prev) }

// linkedEvent reports whether event, rebuilt from the linked slim record
// sp with the case record's content jc, decodes to an event that holds
// jc's values where they were put back and whose link after sp.prev is
// link.
func linkedEvent(event []byte, sp slimParts, jc journalContent, link []byte) bool {
	var ev wire.Event
	if json.Unmarshal(event, &ev) != nil {
		return false
	}
	for _, c := range sp.cuts {
		var ok bool
		switch {
		case c.what == cutName:
			ok = ev.Case != nil && ev.Case.Patient.Name == jc.name
		case c.what == cutFields:
			ok = ev.Case != nil && len(ev.Case.Fields) == jc.nfields()
			for i := 0; ok && i < len(ev.Case.Fields); i++ {
				ok = Field(ev.Case.Fields[i]) == jc.field(i)
			}
		case sp.kind == slimCreated:
			ok = ev.Case != nil && ev.Case.Text == jc.text
		default:
			ok = ev.Message != nil && ev.Message.Text == jc.text
		}
		if !ok {
			return false
		}
	}
	return wire.NextLink(wire.Link(sp.prev), ev) == wire.Link(link)
}
