package store

import (
	"bytes"

	"clinicgw/agent/cases"
)

// The group queue index (cases.ByQueue): one key per case waiting in a
// staff group's queue — received, unassigned, routed to a group — the
// group's id, 0 and the case id, so a group's queue is a walk over its own
// keys, oldest first, however many cases the unit holds. A case leaves it
// in the transaction that takes, moves or closes it. Cases got groups
// with this index, so an existing store has none to add: the bucket is
// made empty on open (addedBuckets).
const bucketByQueue = "idx-queue"

// queueEntries is the case's entry in the queue index, if it waits in one.
func (v indexValues) queueEntries(bid []byte) []indexEntry {
	if v.group == "" || v.assignee != "" || v.status != cases.Received {
		return nil
	}
	return []indexEntry{{bucketByQueue, catKey([]byte(v.group), sep, bid), nil}}
}

// CountQueues counts the cases waiting in each group's queue from the
// queue index alone (cases.QueueCounter): a key per waiting case, none
// decoded.
func (t *tx) CountQueues() (map[string]int, bool, error) {
	if err := t.putPending(); err != nil {
		return nil, false, err
	}
	out := map[string]int{}
	c := t.bucket(bucketByQueue).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if i := bytes.IndexByte(k, 0); i > 0 {
			out[string(k[:i])]++
		}
	}
	return out, true, nil
}

var _ cases.QueueCounter = (*tx)(nil)
