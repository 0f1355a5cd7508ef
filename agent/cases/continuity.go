package cases

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"clinicgw/sync/wire"
)

// Continuity with the central store (issue 16): the gateway keeps where it
// stands in the central store's event chain (SyncHead) in the same
// transaction as the events and the cursor, and keeps for
// ServiceConfig.SyncRetention what a reconciliation needs after the
// central store went back in time: the central events it applied, as they
// came (the journal), and the outbox items the central store confirmed
// (the retained items). Both are sealed like every other value.

// DefaultSyncRetention is how long applied central events and confirmed
// outbox items are kept for a reconciliation when ServiceConfig leaves
// SyncRetention zero: a central store restored from a copy up to this old
// gets back everything the gateway had from and sent to it since.
const DefaultSyncRetention = 30 * 24 * time.Hour

// SyncHead is where the gateway stands in the central store's event
// chain: the cursor, the chain's link at it and the central store's
// incarnation.
type SyncHead struct {
	Seq         uint64
	Link        [32]byte
	Incarnation string
}

// JournalEntry is a central event applied here, kept for a
// reconciliation: its seq, its link, when it was applied and the event as
// the central store sent it (the sync protocol's JSON; stored slim where
// its case record holds its content, journalslim.go, and read back whole).
type JournalEntry struct {
	Seq     uint64
	Link    [32]byte
	Applied time.Time
	Event   []byte
	// Wire is Event decoded, when the caller has it: then a plain
	// case.created or case.followup event that applies is journaled
	// without the content its case record holds (journalslim.go). Not
	// stored.
	Wire *wire.Event
	// Checked says that Wire passed the sync protocol's checks (its
	// page's decoder validates every event it returns), so its strings
	// are valid UTF-8 and Event is JSON a decoder of the protocol took
	// (or encoding/json wrote): a slim record then compares them with
	// Event without looking at their letters one by one
	// (matchValidJSONString);
	// and that Link is the event's link in the checked chain
	// (wire.NextLink of Wire after the Link of the entry before it in
	// the page), so that a slim record may keep the link before instead
	// of a hash of the whole event (journallinked.go). Not stored.
	Checked bool
}

// A journal record is binary, since every central event makes one: the
// applied time (Unix nanoseconds, 8 bytes big-endian), the link (32
// bytes), then the event.
const journalHead = 8 + 32

func (e JournalEntry) record() []byte {
	return append(e.head(make([]byte, 0, journalHead+len(e.Event))), e.Event...)
}

// head appends the record's head to b.
func (e JournalEntry) head(b []byte) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(e.Applied.UnixNano()))
	return append(b, e.Link[:]...)
}

func journalEntry(seq uint64, rec []byte) (JournalEntry, error) {
	if len(rec) < journalHead {
		return JournalEntry{}, fmt.Errorf("journal entry %d is damaged: %d bytes", seq, len(rec))
	}
	e := JournalEntry{Seq: seq, Applied: time.Unix(0, int64(binary.BigEndian.Uint64(rec))), Event: rec[journalHead:]}
	copy(e.Link[:], rec[8:journalHead])
	return e, nil
}

// Retained is an outbox item the central store confirmed, kept for a
// reconciliation. Pos orders them (the order they were confirmed in).
type Retained struct {
	Pos         uint64    `json:"-"`
	Item        Outbound  `json:"item"`
	ConfirmedAt time.Time `json:"confirmedAt"`
}

// SyncLog names one of the logs a reconciliation reads.
type SyncLog string

// The logs.
const (
	LogJournal   SyncLog = "journal"   // JournalEntry by seq
	LogConfirmed SyncLog = "confirmed" // Retained by the order of confirmation
)

// ContinuityReadTx reads the sync's continuity state.
type ContinuityReadTx interface {
	// SyncHead returns where the gateway stands in the central store's
	// event chain; false if it was never recorded.
	SyncHead() (SyncHead, bool, error)
	// SyncLog calls fn with each record of log whose position is after
	// after, in order, until fn returns false.
	SyncLog(log SyncLog, after uint64, fn func(pos uint64, rec []byte) bool) error
	// OutboxItem returns the queued change with the key; false if none.
	OutboxItem(key string) (Outbound, bool, error)
}

// ContinuityTx writes the sync's continuity state.
type ContinuityTx interface {
	// SetSyncHead records where the gateway stands in the chain.
	SetSyncHead(SyncHead) error
	// PutSyncLog stores rec in log at pos; pos 0 appends after the last.
	// rec must not change until the transaction ends.
	PutSyncLog(log SyncLog, pos uint64, rec []byte) error
	// DeleteSyncLog removes the record at pos; an absent one is not an
	// error.
	DeleteSyncLog(log SyncLog, pos uint64) error
}

// SyncHead returns where the gateway stands in the central store's event
// chain; false if it was never recorded (a gateway that synced before
// the chain existed, or never).
func (s *Service) SyncHead(ctx context.Context) (SyncHead, bool, error) {
	var h SyncHead
	var ok bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		h, ok, err = tx.SyncHead()
		return err
	})
	return h, ok, err
}

// ApplyChained is ApplyInbound for a page whose place in the chain was
// checked: in the same transaction it records head (whose Seq is the new
// cursor) and the journal entries of the page's events (applied now, by
// the service's clock), and drops journal
// entries and retained items older than the retention.
func (s *Service) ApplyChained(ctx context.Context, in []Inbound, head SyncHead, journal []JournalEntry) (ApplyReport, error) {
	now := s.clock.Now()
	// The journal's records (a copy of each event, or a slim record
	// where the case record will hold its content) are made while the
	// page's events apply, off the transaction's goroutine, a chunk at a
	// time in order: a slim record finds in its event a new case's texts
	// encoded, which the case's record copies (WireTexts) once its chunk
	// is made — waited for by the store's sealing goroutine, not by the
	// transaction. A slim record costs a copy and a hash of its event:
	// two goroutines share a long page, a chunk each in turn.
	jr := newChainedJournal(journal, now)
	defer jr.wait()
	recs, slims := jr.recs, jr.slims
	return s.applyInbound(ctx, in, head.Seq, jr, func(tx Tx, done []*Case) error {
		if err := tx.SetSyncHead(head); err != nil {
			return err
		}
		jr.wait()
		for i, e := range journal {
			rec := recs[i]
			if rec == nil {
				rec = slims[i].rec
				if !slimKept(slims[i], in, done, i, e) {
					e.Applied = now
					rec = e.record()
				}
			}
			if err := tx.PutSyncLog(LogJournal, e.Seq, rec); err != nil {
				return err
			}
		}
		return s.prune(tx)
	})
}

// chainedJournal is a chained page's journal and the records being made
// of it, by chunks of journalChunk entries, in order.
type chainedJournal struct {
	journal []JournalEntry
	now     time.Time
	recs    [][]byte
	slims   []slimJournal
	chunks  []chan struct{} // closed when a chunk's records are made
	handles []WireTexts     // entry i's texts, ready with its chunk
}

// journalChunk is how many entries' records are made at a time.
const journalChunk = 32

// newChainedJournal starts making the records of journal, applied at
// now: one goroutine, two on a page of two chunks or more, each taking
// every other chunk.
func newChainedJournal(journal []JournalEntry, now time.Time) *chainedJournal {
	n := (len(journal) + journalChunk - 1) / journalChunk
	j := &chainedJournal{journal: journal, now: now, recs: make([][]byte, len(journal)), slims: make([]slimJournal, len(journal)),
		chunks: make([]chan struct{}, n), handles: make([]WireTexts, len(journal))}
	for k := range j.chunks {
		j.chunks[k] = make(chan struct{})
	}
	for i := range j.handles {
		j.handles[i] = WireTexts{ready: j.chunks[i/journalChunk], texts: &j.slims[i].texts}
	}
	build := func(first int) {
		for k := first; k < n; k += 2 {
			for i := k * journalChunk; i < min((k+1)*journalChunk, len(journal)); i++ {
				j.recs[i], j.slims[i] = journalRecord(journal, i, now)
			}
			close(j.chunks[k])
		}
	}
	go build(0)
	if n > 1 {
		go build(1)
	}
	return j
}

// wait waits until every record is made.
func (j *chainedJournal) wait() {
	for _, c := range j.chunks {
		<-c
	}
}

// texts returns the encoded texts of entry i's new case (which wait for
// its record); nil if there is no entry i.
func (j *chainedJournal) texts(i int) *WireTexts {
	if j == nil || i >= len(j.handles) {
		return nil
	}
	return &j.handles[i]
}

// journalRecord makes the record of the page's journal entry i, applied
// at now: a slim one (the record is then nil) where its event may be,
// else a whole one.
func journalRecord(journal []JournalEntry, i int, now time.Time) ([]byte, slimJournal) {
	e := journal[i]
	e.Applied = now // by the clock the retention is counted with
	var sj slimJournal
	var ok bool
	if i > 0 && e.Checked && journal[i-1].Checked {
		// The uplink checked the page's chain: the link before e's event
		// is the one of the entry before it.
		sj, ok = e.linkedSlimRecord(&journal[i-1].Link)
	} else {
		sj, ok = e.slimRecord()
	}
	if ok {
		return nil, sj
	}
	return e.wholeRecord(), slimJournal{}
}

// slimKept says whether journal entry e (the i-th of the page) may be
// kept slim: its event is in[i], it applied (done[i], the case record as
// it stands after it) and the case record holds exactly its content. A
// duplicate, a conflict and a quarantined event keep their full bytes.
func slimKept(sj slimJournal, in []Inbound, done []*Case, i int, e JournalEntry) bool {
	if len(in) != len(done) || i >= len(in) || done[i] == nil || in[i].EventID != e.Wire.ID || in[i].CaseID != sj.caseID {
		return false
	}
	kind, msgID := byte(slimCreated), ""
	if e.Wire.Message != nil {
		kind, msgID = slimFollowUp, e.Wire.Message.ID
	}
	jc, ok := caseContent(done[i], kind, msgID)
	return ok && jc.equal(sj.content)
}

// prune drops journal entries and retained items older than the
// retention, and client writes older than theirs (systemwrite.go): the
// oldest first, until one is young enough.
func (s *Service) prune(tx Tx) error {
	if _, err := tx.PruneClientWrites(s.clock.Now().Add(-s.clientKeep), 1000); err != nil {
		return fmt.Errorf("prune the client writes: %w", err)
	}
	cutoff := s.clock.Now().Add(-s.retention)
	for _, log := range []SyncLog{LogJournal, LogConfirmed} {
		var old []uint64
		var perr error
		err := tx.SyncLog(log, 0, func(pos uint64, rec []byte) bool {
			var t time.Time
			if log == LogJournal {
				var e JournalEntry
				e, perr = journalEntry(pos, rec)
				t = e.Applied
			} else {
				var r Retained
				perr = json.Unmarshal(rec, &r)
				t = r.ConfirmedAt
			}
			if perr != nil {
				return false
			}
			if !t.Before(cutoff) {
				return false
			}
			old = append(old, pos)
			return len(old) < 1000
		})
		if err != nil || perr != nil {
			return fmt.Errorf("prune the sync's %s: %w", log, cmpErr(err, perr))
		}
		for _, pos := range old {
			if err := tx.DeleteSyncLog(log, pos); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// Journal returns up to max journal entries after seq after, in order,
// each with its event as the central store sent it (a slim record's
// rebuilt from its case record, or ErrJournalDamaged).
func (s *Service) Journal(ctx context.Context, after uint64, max int) ([]JournalEntry, error) {
	return s.journal(ctx, after, max, true)
}

// JournalLinks is Journal without the events: the seqs, links and times
// applied, as a reconciliation's search for the common event needs them.
func (s *Service) JournalLinks(ctx context.Context, after uint64, max int) ([]JournalEntry, error) {
	return s.journal(ctx, after, max, false)
}

func (s *Service) journal(ctx context.Context, after uint64, max int, events bool) ([]JournalEntry, error) {
	var out []JournalEntry
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		var derr error
		err := tx.SyncLog(LogJournal, after, func(pos uint64, rec []byte) bool {
			var e JournalEntry
			if events {
				if rec, derr = fullRecord(tx, pos, rec); derr != nil {
					return false
				}
			}
			if e, derr = journalEntry(pos, rec); derr != nil {
				return false
			}
			if events {
				e.Event = slices.Clone(e.Event) // rec is the store's until the transaction ends
			} else {
				e.Event = nil
			}
			out = append(out, e)
			return len(out) < max
		})
		return cmpErr(err, derr)
	})
	if err != nil {
		return nil, fmt.Errorf("read the sync journal: %w", err)
	}
	return out, nil
}

// fullRecord returns the journal record rec with its event whole,
// rebuilt from its case record if rec is slim (FullJournalRecord).
func fullRecord(tx ReadTx, seq uint64, rec []byte) ([]byte, error) {
	id, slim := JournalRecordCase(rec)
	if !slim {
		return FullJournalRecord(seq, rec, nil) // a full record, or a damaged slim one
	}
	c, err := tx.Case(id)
	if errors.Is(err, ErrNotFound) {
		c, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal entry %d: %w", seq, err)
	}
	return FullJournalRecord(seq, rec, c)
}

// RetainedOutbound returns up to max retained (confirmed) outbox items
// after position after, in the order they were confirmed.
func (s *Service) RetainedOutbound(ctx context.Context, after uint64, max int) ([]Retained, error) {
	var out []Retained
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		var derr error
		err := tx.SyncLog(LogConfirmed, after, func(pos uint64, rec []byte) bool {
			var r Retained
			if derr = json.Unmarshal(rec, &r); derr != nil {
				return false
			}
			r.Pos = pos
			out = append(out, r)
			return len(out) < max
		})
		return cmpErr(err, derr)
	})
	if err != nil {
		return nil, fmt.Errorf("read the retained outbox: %w", err)
	}
	return out, nil
}

// ResetSync moves the cursor back (or forward) to head.Seq after a
// reconciliation, records head and drops the journal entries after it
// (their events were given back to the central store, which sends them
// again under new seqs), in one transaction.
func (s *Service) ResetSync(ctx context.Context, head SyncHead) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		var drop []uint64
		if err := tx.SyncLog(LogJournal, head.Seq, func(pos uint64, _ []byte) bool {
			drop = append(drop, pos)
			return true
		}); err != nil {
			return err
		}
		for _, pos := range drop {
			if err := tx.DeleteSyncLog(LogJournal, pos); err != nil {
				return err
			}
		}
		if err := tx.SetSyncCursor(head.Seq); err != nil {
			return err
		}
		return tx.SetSyncHead(head)
	})
	if err != nil {
		return fmt.Errorf("reset the sync: %w", err)
	}
	return nil
}

// retain keeps the queued change under key, about to leave the outbox as
// confirmed, in the retained items.
func (s *Service) retain(tx Tx, key string, now time.Time) (Outbound, bool, error) {
	o, ok, err := tx.OutboxItem(key)
	if err != nil || !ok {
		return o, false, err
	}
	b, err := json.Marshal(Retained{Item: o, ConfirmedAt: now})
	if err != nil {
		return o, false, fmt.Errorf("retain outbox item %s: %w", key, err)
	}
	return o, true, tx.PutSyncLog(LogConfirmed, 0, b)
}
