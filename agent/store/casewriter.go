package store

import (
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
)

// New cases are encoded and sealed on a second goroutine while the
// transaction goes on: on a page of new cases from the central store that
// is most of the work per case, and the transaction's own goroutine is the
// one that bounds the sync's speed. Their puts still happen on the
// transaction's goroutine, in order of Insert, before anything reads the
// cases bucket back (Case or Update of a pending case, Cases) and before
// the commit, so what a transaction reads and commits is unchanged. The
// nonces are drawn on the transaction's goroutine, so the store's random
// source is never read from two goroutines.

// caseJob is one new case to encode and seal.
type caseJob struct {
	c      *cases.Case
	key    []byte
	nonce  [nonceLen]byte
	sealed []byte
	err    error
	done   chan struct{}
}

// caseWriter is a transaction's encoding goroutine and its pending cases,
// in order of Insert.
type caseWriter struct {
	jobs    chan *caseJob
	exited  chan struct{}
	pending []*caseJob
	ids     map[cases.ID]bool // the pending cases' ids
}

// writerQueue is how many cases may wait to be encoded.
const writerQueue = 256

func (t *tx) writer() *caseWriter {
	if t.cw == nil {
		w := &caseWriter{jobs: make(chan *caseJob, writerQueue), exited: make(chan struct{}), ids: make(map[cases.ID]bool)}
		s := t.s
		go func() {
			defer close(w.exited)
			for j := range w.jobs {
				j.sealed, j.err = sealCase(s, j.c, j.key, j.nonce[:])
				close(j.done)
			}
		}()
		t.cw = w
	}
	return t.cw
}

// sealCase encodes and seals a case for its key with the given nonce.
func sealCase(s *sealer, c *cases.Case, key, nonce []byte) ([]byte, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	return s.sealWithNonce(bucketCases, key, nonce, plain), nil
}

// queueCase hands a new case to the encoding goroutine. c must not change
// until the transaction ends (the cases service never changes a case it
// has handed to the store).
func (t *tx) queueCase(c *cases.Case) error {
	w := t.writer()
	j := &caseJob{c: c, key: []byte(c.ID), done: make(chan struct{})}
	if err := t.s.nonce(j.nonce[:]); err != nil {
		return err
	}
	w.pending = append(w.pending, j)
	w.ids[c.ID] = true
	w.jobs <- j
	return nil
}

// pendingCase reports whether a new case with id waits to be put.
func (t *tx) pendingCase(id cases.ID) bool { return t.cw != nil && t.cw.ids[id] }

// putPending puts every pending case, in order of Insert, waiting for
// their encodings.
func (t *tx) putPending() error {
	if t.cw == nil || len(t.cw.pending) == 0 {
		return nil
	}
	w := t.cw
	b := t.bucket(bucketCases)
	b.FillPercent = 0.9 // ids are time-ordered: mostly appends
	for i, j := range w.pending {
		<-j.done
		if j.err != nil {
			w.pending = w.pending[i:]
			return j.err
		}
		if err := b.Put(j.key, j.sealed); err != nil {
			w.pending = w.pending[i:]
			return err
		}
		w.pending[i] = nil
		delete(w.ids, j.c.ID)
	}
	w.pending = w.pending[:0]
	return nil
}

// stopWriter ends the encoding goroutine, if one was started, and waits
// for it. What is still pending is dropped with the transaction.
func (t *tx) stopWriter() {
	if t.cw == nil {
		return
	}
	close(t.cw.jobs)
	<-t.cw.exited
	t.cw = nil
}
