package fhirapi

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"clinicgw/agent/cases"
)

// The change feed: GET Task/_changes?_since=TOKEN&_wait=SECONDS is a long
// poll that answers, as a searchset, the Tasks changed after TOKEN (at
// most maxAnswer, read readers at a time so that their access-log
// entries share group commits; after a burst the next link goes on from
// the last one answered), at once if there are any, else as soon as one changes or after _wait
// seconds (at most maxWait) with none; its next link carries the token
// to ask with next. Without _since it answers at once with no Tasks and
// the token of now: a system searches for what is already there
// (_lastUpdated) and then follows the feed. A long poll, rather than a
// FHIR Subscription over a websocket, because it is plain HTTPS through
// the region's proxies, needs no state kept per client, and a client
// that was away simply asks from its last token.
//
// The feed is kept in memory (the last maxFeed changes): a token from
// before a restart of the gateway, or older than that, gets 410 Gone,
// and the system catches up by a _lastUpdated search, then follows from
// a new token.

// maxFeed is how many changes the feed remembers.
const maxFeed = 10000

// maxAnswer bounds the Tasks of one answer: after a burst, the next
// link goes on from the last one answered.
const maxAnswer = 100

// readers is how many of an answer's cases are read at once: their
// access-log entries share the store's group commits instead of one
// commit after another.
const readers = 16

// maxWait bounds _wait: below the usual proxy idle timeouts.
const maxWait = 30

type feed struct {
	epoch string // this process's: tokens of another are stale
	mu    sync.Mutex
	seq   uint64
	items []feedItem // the last maxFeed, oldest first
	wake  chan struct{}
}

type feedItem struct {
	seq uint64
	id  cases.ID
}

func newFeed() *feed {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return &feed{epoch: hex.EncodeToString(b), wake: make(chan struct{})}
}

// add records that the cases ids changed and wakes the waiting polls.
func (f *feed) add(ids []cases.ID) {
	if len(ids) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.seq++
		f.items = append(f.items, feedItem{f.seq, id})
	}
	if over := len(f.items) - maxFeed; over > 0 {
		f.items = slices.Delete(f.items, 0, over)
	}
	close(f.wake)
	f.wake = make(chan struct{})
}

var errStaleToken = errors.New("stale token")

// since returns the distinct cases changed after seq, at most
// maxAnswer of them, the position to ask from next (the feed's position
// now, or that of the last change answered when there are more), and a
// channel closed at the next change.
func (f *feed) since(seq uint64) (ids []cases.ID, next uint64, wake <-chan struct{}, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if seq > f.seq || len(f.items) > 0 && seq+1 < f.items[0].seq {
		return nil, 0, nil, errStaleToken
	}
	next = f.seq
	i, _ := slices.BinarySearchFunc(f.items, seq+1, func(it feedItem, s uint64) int { return cmp.Compare(it.seq, s) })
	for _, it := range f.items[i:] {
		if slices.Contains(ids, it.id) {
			continue
		}
		if len(ids) == maxAnswer {
			next = it.seq - 1
			break
		}
		ids = append(ids, it.id)
	}
	return ids, next, f.wake, nil
}

// now is the feed's position.
func (f *feed) now() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seq
}

func (f *feed) token(seq uint64) string { return f.epoch + "." + strconv.FormatUint(seq, 10) }

// parseToken is a token's position; errStaleToken for another process's.
func (f *feed) parseToken(tok string) (uint64, error) {
	epoch, n, ok := strings.Cut(tok, ".")
	seq, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil {
		return 0, badRequest("_since: not a token from this feed's next link")
	}
	if epoch != f.epoch {
		return 0, errStaleToken
	}
	return seq, nil
}

// Notify tells the feed that cases changed: give it the case service's
// changes (cases.ServiceConfig.OnChange).
func (s *Server) Notify(ch cases.Change) { s.feed.add(ch.IDs) }

func (s *Server) changes(w http.ResponseWriter, r *http.Request, c caller) {
	q := r.URL.Query()
	err := only(q, "_since", "_wait")
	var tok string
	if err == nil {
		tok, err = one(q, "_since")
	}
	wait := 0
	if v, werr := one(q, "_wait"); err == nil && werr != nil {
		err = werr
	} else if err == nil && v != "" {
		if wait, err = strconv.Atoi(v); err != nil || wait < 0 || wait > maxWait {
			err = badRequest("_wait: expected a whole number of seconds from 0 to 30")
		}
	}
	var seq uint64
	if err == nil && tok != "" {
		seq, err = s.feed.parseToken(tok)
	}
	if errors.Is(err, errStaleToken) {
		fail(w, http.StatusGone, "not-found", "this token is from before the gateway restarted, or too old: catch up with a Task search by _lastUpdated, then follow the feed from a new token (Task/_changes without _since)")
		return
	}
	if err != nil {
		refuse(w, err)
		return
	}
	var ids []cases.ID
	var now uint64
	if tok == "" {
		now = s.feed.now() // the start: the token of now
	} else {
		var wake <-chan struct{}
		ids, now, wake, err = s.feed.since(seq)
		if err == nil && len(ids) == 0 && wait > 0 {
			t := s.cfg.Clock.NewTimer(time.Duration(wait) * time.Second)
			select {
			case <-wake:
				ids, now, _, err = s.feed.since(seq)
			case <-t.C():
			case <-r.Context().Done():
				t.Stop()
				return
			}
			t.Stop()
		}
		if err != nil {
			fail(w, http.StatusGone, "not-found", "this token is from the future or too old: catch up with a Task search by _lastUpdated, then follow the feed from a new token (Task/_changes without _since)")
			return
		}
	}
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: fhirTime(s.cfg.Clock.Now())}
	next := url.Values{"_since": {s.feed.token(now)}}
	if wait > 0 {
		next.Set("_wait", strconv.Itoa(wait))
	}
	b.Link = []BundleLink{{Relation: "self", URL: base(r) + "/Task/_changes?" + q.Encode()},
		{Relation: "next", URL: base(r) + "/Task/_changes?" + next.Encode()}}
	got, err := s.readCases(r.Context(), c, ids)
	if err != nil {
		s.caseError(w, err)
		return
	}
	for _, cs := range got {
		if err := b.add(base(r)+"/Task/"+string(cs.ID), taskOf(cs)); err != nil {
			s.caseError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, b)
}

// readCases reads the cases ids for c, readers at a time, in order;
// one purged since is left out.
func (s *Server) readCases(ctx context.Context, c caller, ids []cases.ID) ([]*cases.Case, error) {
	got := make([]*cases.Case, len(ids))
	errs := make([]error, len(ids))
	sem := make(chan struct{}, readers)
	var wg sync.WaitGroup
	for i, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			got[i], errs[i] = s.cfg.Cases.Get(ctx, c.actor, id)
		})
	}
	wg.Wait()
	out := got[:0]
	for i, cs := range got {
		switch {
		case errors.Is(errs[i], cases.ErrNotFound):
			continue // purged since
		case errs[i] != nil:
			return nil, errs[i]
		}
		out = append(out, cs)
	}
	return out, nil
}
