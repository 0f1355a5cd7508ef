package store

import (
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// New cases, new access-log records and the sync logs' records (the
// journal's copy of each central event, continuity.go) are encoded and
// sealed on a second goroutine while the transaction goes on: on a page
// of new cases from the central store that is most of the work per case,
// and the transaction's own goroutine is the one that bounds the sync's
// speed. Their puts still happen on the transaction's goroutine, in the
// order they were written, before anything reads the cases, the access
// log or a sync log back (Case or Update of a pending case, Cases, the
// access-log queries, SyncLog, DeleteSyncLog) and before the commit, so
// what a transaction reads and commits is unchanged. The nonces
// are drawn on the transaction's goroutine, so the store's random source is
// never read from two goroutines. Values go to the goroutine in batches,
// so that handing one over costs little beside sealing it.

// sealJob is one value to encode and seal for bucket/key.
type sealJob struct {
	bucket string
	key    []byte
	nonce  [nonceLen]byte
	c      *cases.Case      // bucketCases: the new case
	texts  *cases.WireTexts // c's texts encoded, to copy; nil: none
	rec    audit.Made       // bucketAudit: the record, as audit.NextMade made it
	plain  []byte           // a sync log's record (continuity.go), as it is
	sealed []byte
	buf    *pooledSealed // sealed's buffer, from the pools (sealedpool.go); nil if not
	err    error
}

// sealScratch is the sealing goroutine's buffers, used for every value:
// the plain encoding of a case or an access-log record, and the additional
// data.
type sealScratch struct{ plain, ad []byte }

// seal encodes and seals the job's value. A case's or an access-log
// record's plain encoding goes into the goroutine's buffer, kept (grown
// if need be) for the next value: only the sealed value, which bbolt
// holds until the commit, is new.
func (j *sealJob) seal(s *sealer, scratch *sealScratch) {
	plain := scratch.plain[:0]
	switch j.bucket {
	case bucketCases:
		var ok bool
		if plain, ok = appendCaseTexts(plain, j.c, j.texts); !ok {
			plain, j.err = encodeCase(j.c) // says why
		}
	case bucketSyncJournal, bucketOutboxDone:
		plain = j.plain
	default:
		if plain, j.err = j.rec.AppendBinary(plain); j.err != nil {
			j.err = fmt.Errorf("access log: %w", j.err)
		}
	}
	if j.err == nil {
		var into []byte
		if j.buf = getSealed(sealedExtra + len(plain)); j.buf != nil {
			into = j.buf.b
		}
		j.sealed, scratch.ad = s.sealWithNonceAD(into, scratch.ad, j.bucket, j.key, j.nonce[:], plain)
	}
	if j.plain == nil && cap(plain) > cap(scratch.plain) && cap(plain) <= maxScratch {
		scratch.plain = plain[:0]
	}
}

// maxScratch is the largest plain encoding the sealing goroutine keeps its
// buffer for: a case of the largest size, not more.
const maxScratch = 1 << 20

// sealBatch is jobs handed to the goroutine at once; done is closed when
// all are sealed.
type sealBatch struct {
	jobs []sealJob
	done chan struct{}
}

// sealBatchLen is how many values go to the goroutine at once.
const sealBatchLen = 32

// sealBatches are batches put and emptied, to be used again: on a backlog
// a transaction hands over thousands.
var sealBatches = sync.Pool{New: func() any { return &sealBatch{jobs: make([]sealJob, 0, sealBatchLen)} }}

// newSealBatch is an empty batch with its done channel.
func newSealBatch() *sealBatch {
	b := sealBatches.Get().(*sealBatch)
	b.done = make(chan struct{})
	return b
}

// release returns an emptied batch, every job zeroed (nothing of a
// transaction stays reachable from it), for newSealBatch.
func (b *sealBatch) release() {
	clear(b.jobs)
	b.jobs, b.done = b.jobs[:0], nil
	sealBatches.Put(b)
}

// caseWriter is a transaction's sealing goroutine and its pending values,
// in order of writing.
type caseWriter struct {
	batches chan *sealBatch
	exited  chan struct{}
	open    *sealBatch   // not yet handed over
	sent    []*sealBatch // handed over, not yet put
	// put are the pooled buffers of the values put, given back when the
	// transaction has committed (sealedpool.go).
	put []*pooledSealed
	ids map[cases.ID]bool // the new cases' ids (pendingCase)
	// texts are the encoded texts of textsOf, the case whose insert
	// comes next (TakeWireTexts).
	texts   *cases.WireTexts
	textsOf *cases.Case
	err     error // the first failure: the transaction is to be given up
}

// writerQueue is how many batches may wait to be sealed.
const writerQueue = 16

func (t *tx) writer() *caseWriter {
	if t.cw == nil {
		ids := t.spareIDs
		if ids == nil {
			ids = make(map[cases.ID]bool)
		}
		t.spareIDs = nil
		w := &caseWriter{batches: make(chan *sealBatch, writerQueue), exited: make(chan struct{}), ids: ids}
		s := t.s
		go func() {
			defer close(w.exited)
			var scratch sealScratch
			for b := range w.batches {
				for i := range b.jobs {
					b.jobs[i].seal(s, &scratch)
				}
				close(b.done)
			}
		}()
		t.btx.OnCommit(w.recycle)
		t.cw = w
	}
	return t.cw
}

// queue adds a job, with a fresh nonce, and hands the open batch over when
// it is full.
func (t *tx) queue(j sealJob) error {
	w := t.writer()
	if w.open == nil {
		w.open = newSealBatch()
	}
	w.open.jobs = append(w.open.jobs, j)
	// The nonce is drawn into the batch's copy: drawn into j's, j
	// would escape to the heap (the random source is an io.Reader).
	last := &w.open.jobs[len(w.open.jobs)-1]
	if err := t.s.nonce(last.nonce[:]); err != nil {
		w.open.jobs = w.open.jobs[:len(w.open.jobs)-1]
		return err
	}
	if len(w.open.jobs) == sealBatchLen {
		w.handOver()
	}
	return nil
}

// handOver sends the open batch, if any, to the goroutine.
func (w *caseWriter) handOver() {
	if w.open != nil && len(w.open.jobs) > 0 {
		w.batches <- w.open
		w.sent = append(w.sent, w.open)
	}
	w.open = nil
}

// queueCase hands a new case to the sealing goroutine. c must not change
// until the transaction ends (the cases service never changes a case it
// has handed to the store). patients are its blinded personnummer
// (patientValue), for its id index entry.
func (t *tx) queueCase(c *cases.Case, patients []byte) error {
	key, err := t.nextCaseKey(c.ID, len(patients))
	if err != nil {
		return err
	}
	// Its id index entry is put with it (putPending), sorted among the
	// transaction's (caseidxputs.go): the record's key, then patients.
	if err := t.deferPut(bucketCaseIDs, []byte(c.ID), append(key, patients...)); err != nil {
		return fmt.Errorf("case %s: id index: %w", c.ID, err)
	}
	j := sealJob{bucket: bucketCases, key: key[:len(key):len(key)], c: c}
	if w := t.cw; w != nil {
		if w.textsOf == c {
			j.texts = w.texts
		}
		w.texts, w.textsOf = nil, nil
	}
	if err := t.queue(j); err != nil {
		return err
	}
	t.cw.ids[c.ID] = true
	return nil
}

// TakeWireTexts takes the encodings of c's texts as its central event
// holds them (cases.WireTextsTaker), for c's insert, which comes next:
// its record copies them (appendCaseTexts). They are the page's bytes,
// which the sealing goroutine reads before the transaction ends.
func (t *tx) TakeWireTexts(c *cases.Case, w *cases.WireTexts) {
	cw := t.writer()
	cw.texts, cw.textsOf = w, c
}

// queueSyncLog hands a sync log's record to the sealing goroutine. rec
// must not change until the transaction ends.
func (t *tx) queueSyncLog(bucket string, key, rec []byte) error {
	return t.queue(sealJob{bucket: bucket, key: key, plain: rec})
}

// queueAudit hands an access-log record to the sealing goroutine.
func (t *tx) queueAudit(key []byte, rec audit.Made) error {
	return t.queue(sealJob{bucket: bucketAudit, key: key, rec: rec})
}

// pendingCase reports whether id is a new case of this transaction's,
// put or waiting to be put: the id index finds it only once put, and
// what the commit before left (recentids.go) never.
func (t *tx) pendingCase(id cases.ID) bool { return t.cw != nil && t.cw.ids[id] }

// putPending puts every pending value, in order of writing, waiting for
// their sealing.
func (t *tx) putPending() error {
	if err := t.putIndexPending(); err != nil {
		return err
	}
	if err := t.putAuditIndex(); err != nil {
		return err
	}
	if t.cw == nil {
		return nil
	}
	w := t.cw
	if w.err != nil {
		return w.err
	}
	w.handOver()
	var bk *bolt.Bucket // the last job's bucket, for the next of the same
	var bkName string
	for len(w.sent) > 0 {
		b := w.sent[0]
		<-b.done
		for i := range b.jobs {
			j := &b.jobs[i]
			if j.err != nil {
				w.err = j.err
				return j.err
			}
			if bk == nil || j.bucket != bkName {
				bk, bkName = t.bucket(j.bucket), j.bucket
				bk.FillPercent = 1 // all keyed by sequence numbers, which only grow
			}
			if err := bk.Put(j.key, j.sealed); err != nil {
				w.err = fmt.Errorf("%s: %w", j.bucket, err)
				return w.err
			}
			if j.buf != nil {
				w.put = append(w.put, j.buf)
			}
		}
		b.release()
		w.sent[0] = nil
		w.sent = w.sent[1:]
	}
	return nil
}

// recycle gives the buffers of the values put back to their pools: bbolt
// calls it when the transaction has committed, its values written.
func (w *caseWriter) recycle() {
	for i, p := range w.put {
		putSealed(p)
		w.put[i] = nil
	}
	w.put = nil
}

// stopWriter ends the sealing goroutine, if one was started, and waits for
// it. What is still pending is dropped with the transaction.
func (t *tx) stopWriter() {
	if t.scratchOf != nil {
		t.giveScratch(t.scratchOf)
		t.scratchOf = nil
	}
	if t.cw == nil {
		return
	}
	close(t.cw.batches)
	<-t.cw.exited
	t.cw = nil
}
