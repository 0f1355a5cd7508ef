package uplink

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// pollWhileConnected is how many PollIntervals pass between safety-net
// polls while the stream is up.
const pollWhileConnected = 10

// pullLoop pulls at start, on a wake from the stream, every PollInterval
// while the stream is down, and after a failure with backoff.
func (u *Uplink) pullLoop(ctx context.Context) {
	attempt := 0
	acked := uint64(0)                  // the highest cursor the central store has acknowledged from us this run
	var reported *wire.QuarantineReport // the quarantine the central store took from us this run
	for {
		err := u.pullAll(ctx, &acked)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			u.reportQuarantine(ctx, &reported)
		}
		if brk, ok := errors.AsType[*breakError](err); ok {
			u.broken(brk)
			if err = u.reconcile(ctx, brk); err == nil {
				acked, attempt = 0, 0 // the central store's acked cursor went back too
				reported = nil        // and so may its copy of the quarantine
				continue              // pull from the common event at once
			}
		}
		if err == nil && u.recovering.Load() {
			err = u.recoverConfirmed(ctx) // the store was restored: get back what the central store confirmed
		}
		wait := u.cfg.PollInterval
		if u.connected() {
			wait *= pollWhileConnected
		}
		if err != nil {
			u.fail(err)
			wait = u.retryWait(attempt, err)
			u.log.Warn("pull failed; will retry", "attempt", attempt, "waitMs", wait.Milliseconds(), "err", err)
			attempt++
		} else {
			attempt = 0
		}
		if !u.sleep(ctx, wait, u.pullWake) {
			return
		}
	}
}

// fetched is a page, or why there is none, with its events linked into
// the chain (chained).
type fetched struct {
	page wire.ChainedPage
	chained
	err error
}

// chained is what chainPage makes of one or more pages, in the prefetch:
// their journal entries (each event as the central store sent it, and its
// link) and the head after them, or why their events do not chain from
// the base to the end. Hashing every event's content (3.6 µs of CPU per
// 2 KiB case) so stays off the goroutine that applies the pages, the
// one that bounds a backlog's sync.
type chained struct {
	journal  []cases.JournalEntry
	next     cases.SyncHead
	chainErr error
	// bodies are the pages' bodies the journal's events are in, given
	// back to the pool once they are stored (pagebuf.go).
	bodies [][]byte
}

// pulled is one or more pages' events merged (nextPages), with their
// journal entries.
type pulled struct {
	wire.ChainedPage
	chained
	// own says that Events, journal and bodies are the queue's slices,
	// given back to it when the pages are stored (pageQueue.done).
	own bool
}

// Pages are fetched ahead of the store, up to prefetchPages of them, and
// on a backlog (the central store has more) up to prefetchPages pages are
// applied together, up to mergeEvents events, in one transaction, the
// store waiting up to fillWait for those not yet here (nextPages): a
// commit (two fdatasyncs) serves several pages, whichever side is the
// slower; the last page of a backlog, or a page alone, goes at once.
// prefetchPages × pageBytes is commitBytes: on a backlog of ordinary
// cases a commit is whole (three pages made it three quarters). Fewer,
// larger commits write fewer bytes per case: each commit rewrites the
// pages of every index it touches, among them the access log's patient
// heads (random keys: nearly every page each time). More pages ahead
// would cut the bytes further but cost a max-size burst its memory bound
// (BenchmarkBurstRSS: eight pages took it over 64 MiB).
const (
	prefetchPages = 4
	mergeEvents   = prefetchPages * wire.MaxInboxLimit
	// fillWait is how long a commit on a backlog waits, at most, for the
	// pages that make it whole (nextPages): a few pages' fetch.
	fillWait = 250 * time.Millisecond
)

// prefetch fetches the pages after cursor, in order, until the central
// store has no more, a fetch fails (the last item then carries the error)
// or ctx ends. The channel is closed after the last item.
func (u *Uplink) prefetch(ctx context.Context, cursor uint64) <-chan fetched {
	c := make(chan fetched, prefetchPages-1) // one more is held by the send
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		defer close(c)
		var prev *wire.ChainedPage
		limit := min(u.cfg.PageSize, firstLimit) // then as the events' size allows (membound.go)
		for {
			page, raw, body, err := u.getInboxEvents(ctx, wire.InboxQuery{After: cursor, Limit: limit})
			if err == nil && prev != nil {
				err = linked(*prev, page)
			}
			var ch chained
			if err == nil {
				u.preopen(ctx, page.Events) // preopen.go
				ch.next, ch.journal, ch.chainErr = chainPage(page, raw)
				ch.bodies = [][]byte{body}
			}
			prev = &page
			select {
			case c <- fetched{page, ch, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || !page.More {
				return
			}
			cursor = page.Cursor
			limit = nextLimit(page.Events, u.cfg.PageSize) // about pageBytes of such events (membound.go)
		}
	}()
	return c
}

// pageQueue is the prefetched pages, with one taken out and put back when
// it would have made a merge too large.
type pageQueue struct {
	c     <-chan fetched
	clock clock.Clock // for fillWait
	held  *fetched
	bufs  *bufPool // where the pages' bodies go back (pagebuf.go)
	// The slices of the last merge, kept for the next (done).
	events  []wire.Event
	journal []cases.JournalEntry
	bodies  [][]byte
}

// done takes back what p, from nextPages, held, once its events are
// stored (or it had none): nothing refers to its pages' bodies any more,
// and its merged slices, cleared (nothing of its events stays
// reachable through them), serve the next merge.
func (q *pageQueue) done(p *pulled) {
	q.bufs.put(p.bodies...)
	if p.own {
		clear(p.Events)
		clear(p.journal)
		clear(p.bodies)
		q.events, q.journal, q.bodies = p.Events[:0], p.journal[:0], p.bodies[:0]
	}
	p.Events, p.journal, p.bodies, p.own = nil, nil, nil, false
}

// next waits for the next page; false when there are no more.
func (q *pageQueue) next(ctx context.Context) (fetched, bool, error) {
	if f := q.held; f != nil {
		q.held = nil
		return *f, true, nil
	}
	select {
	case f, ok := <-q.c:
		if !ok {
			return fetched{}, false, ctx.Err()
		}
		return f, true, nil
	case <-ctx.Done():
		return fetched{}, false, ctx.Err()
	}
}

// noWait is a deadline already past (within takes only what is here).
var noWait = func() <-chan time.Time { c := make(chan time.Time); close(c); return c }()

// within returns the next page once it is fetched, waiting until
// deadline fires at the latest; false when there are no more, or none
// came in time.
func (q *pageQueue) within(ctx context.Context, deadline <-chan time.Time) (fetched, bool) {
	if f := q.held; f != nil {
		q.held = nil
		return *f, true
	}
	select {
	case f, ok := <-q.c:
		return f, ok
	default:
	}
	select {
	case f, ok := <-q.c:
		return f, ok
	case <-deadline:
	case <-ctx.Done():
	}
	return fetched{}, false
}

// nextPages waits for the next page and takes the ones after it, while
// they add up to at most mergeEvents events, commitBytes and commitHeap
// (membound.go): their events, and the last one's cursor and more. While
// the central store has more (a backlog), it waits for the pages after
// the first, up to prefetchPages pages and fillWait in all (then it takes
// only those already fetched), so that a commit is whole even when
// the fetch, not the store, is the slower side: each commit costs two
// fdatasyncs and rewrites the pages of every index it touches, and the
// pages it waits for are within the bound that the pages fetched ahead
// of a commit already have (prefetchPages). A fetch failure after the
// first page is returned as later, to be reported once the pages before
// it are stored. ok is false when there are no more pages.
func (q *pageQueue) nextPages(ctx context.Context) (merged pulled, later error, ok bool, err error) {
	f, ok, err := q.next(ctx)
	if !ok || err != nil || f.err != nil {
		return pulled{}, nil, false, cmp.Or(err, f.err)
	}
	merged = pulled{ChainedPage: f.page, chained: f.chained}
	size := sizeOf(merged.Events)
	var deadline <-chan time.Time
	if merged.More && merged.chainErr == nil {
		t := q.clock.NewTimer(fillWait)
		defer t.Stop()
		deadline = t.C()
	}
	for pages := 1; merged.More && merged.chainErr == nil; pages++ {
		if pages == prefetchPages {
			deadline = noWait // a whole commit's pages: only what is here too
		}
		g, ok := q.within(ctx, deadline)
		gs := sizeOf(g.page.Events)
		switch {
		case !ok:
			return merged, nil, true, nil
		case g.err != nil:
			return merged, g.err, true, nil
		case g.chainErr != nil, // the pages before it go first
			len(merged.Events)+len(g.page.Events) > mergeEvents, !size.plus(gs).fits():
			q.held = &g
			return merged, nil, true, nil
		}
		size = size.plus(gs)
		if !merged.own { // copies, safe to append to: the last merge's slices
			if q.events == nil {
				q.events, q.journal = make([]wire.Event, 0, mergeEvents), make([]cases.JournalEntry, 0, mergeEvents)
			}
			merged.Events = append(q.events, merged.Events...)
			merged.journal = append(q.journal, merged.journal...)
			merged.bodies = append(q.bodies, merged.bodies...)
			q.events, q.journal, q.bodies, merged.own = nil, nil, nil, true
		}
		merged.Events = append(merged.Events, g.page.Events...)
		merged.journal = append(merged.journal, g.journal...)
		merged.bodies = append(merged.bodies, g.bodies...)
		merged.next = g.next
		merged.Cursor, merged.More = g.page.Cursor, g.page.More
		merged.Chain.End, merged.Chain.Head = g.page.Chain.End, g.page.Chain.Head
	}
	return merged, nil, true, nil
}

// pullAll pulls pages from the stored cursor until the central store has no
// more. The pages are applied, a page or several at a time, each time in
// one durable transaction with the cursor, before they are acknowledged;
// later pages are fetched meanwhile, and the acknowledgement goes while the
// next pages are applied (one at a time). A failed ack is logged only: the
// events are stored, and the central store learns the cursor with the next
// ack.
func (u *Uplink) pullAll(ctx context.Context, acked *uint64) error {
	u.opener.reset() // the key ring as it stands now (sealed.go)
	u.pre.reset()    // preopen.go
	cursor, err := u.cfg.Cases.SyncCursor(ctx)
	if err != nil {
		return fmt.Errorf("read the sync cursor: %w", err)
	}
	head, known, err := u.cfg.Cases.SyncHead(ctx)
	if err != nil {
		return fmt.Errorf("read the sync head: %w", err)
	}
	first := true
	ctx, cancel := context.WithCancel(ctx) // ends a prefetch nobody will read
	defer cancel()
	var ack *pendingAck
	defer func() { ack.wait() }() // on an early return: the goroutine must end
	defer u.bufs.empty()          // nothing to pull: no buffers kept (pagebuf.go)
	pages := &pageQueue{c: u.prefetch(ctx, cursor), clock: u.cfg.Clock, bufs: &u.bufs}
	for {
		page, later, ok, err := pages.nextPages(ctx)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if first { // later pages continue the first (prefetch checks)
			if err := checkChain(head, known, cursor, page.ChainedPage); err != nil {
				return err
			}
			first = false
		}
		next, journal := page.next, page.journal // linked in the prefetch
		if page.chainErr != nil {
			return page.chainErr
		}
		if len(page.Events) == 0 && (!known || next != head) {
			// The first contact with the chain (or a gateway that synced
			// before it existed): record where it stands.
			if _, err := u.cfg.Cases.ApplyChained(ctx, nil, next, nil); err != nil {
				return fmt.Errorf("record the sync head: %w", err)
			}
			head, known = next, true
		}
		if len(page.Events) > 0 {
			u.fault(FaultReceived)
			// One commit per run of at most commitBytes (membound.go); the
			// cursor and head move with each.
			for _, run := range commitRuns(page.Events, journal, next) {
				if err := u.applyRun(ctx, run); err != nil {
					return err
				}
				head, known = run.head, true
			}
		}
		pages.done(&page) // every event of the pages is stored
		u.mu.Lock()
		u.st.Cursor = page.Cursor // stored (events) or the stored cursor asked with (none)
		u.st.LastPull = u.cfg.Clock.Now()
		u.mu.Unlock()
		if err := u.ackDone(ctx, &ack, acked); err != nil {
			return err
		}
		if page.Cursor > *acked {
			ack = u.startAck(ctx, page.Cursor)
		}
		if later != nil {
			if err := u.ackDone(ctx, &ack, acked); err != nil {
				return err
			}
			return later
		}
	}
	return u.ackDone(ctx, &ack, acked)
}

// applyRun applies one run of a page in one durable transaction with its
// head and cursor.
func (u *Uplink) applyRun(ctx context.Context, run commitRun) error {
	start := u.cfg.Clock.Now()
	in, err := u.inbound(ctx, run.events) // sealed events opened (sealed.go)
	if err != nil {
		return err
	}
	rep, err := u.cfg.Cases.ApplyChained(ctx, in, run.head, run.journal)
	if err != nil {
		return fmt.Errorf("store %d central events: %w", len(run.events), err)
	}
	u.fault(FaultStored)
	u.log.Debug("central events stored", "events", len(run.events), "applied", rep.Applied,
		"duplicates", rep.Duplicates, "refused", rep.Refused, "cursor", run.head.Seq,
		"storeMs", u.cfg.Clock.Now().Sub(start).Milliseconds())
	if rep.Quarantined > 0 {
		u.log.Warn("central events quarantined by the case service", "quarantined", rep.Quarantined,
			"refused", rep.Refused, "conflicts", rep.Conflicts, "cursor", run.head.Seq)
	}
	u.mu.Lock()
	u.st.InboundConflicts += rep.Conflicts
	u.st.Quarantined += rep.Quarantined
	u.st.Cursor = run.head.Seq
	u.mu.Unlock()
	return nil
}

// pendingAck is an acknowledgement on its way.
type pendingAck struct {
	cursor uint64
	done   chan error
}

// startAck posts an ack for cursor in the background.
func (u *Uplink) startAck(ctx context.Context, cursor uint64) *pendingAck {
	a := &pendingAck{cursor: cursor, done: make(chan error, 1)}
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		err := u.postAck(ctx, cursor)
		if err == nil {
			u.fault(FaultAcked)
		}
		a.done <- err
	}()
	return a
}

// wait waits for the ack, if any, and returns its outcome.
func (a *pendingAck) wait() error {
	if a == nil {
		return nil
	}
	err := <-a.done
	a.done <- err // a second wait sees the same
	return err
}

// ackDone waits for the ack in *a, if any, and records its cursor in
// *acked when it was taken; a failure is logged only. It returns an error
// only when ctx ended.
func (u *Uplink) ackDone(ctx context.Context, a **pendingAck, acked *uint64) error {
	if *a == nil {
		return nil
	}
	err := (*a).wait()
	cursor := (*a).cursor
	*a = nil
	switch {
	case err == nil:
		*acked = max(*acked, cursor)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		u.log.Info("ack failed; the next ack carries the cursor", "cursor", cursor, "err", err)
	}
	return nil
}

// inboundOf converts central events to the case service's inbound events.
// The wire has checked their shape and their texts (TextsChecked: the
// text rule is checked once); the case service checks the rest
// (personnummer, ages, the case type) and refuses, by event id, what does
// not hold.
func inboundOf(events []wire.Event) []cases.Inbound {
	in := make([]cases.Inbound, len(events))
	for i, ev := range events {
		x := cases.Inbound{
			Kind:    cases.InboundKind(ev.Kind),
			EventID: ev.ID,
			CaseID:  cases.ID(ev.CaseID),
			At:      ev.At,
		}
		switch ev.Kind {
		case wire.EventCaseCreated:
			if c := ev.Case; c != nil {
				sub := &cases.Submission{
					ID:          cases.ID(ev.CaseID),
					Type:        casetype.Type(c.Type),
					Patient:     cases.Person{PNR: personnummer.Personnummer(c.Patient.PNR), Name: c.Patient.Name},
					Text:        c.Text,
					SubmittedAt: ev.At,
					FormVersion: c.FormVersion,
					// The page's decoder checked every text (DecodeChainedPage).
					TextsChecked: true,
				}
				if g := c.Guardian; g != nil {
					sub.Guardian = &cases.Person{PNR: personnummer.Personnummer(g.PNR), Name: g.Name}
				}
				if len(c.Fields) > 0 {
					sub.Fields = make([]cases.Field, len(c.Fields))
					for j, f := range c.Fields {
						sub.Fields[j] = cases.Field{Name: f.Name, Label: f.Label, Value: f.Value}
					}
				}
				x.Submission = sub
			}
		case wire.EventCaseFollowUp:
			if m := ev.Message; m != nil {
				// The page's decoder checked the text (DecodeChainedPage).
				x.MessageID, x.Text, x.TextChecked = m.ID, m.Text, true
			}
		}
		in[i] = x
	}
	return in
}
