package store

import (
	"bytes"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// A new case's entries in the case id index and the case indexes
// (InsertPrepared) are put with the transaction's pending values
// (putPending), each bucket's sorted, not one by one as the cases come.
// A backlog's case ids are ordered only to the millisecond (the central
// store takes a thousand cases at once), and bbolt splits a node only at
// the commit: put in the order of the page, each entry landed in the
// middle of a node that held the commit's earlier entries, and bbolt
// moved the rest of them (memmove and GC write barriers on the one
// goroutine that applies a backlog); put sorted, each lands after the one
// before. A read of a bucket that holds pending entries puts them all
// first (tx.bucket), so whatever reads the store in the transaction finds
// them; a new case's id is found pending by pendingCase until then.

// pendingIndexPuts are the case-index entries of a transaction's new
// cases not yet put, by bucket, in order of first use.
type pendingIndexPuts struct {
	n       int
	buckets []pendingBucket
	order   []int32 // a bucket's entries in key order (putIndexPending)
	err     error   // a failed put: the transaction is to be given up
}

type pendingBucket struct {
	name string
	kvs  []pendingKV
}

type pendingKV struct{ key, value []byte }

// deferPut notes an entry of bucket, a case index or the case id index,
// to put with the pending values.
func (t *tx) deferPut(bucket string, key, value []byte) error {
	if len(key) == 0 || len(key) > bolt.MaxKeySize {
		return fmt.Errorf("index %s: key of %d bytes", bucket, len(key))
	}
	p := &t.idxPuts
	var b *pendingBucket
	for i := range p.buckets {
		if p.buckets[i].name == bucket {
			b = &p.buckets[i]
			break
		}
	}
	if b == nil {
		p.buckets = append(p.buckets, pendingBucket{name: bucket})
		b = &p.buckets[len(p.buckets)-1]
	}
	b.kvs = append(b.kvs, pendingKV{key, value})
	p.n++
	return nil
}

// holds reports whether bucket has entries not yet put.
func (p *pendingIndexPuts) holds(bucket string) bool {
	if p.n == 0 {
		return false
	}
	for i := range p.buckets {
		if p.buckets[i].name == bucket && len(p.buckets[i].kvs) > 0 {
			return true
		}
	}
	return false
}

// putIndexPending puts the noted entries, each bucket's in key order.
func (t *tx) putIndexPending() error {
	p := &t.idxPuts
	if p.err != nil {
		return p.err
	}
	if p.n == 0 {
		return nil
	}
	for i := range p.buckets {
		pb := &p.buckets[i]
		if len(pb.kvs) == 0 {
			continue
		}
		// Sorted by index: a swap moves 4 bytes, not the entry.
		order := p.order[:0]
		for i := range pb.kvs {
			order = append(order, int32(i))
		}
		kvs := pb.kvs
		slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(kvs[a].key, kvs[b].key) })
		p.order = order
		b := t.btx.Bucket([]byte(pb.name))
		if b == nil {
			p.err = fmt.Errorf("index %s: no such bucket", pb.name)
			return p.err
		}
		b.FillPercent = indexFill
		if pb.name == bucketCaseIDs {
			t.forgetIDBound()
			if !t.keepsRecent {
				t.changedIDs() // not in the ids DB.Update's transaction hands on
			}
		}
		for _, i := range order {
			if err := b.Put(kvs[i].key, kvs[i].value); err != nil {
				p.err = fmt.Errorf("index %s: %w", pb.name, err)
				return p.err
			}
		}
		clear(pb.kvs)
		pb.kvs = pb.kvs[:0]
	}
	p.n = 0
	return nil
}
