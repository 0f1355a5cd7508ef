package cases_test

import (
	"errors"
	"maps"
	"slices"

	"clinicgw/agent/cases"
)

// memCont is the in-memory store's continuity state (cases.ContinuityTx).
type memCont struct {
	head    cases.SyncHead
	hasHead bool
	logs    map[cases.SyncLog]map[uint64][]byte
	next    map[cases.SyncLog]uint64
}

func (c memCont) clone() memCont {
	out := memCont{head: c.head, hasHead: c.hasHead, logs: map[cases.SyncLog]map[uint64][]byte{}, next: maps.Clone(c.next)}
	for k, v := range c.logs {
		out.logs[k] = maps.Clone(v)
	}
	if out.next == nil {
		out.next = map[cases.SyncLog]uint64{}
	}
	return out
}

func (tx *memTx) SyncHead() (cases.SyncHead, bool, error) { return tx.cont.head, tx.cont.hasHead, nil }

func (tx *memTx) SyncLog(log cases.SyncLog, after uint64, fn func(uint64, []byte) bool) error {
	keys := slices.Sorted(maps.Keys(tx.cont.logs[log]))
	for _, k := range keys {
		if k > after && !fn(k, tx.cont.logs[log][k]) {
			break
		}
	}
	return nil
}

func (tx *memTx) OutboxItem(key string) (cases.Outbound, bool, error) {
	for _, o := range tx.outbox {
		if o.Key == key {
			return o, true, nil
		}
	}
	return cases.Outbound{}, false, nil
}

func (tx *memTx) SetSyncHead(h cases.SyncHead) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	tx.cont.head, tx.cont.hasHead = h, true
	return nil
}

func (tx *memTx) PutSyncLog(log cases.SyncLog, pos uint64, rec []byte) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	if pos == 0 {
		tx.cont.next[log]++
		pos = tx.cont.next[log]
	}
	if tx.cont.logs[log] == nil {
		tx.cont.logs[log] = map[uint64][]byte{}
	}
	tx.cont.logs[log][pos] = slices.Clone(rec)
	return nil
}

func (tx *memTx) DeleteSyncLog(log cases.SyncLog, pos uint64) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	delete(tx.cont.logs[log], pos)
	return nil
}
