package central

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// pageOverhead is room for an inbox page's own members besides its events.
const pageOverhead = 512

// inboxPage returns the canonical encoding of the page answering q (as
// wire.Marshal writes an InboxPage), the number of events in it and its
// cursor. Each stored event must be one wire.Marshal wrote whose seq is
// its key; one that is not is an error, never served.
//
// The page is built in pb's buffer, grown to its size if it is smaller:
// the events it holds are picked first (a sealed value is longer than
// the event it holds), then each is opened straight onto the buffer
// (opener), so serving a page allocates per page, not per event, and
// with pb kept from a page before (inboxbuf.go) not a page's bytes. The
// page returned is in pb, valid until pb is reused.
func (s *Store) inboxPage(tx *bolt.Tx, unit string, q wire.InboxQuery, chained bool, pb *pageBuf) ([]byte, int, uint64, error) {
	c := unitBucket(tx, unit).Bucket([]byte(bucketEvents)).Cursor()
	evs := pb.evs[:0]
	defer func() { pb.evs = evs }()
	more := false
	size := pageOverhead
	for k, v := c.Seek(seqKey(q.After + 1)); k != nil; k, v = c.Next() {
		if len(evs) == q.Limit || (len(evs) > 0 && size+len(v)+1 > wire.MaxBodyBytes) {
			more = true
			break
		}
		if cap(evs) == 0 {
			evs = make([]storedRec, 0, q.Limit)
		}
		evs = append(evs, storedRec{k, v})
		size += len(v) + 1
	}
	buf := pb.b[:0]
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	defer func() { pb.b = buf[:0] }()
	buf = append(buf, `{"events":[`...)
	cursor := q.After
	op := s.opener()
	var where []byte
	for i, e := range evs {
		seq := binary.BigEndian.Uint64(e.k)
		if i > 0 {
			buf = append(buf, ',')
		}
		start := len(buf)
		where = appendEventWhere(where[:0], unit, e.k)
		var err error
		if buf, err = op.appendOpen(buf, where, e.v); err != nil { // sealed at rest (atrest.go)
			return nil, 0, 0, fmt.Errorf("read event %d: %w", seq, err)
		}
		ev, ok := storedEvent(buf[start:], seq)
		if !ok {
			return nil, 0, 0, fmt.Errorf("read event %d: the stored record is not an event encoded for sequence number %d", seq, seq)
		}
		if !chained {
			ev = v1Event(ev)
		}
		buf = buf[:start+len(ev)]
		cursor = seq
	}
	buf = append(buf, `],"cursor":`...)
	buf = strconv.AppendUint(buf, cursor, 10)
	buf = append(buf, `,"more":`...)
	buf = strconv.AppendBool(buf, more)
	if chained {
		buf = appendChain(buf, tx, unit, q.After, cursor)
	}
	buf = append(buf, "}\n"...)
	if len(buf) > wire.MaxBodyBytes {
		return nil, 0, 0, fmt.Errorf("inbox page of %d bytes is over the limit", len(buf))
	}
	return buf, len(evs), cursor, nil
}

// v1Event cuts a stored event, in place, to what protocol v1 has: without
// the case's formVersion, which only v2 carries. Marshal writes it as the
// case's last member; a member name cannot occur inside a JSON string,
// whose quotes are escaped.
func v1Event(ev []byte) []byte {
	const member = `,"formVersion":`
	i := bytes.Index(ev, []byte(member))
	if i < 0 {
		return ev
	}
	j := i + len(member)
	for j < len(ev) && ev[j] >= '0' && ev[j] <= '9' {
		j++
	}
	return append(ev[:i], ev[j:]...)
}

// storedEvent returns a stored event's encoding without its final newline
// if it is shaped as wire.Marshal writes an Event with Seq seq: an object
// whose first member is that seq, and one line.
func storedEvent(v []byte, seq uint64) ([]byte, bool) {
	v, ok := bytes.CutSuffix(v, []byte("\n"))
	if !ok || len(v) < 2 || v[len(v)-1] != '}' || bytes.IndexByte(v, '\n') >= 0 {
		return nil, false
	}
	var want [32]byte
	prefix := strconv.AppendUint(append(want[:0], `{"seq":`...), seq, 10)
	prefix = append(prefix, ',')
	return v, bytes.HasPrefix(v, prefix)
}
