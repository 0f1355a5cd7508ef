package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// A patient's access-log records form a chain, newest first.
// bucketAuditPatient stays keyed by sequence number, so new entries append
// (patientidx.go); its value is the record's blinded personnummer followed
// by the sequence number of the same patient's previous record (8 bytes,
// big endian; absent for the patient's first). bucketAuditPatientHead
// holds, per blinded personnummer, the patient's newest record.
//
// An extract walks the chain from the head, or from the record a page
// ended at: a page costs its length, not the log's. The newest records,
// after keyAuditPatientUpTo, are an unchained tail of fewer than
// tailLen entries (their value the blinded number alone), which an
// extract scans before it walks the chain: the heads' keys are random, so
// a commit that moves heads rewrites nearly every page of their bucket,
// and they move once per tailLen records (chainTail), not at every
// commit. An older clinicgw reads only the first blindLen bytes of the
// value (scanPatient), so a downgrade still finds the records, and one
// with the chain chains the tail at its first open (chainAuditByPatient).

const bucketAuditPatientHead = "idx-audit-patient-head" // blinded personnummer → newest record

// keyAuditPatientUpTo, in the meta bucket, is the sequence number up to
// which bucketAuditPatient is chained (chainAuditByPatient).
var keyAuditPatientUpTo = []byte("audit-patient-upto")

// tailEntry is a record of the unchained tail: its sequence key and the
// blinded number of its patient.
type tailEntry struct{ key, blinded []byte }

// chainEntries chains entries (in order of the log, after those already
// chained) into their patients' chains, and returns how many of their
// patients had no head before. Each patient's head is read once and
// written once, with the newest of its entries: the entries are taken in
// patient order, so the heads are read in key order by one cursor
// (mostly its next entry, not a search from the root) and written in key
// order; a record's link to the same patient's record before it among
// entries is known without them. A Put under a live cursor may move it:
// entries must have been read out before, and the heads are read before
// anything is put.
func (t *tx) chainEntries(entries []tailEntry) (int, error) {
	if len(entries) == 0 {
		return 0, nil
	}
	order := make([]int32, len(entries))
	for i := range order {
		order[i] = int32(i)
	}
	// Each patient's entries stay in order of the log (ties go by index:
	// the order of a stable sort, at the cost of a plain one).
	slices.SortFunc(order, func(a, b int32) int {
		if c := bytes.Compare(entries[a].blinded, entries[b].blinded); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	links := make([][]byte, len(entries)) // each entry's link: the patient's record before it
	type head struct{ blinded, key []byte }
	var newest []head
	// The heads read and the values put, each in one allocation (bbolt
	// keeps a value until the commit: neither is reused). Should a head
	// be longer than a sequence key (damage), append moves on to a new
	// array and the slices taken before keep the old one.
	heads := make([]byte, 0, 8*len(entries))
	values := make([]byte, 0, len(entries)*(blindLen+8))
	fresh := 0
	c := t.bucket(bucketAuditPatientHead).Cursor()
	k, v := c.Seek(entries[order[0]].blinded)
	for i := 0; i < len(order); {
		b := entries[order[i]].blinded
		for steps := 0; k != nil && bytes.Compare(k, b) < 0; steps++ {
			if steps == 8 { // far ahead: a search is cheaper
				k, v = c.Seek(b)
				break
			}
			k, v = c.Next()
		}
		var prev []byte
		if k != nil && bytes.Equal(k, b) {
			from := len(heads)
			heads = append(heads, v...) // in heads' room: no allocation each
			prev = heads[from:len(heads):len(heads)]
		} else {
			fresh++
		}
		for ; i < len(order) && bytes.Equal(entries[order[i]].blinded, b); i++ {
			links[order[i]] = prev
			prev = entries[order[i]].key
		}
		newest = append(newest, head{b, prev})
	}
	pb := t.bucket(bucketAuditPatient)
	pb.FillPercent = 1
	for i, e := range entries {
		from := len(values)
		values = append(append(values, e.blinded...), links[i]...)
		if err := pb.Put(e.key, values[from:len(values):len(values)]); err != nil {
			return 0, err
		}
	}
	hb := t.bucket(bucketAuditPatientHead)
	for _, h := range newest {
		if err := hb.Put(h.blinded, h.key); err != nil {
			return 0, err
		}
	}
	return fresh, nil
}

// tailPatient appends the record with the sequence key key, about the
// patient with the blinded number blinded, to the unchained tail of
// bucketAuditPatient (its value the blinded number alone, as an older
// clinicgw wrote it). The tail is chained in one go when it reaches
// tailLen records (chainTail): the heads' random keys put nearly
// every page of bucketAuditPatientHead in each commit that moves them, so
// they move once per tailLen records rather than at every commit.
// A read scans the tail (patientTail): at most maxPatientTailLen small
// entries.
func (t *tx) tailPatient(key, blinded []byte) error {
	pb := t.bucket(bucketAuditPatient)
	pb.FillPercent = 1
	return pb.Put(key, blinded)
}

// The unchained tail of bucketAuditPatient is chained when it reaches as
// many records as there were patient heads at the last chaining
// (keyAuditPatientTail), at least patientTailLen and at most
// maxPatientTailLen: a move rewrites nearly every page of the heads, so
// chained every 4096 records a store of 20,000 patients wrote 178 bytes
// of heads per record, more than the record's own entry in the log;
// chained once per as many records as there are heads, a move costs each
// record about one head's share of a page, whatever the patients. An
// extract scans at most maxPatientTailLen small entries.
const (
	patientTailLen    = 4096
	maxPatientTailLen = 16384
)

// keyAuditPatientTail, in the meta bucket, is how long the unchained tail
// grows before it is chained (8 bytes, big endian; absent: patientTailLen).
// An older clinicgw, which ignores it, chains a longer tail at its first
// open.
var keyAuditPatientTail = []byte("audit-patient-tail")

// tailLen is how long the unchained tail grows before it is chained.
func tailLen(meta *bolt.Bucket) uint64 {
	if v := meta.Get(keyAuditPatientTail); len(v) == 8 {
		return min(max(binary.BigEndian.Uint64(v), patientTailLen), maxPatientTailLen)
	}
	return patientTailLen
}

// patientUpTo is the sequence number up to which bucketAuditPatient is
// chained.
func (t *tx) patientUpTo() uint64 {
	if v := t.bucket(bucketMeta).Get(keyAuditPatientUpTo); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// chainTail chains the tail of bucketAuditPatient once the access log's
// head is tailLen records past it, and sets the next tail's length to
// the number of heads.
func (t *tx) chainTail() error {
	upTo, meta := t.patientUpTo(), t.bucket(bucketMeta)
	if t.head.Seq < upTo+tailLen(meta) {
		return nil
	}
	// Counted before the chaining changes the bucket: Stats reads its pages
	// as committed.
	heads := uint64(t.bucket(bucketAuditPatientHead).Stats().KeyN)
	// The tail's keys and blinded numbers copied out into one buffer,
	// then sliced: not two allocations a record.
	var buf []byte
	c := t.bucket(bucketAuditPatient).Cursor()
	for k, v := c.Seek(seqKey(upTo + 1)); k != nil; k, v = c.Next() {
		if len(k) != 8 || len(v) < blindLen {
			return fmt.Errorf("access log's patient index entry %x is malformed", k)
		}
		buf = append(append(buf, k...), v[:blindLen]...)
	}
	const size = 8 + blindLen
	todo := make([]tailEntry, len(buf)/size)
	for i := range todo {
		e := buf[i*size : (i+1)*size : (i+1)*size]
		todo[i] = tailEntry{e[:8:8], e[8:]}
	}
	fresh, err := t.chainEntries(todo)
	if err != nil {
		return err
	}
	if err := meta.Put(keyAuditPatientTail, seqKey(heads+uint64(fresh))); err != nil {
		return err
	}
	return meta.Put(keyAuditPatientUpTo, seqKey(t.head.Seq))
}

// patientTail returns the keys of the unchained records about the patient
// with the blinded number blinded below before (0: all), newest first.
func (t *tx) patientTail(blinded []byte, before uint64) ([][]byte, error) {
	var keys [][]byte
	c := t.bucket(bucketAuditPatient).Cursor()
	for k, v := c.Seek(seqKey(t.patientUpTo() + 1)); k != nil; k, v = c.Next() {
		if before != 0 && binary.BigEndian.Uint64(k) >= before {
			break
		}
		if len(v) < blindLen || !bytes.Equal(v[:blindLen], blinded) {
			continue
		}
		if len(v) != blindLen { // the tail has no links: an edited record
			return nil, fmt.Errorf("access log's patient chain is broken at record %d", binary.BigEndian.Uint64(k))
		}
		keys = append(keys, slices.Clone(k))
	}
	slices.Reverse(keys)
	return keys, nil
}

// chainAuditByPatient chains the entries of bucketAuditPatient after
// keyAuditPatientUpTo: all of them in a store made before the chain, those
// an older clinicgw appended after a downgrade. 10,000 entries per
// transaction; a crash repeats at most the batch it was in.
func (db *DB) chainAuditByPatient(ctx context.Context) error {
	upTo := func(meta *bolt.Bucket) uint64 {
		if v := meta.Get(keyAuditPatientUpTo); len(v) == 8 {
			return binary.BigEndian.Uint64(v)
		}
		return 0
	}
	var current bool
	db.view(func(btx *bolt.Tx) error {
		// A tail shorter than tailLen is read as it is (patientTail).
		meta := btx.Bucket([]byte(bucketMeta))
		k, _ := btx.Bucket([]byte(bucketAuditPatient)).Cursor().Seek(seqKey(upTo(meta) + tailLen(meta)))
		current = k == nil
		return nil
	})
	if current {
		return nil // an Update, even one that changes nothing, would commit
	}
	const batch = 10000
	total := 0
	for {
		n := 0
		err := db.update(func(btx *bolt.Tx) error {
			t := db.newTx(btx)
			meta := t.bucket(bucketMeta)
			var todo []tailEntry
			c := t.bucket(bucketAuditPatient).Cursor()
			for k, v := c.Seek(seqKey(upTo(meta) + 1)); k != nil && len(todo) < batch; k, v = c.Next() {
				if err := ctx.Err(); err != nil {
					return err
				}
				if len(k) != 8 || len(v) < blindLen {
					return fmt.Errorf("access log's patient index entry %x is malformed", k)
				}
				todo = append(todo, tailEntry{slices.Clone(k), slices.Clone(v[:blindLen])})
			}
			if _, err := t.chainEntries(todo); err != nil {
				return err
			}
			n = len(todo)
			if n == 0 {
				return nil
			}
			return meta.Put(keyAuditPatientUpTo, todo[n-1].key)
		})
		if err != nil {
			return fmt.Errorf("chain the access log by patient: %w", err)
		}
		total += n
		if n < batch {
			if total > 0 {
				db.log.Info("access log chained by patient", "records", total)
			}
			return nil
		}
	}
}

// patientChain walks the chain of the patient with the blinded number
// blinded from next (a sequence key; nil: none), calling fn with each
// record's key, newest first, until fn returns false.
func (t *tx) patientChain(blinded, next []byte, fn func(key []byte) (bool, error)) error {
	pb := t.bucket(bucketAuditPatient)
	var last []byte
	for len(next) == 8 {
		v := pb.Get(next)
		// Each link goes to an older record of the same patient: a damaged
		// or edited link is an error, never a loop.
		if len(v) < blindLen || !bytes.Equal(v[:blindLen], blinded) || (last != nil && bytes.Compare(next, last) >= 0) {
			return fmt.Errorf("access log's patient chain is broken at record %d", binary.BigEndian.Uint64(next))
		}
		last = next
		if ok, err := fn(next); err != nil || !ok {
			return err
		}
		next = v[blindLen:]
	}
	return nil
}

// AuditByPatient calls fn for the records about one patient, oldest first.
// It reads the patient's whole chain first; AuditByPatientDesc reads a page.
func (t *tx) AuditByPatient(pnr personnummer.Personnummer, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	b := t.blind(string(pnr))
	keys, err := t.patientTail(b, 0)
	if err != nil {
		return err
	}
	err = t.patientChain(b, t.bucket(bucketAuditPatientHead).Get(b), func(k []byte) (bool, error) {
		keys = append(keys, k)
		return true, nil
	})
	if err != nil {
		return err
	}
	for i := len(keys) - 1; i >= 0; i-- {
		r, err := t.auditRecord(keys[i])
		if err != nil {
			return err
		}
		if !fn(r) {
			return nil
		}
	}
	return nil
}

// AuditByPatientDesc calls fn for the records about one patient with a
// sequence number below before (0: from the newest), newest first, until
// fn returns false. before must be one of the patient's records (the
// last of the previous page). It reads only as far as fn goes.
func (t *tx) AuditByPatientDesc(pnr personnummer.Personnummer, before uint64, fn func(audit.Record) bool) error {
	if err := t.putPending(); err != nil {
		return err
	}
	b := t.blind(string(pnr))
	next := t.bucket(bucketAuditPatientHead).Get(b)
	if upTo := t.patientUpTo(); before == 0 || before > upTo {
		// The unchained tail first, then the chain from the head.
		tail, err := t.patientTail(b, before)
		if err != nil {
			return err
		}
		if before != 0 {
			v := t.bucket(bucketAuditPatient).Get(seqKey(before))
			if len(v) < blindLen || !bytes.Equal(v[:blindLen], b) {
				return fmt.Errorf("access log page: record %d is not about this patient: %w", before, cases.ErrInvalidInput)
			}
			if len(v) != blindLen { // the tail has no links: an edited record
				return fmt.Errorf("access log's patient chain is broken at record %d", before)
			}
		}
		for _, k := range tail {
			r, err := t.auditRecord(k)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
		before = 0
	}
	if before != 0 {
		v := t.bucket(bucketAuditPatient).Get(seqKey(before))
		if len(v) < blindLen || !bytes.Equal(v[:blindLen], b) {
			return fmt.Errorf("access log page: record %d is not about this patient: %w", before, cases.ErrInvalidInput)
		}
		next = v[blindLen:]
		if len(next) == 8 && binary.BigEndian.Uint64(next) >= before {
			return fmt.Errorf("access log's patient chain is broken at record %d", before)
		}
	}
	return t.patientChain(b, next, func(k []byte) (bool, error) {
		r, err := t.auditRecord(k)
		if err != nil {
			return false, err
		}
		return fn(r), nil
	})
}
