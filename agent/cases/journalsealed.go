package cases

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// A sealed record (store schema 5: an older clinicgw, which would take it
// for a whole event, refuses the store) keeps a sealed
// event (wire.Event.Sealed) with its envelope as raw bytes instead of
// the base64 the event carries it in: a quarter smaller, and it needs no
// case record. After the head: the mark journalSealed, the envelope's
// length and the length of the event without the envelope's value (two
// uvarints), where in that the value was (a uvarint), the envelope, then
// the event with the value (the quoted base64) cut out.
//
// The rebuild is exact: the value cut out is strict padded base64
// (base64.StdEncoding.Strict) with exactly the length of the envelope's
// encoding, so nothing in it was ignored by the decoder and encoding the
// envelope again gives the same characters. A record is made so only
// where that holds and the quoted value is a byte range of the event; a
// record that does not rebuild (cut short, lengths out of bounds) is
// ErrJournalDamaged.
const journalSealed = 0x02

var strictB64 = base64.StdEncoding.Strict()

// wholeRecord returns the record of a journal entry that is not made
// slim: a sealed record where its event is sealed and the envelope's
// value rebuilds exactly, else the event's bytes as they are.
func (e JournalEntry) wholeRecord() []byte {
	if rec, ok := e.sealedRecord(); ok {
		return rec
	}
	return e.record()
}

// sealedRecord returns e's sealed record; false if e.Wire is not a
// sealed event whose envelope is in e.Event as its canonical base64.
func (e JournalEntry) sealedRecord() ([]byte, bool) {
	ev := e.Wire
	if ev == nil || ev.Sealed == "" || len(ev.Sealed)%4 != 0 {
		return nil, false
	}
	from, to, found := findValue(e.Event, 0, `"sealed":`, func(b []byte) int {
		return matchJSONString(b, ev.Sealed)
	})
	if !found {
		return nil, false
	}
	n := len(ev.Sealed) / 4 * 3 // the envelope's length
	for i := len(ev.Sealed) - 1; i >= len(ev.Sealed)-2 && ev.Sealed[i] == '='; i-- {
		n--
	}
	rest := len(e.Event) - (to - from)
	rec := e.head(make([]byte, 0, journalHead+1+3*binary.MaxVarintLen64+n+rest))
	rec = append(rec, journalSealed)
	rec = binary.AppendUvarint(rec, uint64(n))
	rec = binary.AppendUvarint(rec, uint64(rest))
	rec = binary.AppendUvarint(rec, uint64(from))
	at := len(rec)
	rec = rec[:at+n]
	m, err := strictB64.Decode(rec[at:], e.Event[from+1:to-1])
	if err != nil || m != n || n == 0 || strictB64.EncodedLen(n) != to-from-2 {
		return nil, false
	}
	rec = append(rec, e.Event[:from]...)
	return append(rec, e.Event[to:]...), true
}

// isSealedRecord says whether rec is a sealed record.
func isSealedRecord(rec []byte) bool {
	return len(rec) > journalHead && rec[journalHead] == journalSealed
}

// fullSealedRecord returns sealed record rec with its event whole.
func fullSealedRecord(rec []byte) ([]byte, error) {
	short := fmt.Errorf("%w: the sealed record is cut short or damaged", ErrJournalDamaged)
	p := rec[journalHead+1:]
	var v [3]uint64 // the envelope's length, the rest's, where the value goes
	for i := range v {
		x, k := binary.Uvarint(p)
		if k <= 0 || x > uint64(len(rec)) {
			return nil, short
		}
		v[i], p = x, p[k:]
	}
	n, rest, at := int(v[0]), int(v[1]), int(v[2])
	if n == 0 || n+rest != len(p) || at > rest {
		return nil, short
	}
	env, body := p[:n], p[n:]
	full := make([]byte, 0, journalHead+rest+2+strictB64.EncodedLen(n))
	full = append(full, rec[:journalHead]...)
	full = append(full, body[:at]...)
	full = append(full, '"')
	full = strictB64.AppendEncode(full, env)
	full = append(full, '"')
	return append(full, body[at:]...), nil
}
