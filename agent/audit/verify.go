package audit

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Records yields a stored access log in key order, as agent/store keeps it
// (key = Seq, 8 bytes big-endian): each key with the record read from its
// value, or with the error that kept the value from being opened or decoded
// (then r is ignored). It must stop when yield returns false.
type Records func(yield func(key uint64, r Record, err error) bool)

// ErrorKind says how a chain is broken.
type ErrorKind int

// The ways a chain can be broken.
const (
	// Altered: an entry cannot be read, or its hash does not match its
	// contents: it was changed or damaged.
	Altered ErrorKind = iota + 1
	// Missing: an entry is absent from the middle of the log: deleted.
	Missing
	// OutOfOrder: an entry is stored under another position than its own,
	// or does not follow the entry before it: moved, swapped or inserted.
	OutOfOrder
	// Truncated: entries are gone from the end of the log: the head, or a
	// signed checkpoint, names an entry the log no longer has.
	Truncated
	// HeadMismatch: the head is missing, does not match its entry, or
	// entries follow it.
	HeadMismatch
	// ForeignChain: the log does not start from this care unit's genesis.
	ForeignChain
	// BadCheckpoint: a checkpoint's signature does not verify.
	BadCheckpoint
	// CheckpointMismatch: an entry differs from what a signed checkpoint
	// recorded: the log was rewritten at or before it.
	CheckpointMismatch
)

var kindText = map[ErrorKind]string{
	Altered:            "entry altered or damaged",
	Missing:            "entry missing",
	OutOfOrder:         "entry out of order",
	Truncated:          "entries removed from the end",
	HeadMismatch:       "log head does not match the entries",
	ForeignChain:       "log does not belong to this care unit",
	BadCheckpoint:      "signed checkpoint is not genuine",
	CheckpointMismatch: "entry differs from a signed checkpoint",
}

// String says what the kind means, in words for the operator.
func (k ErrorKind) String() string {
	if s, ok := kindText[k]; ok {
		return s
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// ChainError is how Verify reports a broken log: where and how. The log
// cannot be trusted from Seq on. Seq is 0 when the fault is not at one
// entry (a missing head, say). Detail never holds entry contents.
type ChainError struct {
	Seq    uint64
	Kind   ErrorKind
	Detail string
	Err    error // the underlying read or decode error, if any
}

func (e *ChainError) Error() string {
	var b strings.Builder
	b.WriteString("access log broken")
	if e.Seq > 0 {
		b.WriteString(" at entry ")
		b.WriteString(strconv.FormatUint(e.Seq, 10))
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	if e.Seq > 0 {
		b.WriteString(" — the log cannot be trusted from here on")
	} else {
		b.WriteString(" — the log cannot be trusted")
	}
	return b.String()
}

// Unwrap returns the underlying read or decode error, if any.
func (e *ChainError) Unwrap() error { return e.Err }

// Report describes a log that Verify checked.
type Report struct {
	Entries uint64 // entries checked and found in order
	Head    Head   // the newest of them (Seq 0 and Genesis for none)
}

// VerifyOption adds a check to Verify.
type VerifyOption func(*verifier)

// WithCheckpoints makes Verify check signed checkpoints as well: each must
// carry a valid MAC under key (else BadCheckpoint, before any record is
// read), the entry it names must have the hash it recorded (else
// CheckpointMismatch), and the log must reach it (else Truncated). That
// catches a log cut short together with its head, and a log rewritten and
// rehashed up to its head, neither of which the hash chain alone reveals.
// The store passes the checkpoints it kept; the latest one matters most.
func WithCheckpoints(key []byte, cps ...Checkpoint) VerifyOption {
	return func(v *verifier) {
		for _, c := range cps {
			if c.Verify(key) {
				v.cps = append(v.cps, c)
			} else {
				v.forged = append(v.forged, c)
			}
		}
	}
}

// From makes Verify check only the records after a signed checkpoint:
// cp must carry a valid MAC under key (else BadCheckpoint); the records
// given start with the checkpoint's own entry, which must be there with
// the hash it recorded (else Truncated or CheckpointMismatch), the next
// must link to it, and the head must not be behind it (else Truncated). What lies at
// or before the checkpoint is taken as the verification that signed it
// found it; only a full Verify (without From) looks at it again. The
// Report then counts the records checked after the checkpoint, and its
// Head is the log's newest as before.
func From(key []byte, cp Checkpoint) VerifyOption {
	return func(v *verifier) {
		if !cp.Verify(key) {
			v.forged = append(v.forged, cp)
			return
		}
		v.from = &cp
	}
}

// Verify checks the access log of the care unit with HSA-ID unit: the
// records in key order, and the head stored with them (haveHead false if
// none is stored). It stops at the first fault and returns it as a
// *ChainError, with a Report of the entries found in order before it.
func Verify(unit string, records Records, head Head, haveHead bool, opts ...VerifyOption) (Report, error) {
	if unit == "" {
		return Report{}, errors.New("audit: verify: no care unit given")
	}
	v := &verifier{unit: unit, genesis: Genesis(unit), head: head, haveHead: haveHead}
	for _, o := range opts {
		o(v)
	}
	v.rep.Head = Head{Hash: v.genesis}
	if v.from != nil && len(v.forged) == 0 {
		v.rep.Head = v.from.Head
		v.anchor = v.from.Head.Seq > 0
	}
	if err := v.start(); err != nil {
		return v.rep, err
	}
	var fault *ChainError
	records(func(key uint64, r Record, err error) bool {
		if fault == nil {
			fault = v.add(key, r, err)
		}
		return fault == nil
	})
	if fault != nil {
		return v.rep, fault
	}
	if v.anchor {
		return v.rep, &ChainError{Seq: v.from.Head.Seq, Kind: Truncated,
			Detail: "the entry a checkpoint records is gone" + signedAt(*v.from)}
	}
	if err := v.finish(); err != nil {
		return v.rep, err
	}
	return v.rep, nil
}

type verifier struct {
	unit     string
	genesis  Hash
	head     Head
	haveHead bool
	cps      []Checkpoint // genuine ones, sorted by Head.Seq once started
	forged   []Checkpoint // those whose MAC does not verify
	cpNext   int          // index of the first checkpoint not yet reached
	from     *Checkpoint  // From's genuine checkpoint: the records start at its entry
	anchor   bool         // From's checkpoint entry is yet to be seen
	rep      Report
}

// start checks what can be checked before the first record.
func (v *verifier) start() *ChainError {
	if v.haveHead && v.head.Seq == 0 && v.head.Hash != v.genesis {
		return &ChainError{Kind: HeadMismatch, Detail: "the head of the empty log is not this care unit's"}
	}
	if len(v.forged) > 0 {
		c := v.forged[0]
		return &ChainError{Seq: c.Head.Seq, Kind: BadCheckpoint, Detail: "its signature does not verify" + signedAt(c)}
	}
	if v.from != nil && v.haveHead && v.head.Seq < v.from.Head.Seq {
		return &ChainError{Seq: v.head.Seq + 1, Kind: Truncated,
			Detail: fmt.Sprintf("the head is entry %d but a checkpoint records entry %d%s", v.head.Seq, v.from.Head.Seq, signedAt(*v.from))}
	}
	slices.SortStableFunc(v.cps, func(a, b Checkpoint) int { return cmp.Compare(a.Head.Seq, b.Head.Seq) })
	for v.cpNext < len(v.cps) && v.cps[v.cpNext].Head.Seq < v.rep.Head.Seq {
		v.cpNext++ // before From's checkpoint: not looked at again
	}
	return v.reach(v.rep.Head.Seq, v.rep.Head.Hash)
}

// reach checks the checkpoints at seq against the hash found there.
func (v *verifier) reach(seq uint64, h Hash) *ChainError {
	for ; v.cpNext < len(v.cps) && v.cps[v.cpNext].Head.Seq == seq; v.cpNext++ {
		if v.cps[v.cpNext].Head.Hash != h {
			return &ChainError{Seq: seq, Kind: CheckpointMismatch,
				Detail: "the log was rewritten at or before this entry" + signedAt(v.cps[v.cpNext])}
		}
	}
	return nil
}

func (v *verifier) add(key uint64, r Record, err error) *ChainError {
	if v.anchor {
		return v.addAnchor(key, r, err)
	}
	last := v.rep.Head
	want := last.Seq + 1
	switch {
	case key > want:
		return &ChainError{Seq: want, Kind: Missing,
			Detail: fmt.Sprintf("the next stored entry is %d", key)}
	case key < want:
		return &ChainError{Seq: key, Kind: OutOfOrder,
			Detail: fmt.Sprintf("stored again or out of place after entry %d", last.Seq)}
	}
	if err != nil {
		return &ChainError{Seq: key, Kind: Altered, Detail: err.Error(), Err: err}
	}
	if r.Seq != key {
		return &ChainError{Seq: key, Kind: OutOfOrder,
			Detail: fmt.Sprintf("the record stored here is entry %d", r.Seq)}
	}
	if err := r.Entry.Validate(); err != nil {
		return &ChainError{Seq: key, Kind: Altered, Detail: err.Error(), Err: err}
	}
	if r.Hash != r.ComputeHash() {
		return &ChainError{Seq: key, Kind: Altered, Detail: "its hash does not match its contents"}
	}
	if r.Prev != last.Hash {
		if key == 1 {
			return &ChainError{Seq: key, Kind: ForeignChain,
				Detail: "the first entry does not start from this care unit's genesis"}
		}
		return &ChainError{Seq: key, Kind: OutOfOrder,
			Detail: fmt.Sprintf("its link to entry %d is broken: that entry was replaced or this one moved", last.Seq)}
	}
	if v.haveHead && key > v.head.Seq {
		return &ChainError{Seq: key, Kind: HeadMismatch,
			Detail: fmt.Sprintf("found after the head, entry %d", v.head.Seq)}
	}
	if v.haveHead && key == v.head.Seq && r.Hash != v.head.Hash {
		return &ChainError{Seq: key, Kind: HeadMismatch, Detail: "the head's hash differs from this entry's"}
	}
	if err := v.reach(key, r.Hash); err != nil {
		return err
	}
	v.rep.Head = r.Head()
	v.rep.Entries++
	return nil
}

// addAnchor checks the first record From is given: its checkpoint's entry.
func (v *verifier) addAnchor(key uint64, r Record, err error) *ChainError {
	v.anchor = false
	want := v.from.Head
	switch {
	case key > want.Seq:
		return &ChainError{Seq: want.Seq, Kind: Truncated,
			Detail: "the entry a checkpoint records is gone" + signedAt(*v.from)}
	case key < want.Seq:
		return &ChainError{Seq: key, Kind: OutOfOrder, Detail: "given before the checkpoint's entry"}
	case err != nil:
		return &ChainError{Seq: key, Kind: Altered, Detail: err.Error(), Err: err}
	case r.Seq != key || r.Hash != want.Hash || r.Hash != r.ComputeHash():
		return &ChainError{Seq: key, Kind: CheckpointMismatch,
			Detail: "the log was rewritten at or before this entry" + signedAt(*v.from)}
	}
	return nil
}

// finish checks the end of the log against the head and the checkpoints.
func (v *verifier) finish() *ChainError {
	last := v.rep.Head.Seq
	if v.haveHead && v.head.Seq > last {
		return &ChainError{Seq: last + 1, Kind: Truncated,
			Detail: fmt.Sprintf("the log ends at entry %d but its head is entry %d", last, v.head.Seq)}
	}
	if !v.haveHead && last > 0 {
		return &ChainError{Kind: HeadMismatch,
			Detail: fmt.Sprintf("the head is missing; the log has %d entries", last)}
	}
	if v.cpNext < len(v.cps) {
		c := v.cps[len(v.cps)-1]
		return &ChainError{Seq: last + 1, Kind: Truncated,
			Detail: fmt.Sprintf("the log ends at entry %d but a checkpoint records entry %d%s",
				last, c.Head.Seq, signedAt(c))}
	}
	return nil
}

func signedAt(c Checkpoint) string {
	return ", checkpoint signed " + c.Time.UTC().Format(time.RFC3339)
}
