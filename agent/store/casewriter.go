package store

import (
	"fmt"

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
	c      *cases.Case  // bucketCases: the new case
	rec    audit.Record // bucketAudit: the record
	plain  []byte       // a sync log's record (continuity.go), as it is
	sealed []byte
	err    error
}

// seal encodes and seals the job's value.
func (j *sealJob) seal(s *sealer) {
	var plain []byte
	switch j.bucket {
	case bucketCases:
		plain, j.err = encodeCase(j.c)
	case bucketSyncJournal, bucketOutboxDone:
		plain = j.plain
	default:
		if plain, j.err = j.rec.MarshalBinary(); j.err != nil {
			j.err = fmt.Errorf("access log: %w", j.err)
		}
	}
	if j.err == nil {
		j.sealed = s.sealWithNonce(j.bucket, j.key, j.nonce[:], plain)
	}
}

// sealBatch is jobs handed to the goroutine at once; done is closed when
// all are sealed.
type sealBatch struct {
	jobs []sealJob
	done chan struct{}
}

// sealBatchLen is how many values go to the goroutine at once.
const sealBatchLen = 32

// caseWriter is a transaction's sealing goroutine and its pending values,
// in order of writing.
type caseWriter struct {
	batches chan *sealBatch
	exited  chan struct{}
	open    *sealBatch   // not yet handed over
	sent    []*sealBatch // handed over, not yet put
	ids     map[cases.ID]bool
	err     error // the first failure: the transaction is to be given up
}

// writerQueue is how many batches may wait to be sealed.
const writerQueue = 16

func (t *tx) writer() *caseWriter {
	if t.cw == nil {
		w := &caseWriter{batches: make(chan *sealBatch, writerQueue), exited: make(chan struct{}), ids: make(map[cases.ID]bool)}
		s := t.s
		go func() {
			defer close(w.exited)
			for b := range w.batches {
				for i := range b.jobs {
					b.jobs[i].seal(s)
				}
				close(b.done)
			}
		}()
		t.cw = w
	}
	return t.cw
}

// queue adds a job, with a fresh nonce, and hands the open batch over when
// it is full.
func (t *tx) queue(j sealJob) error {
	w := t.writer()
	if err := t.s.nonce(j.nonce[:]); err != nil {
		return err
	}
	if w.open == nil {
		w.open = &sealBatch{jobs: make([]sealJob, 0, sealBatchLen), done: make(chan struct{})}
	}
	w.open.jobs = append(w.open.jobs, j)
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
// has handed to the store).
func (t *tx) queueCase(c *cases.Case) error {
	key, err := t.nextCaseKey(c.ID)
	if err != nil {
		return err
	}
	// Its id index entry is put with it (putPending), sorted among the
	// transaction's (caseidxputs.go).
	if err := t.deferPut(bucketCaseIDs, indexFill, []byte(c.ID), key); err != nil {
		return fmt.Errorf("case %s: id index: %w", c.ID, err)
	}
	if err := t.queue(sealJob{bucket: bucketCases, key: key, c: c}); err != nil {
		return err
	}
	t.cw.ids[c.ID] = true
	return nil
}

// queueSyncLog hands a sync log's record to the sealing goroutine. rec
// must not change until the transaction ends.
func (t *tx) queueSyncLog(bucket string, key, rec []byte) error {
	return t.queue(sealJob{bucket: bucket, key: key, plain: rec})
}

// queueAudit hands an access-log record to the sealing goroutine.
func (t *tx) queueAudit(key []byte, rec audit.Record) error {
	return t.queue(sealJob{bucket: bucketAudit, key: key, rec: rec})
}

// pendingCase reports whether a new case with id waits to be put.
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
			if j.c != nil {
				delete(w.ids, j.c.ID)
			}
			*j = sealJob{}
		}
		w.sent[0] = nil
		w.sent = w.sent[1:]
	}
	return nil
}

// stopWriter ends the sealing goroutine, if one was started, and waits for
// it. What is still pending is dropped with the transaction.
func (t *tx) stopWriter() {
	if t.cw == nil {
		return
	}
	close(t.cw.batches)
	<-t.cw.exited
	t.cw = nil
}
