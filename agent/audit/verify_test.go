package audit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fixture is a stored log of 50 records with its head, as Verify sees it.
type fixture struct {
	recs     []Record
	log      storedLog
	unit     string
	head     Head
	haveHead bool
	cps      []Checkpoint
}

const chainLen = 50

func newFixture(t *testing.T) *fixture {
	recs, head := buildChain(t, testUnit, chainLen)
	return &fixture{recs: recs, log: storeChain(t, recs), unit: testUnit, head: head, haveHead: true}
}

// rec returns record seq of the original chain.
func (f *fixture) rec(seq uint64) Record { return f.recs[seq-1] }

func (f *fixture) sign(seq uint64) {
	f.cps = append(f.cps, SignCheckpoint(testKey, f.rec(seq).Head(), t0.Add(90*24*time.Hour)))
}

func (f *fixture) verify() (Report, error) {
	var opts []VerifyOption
	if f.cps != nil {
		opts = append(opts, WithCheckpoints(testKey, f.cps...))
	}
	return Verify(f.unit, f.log.records(), f.head, f.haveHead, opts...)
}

func TestVerify(t *testing.T) {
	errDecrypt := errors.New("store: open value: message authentication failed")
	tests := []struct {
		name   string
		tamper func(f *fixture)
		kind   ErrorKind // 0: the log verifies
		seq    uint64
	}{
		{"valid", func(f *fixture) {}, 0, 0},
		{"valid with checkpoints", func(f *fixture) { f.sign(10); f.sign(50) }, 0, 0},
		{"valid with checkpoint of the empty log", func(f *fixture) {
			f.cps = append(f.cps, SignCheckpoint(testKey, Head{Hash: Genesis(testUnit)}, t0))
		}, 0, 0},
		{"value fails to open", func(f *fixture) { f.log.errs[30] = errDecrypt }, Altered, 30},
		{"delete entry 25", func(f *fixture) { delete(f.log.vals, 25) }, Missing, 25},
		{"delete entry 1", func(f *fixture) { delete(f.log.vals, 1) }, Missing, 1},
		{"delete entries 20-22", func(f *fixture) {
			delete(f.log.vals, 20)
			delete(f.log.vals, 21)
			delete(f.log.vals, 22)
		}, Missing, 20},
		{"swap entries 25 and 26", func(f *fixture) {
			f.log.vals[25], f.log.vals[26] = f.log.vals[26], f.log.vals[25]
		}, OutOfOrder, 25},
		{"move entry 50 to the front", func(f *fixture) {
			f.log.vals[1], f.log.vals[50] = f.log.vals[50], f.log.vals[1]
		}, OutOfOrder, 1},
		{"entry 26 renumbered 25 and rehashed", func(f *fixture) {
			r := f.rec(26)
			r.Seq = 25
			r.Hash = r.ComputeHash()
			f.log.put(25, r)
		}, OutOfOrder, 25},
		{"entry 25 rewritten and rehashed", func(f *fixture) {
			r := f.rec(25)
			r.Entry.Action = "list"
			r.Hash = r.ComputeHash()
			f.log.put(25, r)
		}, OutOfOrder, 26},
		{"entry 25 rewritten, hash kept", func(f *fixture) {
			r := f.rec(25)
			r.Entry.Patient = "191010101010"
			f.log.put(25, r)
		}, Altered, 25},
		{"delete last entry", func(f *fixture) { delete(f.log.vals, 50) }, Truncated, 50},
		{"truncate tail", func(f *fixture) { f.truncate(41) }, Truncated, 41},
		{"truncate tail and roll head back", func(f *fixture) {
			f.truncate(41)
			f.head = f.rec(40).Head()
		}, 0, 0},
		{"truncate tail and roll head back, earlier checkpoint", func(f *fixture) {
			f.sign(30)
			f.truncate(41)
			f.head = f.rec(40).Head()
		}, 0, 0},
		{"truncate tail and roll head back, later checkpoint", func(f *fixture) {
			f.sign(30)
			f.sign(45)
			f.truncate(41)
			f.head = f.rec(40).Head()
		}, Truncated, 41},
		{"rewrite entry 10 and rehash the rest", func(f *fixture) { f.rewriteFrom(10) }, 0, 0},
		{"rewrite entry 10 and rehash the rest, later checkpoint", func(f *fixture) {
			f.sign(40)
			f.rewriteFrom(10)
		}, CheckpointMismatch, 40},
		{"rewrite entry 45 and rehash the rest, earlier checkpoint", func(f *fixture) {
			f.sign(40)
			f.rewriteFrom(45)
		}, 0, 0},
		{"forged checkpoint", func(f *fixture) {
			f.cps = append(f.cps, SignCheckpoint([]byte("another key, another key, another"), f.head, t0))
		}, BadCheckpoint, chainLen},
		{"checkpoint moved forward", func(f *fixture) {
			f.sign(40)
			f.cps[0].Head = f.rec(50).Head()
		}, BadCheckpoint, 50},
		{"checkpoint of another unit's empty log", func(f *fixture) {
			f.cps = append(f.cps, SignCheckpoint(testKey, Head{Hash: Genesis(otherUnit)}, t0))
		}, CheckpointMismatch, 0},
		{"wrong unit genesis", func(f *fixture) { f.unit = otherUnit }, ForeignChain, 1},
		{"head missing", func(f *fixture) { f.haveHead = false }, HeadMismatch, 0},
		{"head hash wrong", func(f *fixture) { f.head.Hash[0] ^= 1 }, HeadMismatch, 50},
		{"entry after the head", func(f *fixture) { f.head = f.rec(49).Head() }, HeadMismatch, 50},
		{"head beyond the log", func(f *fixture) { f.head.Seq = 51 }, Truncated, 51},
		{"empty log without head", func(f *fixture) { f.truncate(1); f.haveHead = false }, 0, 0},
		{"empty log with its head", func(f *fixture) { f.truncate(1); f.head = Head{Hash: Genesis(testUnit)} }, 0, 0},
		{"empty log, head of another unit", func(f *fixture) {
			f.truncate(1)
			f.head = Head{Hash: Genesis(otherUnit)}
		}, HeadMismatch, 0},
		{"all entries deleted, head kept", func(f *fixture) { f.truncate(1) }, Truncated, 1},
		{"entries but the head of an empty log", func(f *fixture) { f.head = Head{Hash: Genesis(testUnit)} }, HeadMismatch, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.tamper(f)
			rep, err := f.verify()
			if tt.kind == 0 {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if rep.Head != f.head && f.haveHead {
					t.Errorf("report head %d %v, want %d %v", rep.Head.Seq, rep.Head.Hash, f.head.Seq, f.head.Hash)
				}
				if rep.Entries != rep.Head.Seq {
					t.Errorf("report: %d entries, head at %d", rep.Entries, rep.Head.Seq)
				}
				return
			}
			assertChainError(t, err, tt.kind, tt.seq)
			if tt.kind != BadCheckpoint && tt.seq > 0 && rep.Entries != tt.seq-1 {
				t.Errorf("report: %d entries in order, want %d", rep.Entries, tt.seq-1)
			}
			if tt.name == "value fails to open" && !errors.Is(err, errDecrypt) {
				t.Errorf("error %v does not wrap the store's error", err)
			}
		})
	}
}

func assertChainError(t *testing.T, err error, kind ErrorKind, seq uint64) {
	t.Helper()
	var ce *ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("Verify error = %v, want a *ChainError", err)
	}
	if ce.Kind != kind || ce.Seq != seq {
		t.Fatalf("Verify: %s at %d (%v), want %s at %d", ce.Kind, ce.Seq, err, kind, seq)
	}
	if !strings.HasPrefix(err.Error(), "access log broken") {
		t.Errorf("Error() = %q", err)
	}
}

// truncate deletes the entries from seq on.
func (f *fixture) truncate(from uint64) {
	for k := range f.log.vals {
		if k >= from {
			delete(f.log.vals, k)
		}
	}
}

// rewriteFrom changes entry seq and recomputes the chain from there on,
// head included, as someone with write access to the file could.
func (f *fixture) rewriteFrom(seq uint64) {
	head := f.rec(seq - 1).Head()
	for s := seq; s <= chainLen; s++ {
		e := f.rec(s).Entry
		if s == seq {
			e.Actor = "SE2321000016-S999"
		}
		r, h, err := Next(head, e)
		if err != nil {
			panic(err)
		}
		f.log.put(s, r)
		head = h
	}
	f.head = head
}

// TestVerifyFlipEveryByte flips each byte of a stored record in turn.
func TestVerifyFlipEveryByte(t *testing.T) {
	f := newFixture(t)
	orig := f.log.vals[25]
	for i := range orig {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte(nil), orig...)
			b[i] ^= mask
			f.log.vals[25] = b
			_, err := f.verify()
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Kind != Altered || ce.Seq != 25 {
				t.Fatalf("byte %d ^ %#x: Verify = %v, want entry 25 altered", i, mask, err)
			}
		}
	}
}

// TestVerifyKeysOutOfOrder covers a store that yields keys out of order
// or twice, which bbolt never does.
func TestVerifyKeysOutOfOrder(t *testing.T) {
	recs, head := buildChain(t, testUnit, 3)
	records := func(yield func(uint64, Record, error) bool) {
		for _, k := range []int{0, 1, 1, 2} {
			if !yield(uint64(k+1), recs[k], nil) {
				return
			}
		}
	}
	_, err := Verify(testUnit, records, head, true)
	assertChainError(t, err, OutOfOrder, 2)
}

// TestVerifyStopsAtFirstFault checks that Verify asks the store for
// nothing more once the log is broken.
func TestVerifyStopsAtFirstFault(t *testing.T) {
	f := newFixture(t)
	delete(f.log.vals, 10)
	inner := f.log.records()
	calls := 0
	records := func(yield func(uint64, Record, error) bool) {
		inner(func(k uint64, r Record, err error) bool {
			calls++
			more := yield(k, r, err)
			if !more && k != 11 {
				t.Errorf("stopped at key %d, want 11", k)
			}
			return more
		})
	}
	_, err := Verify(testUnit, records, f.head, true)
	assertChainError(t, err, Missing, 10)
	if calls != 10 {
		t.Errorf("%d records read, want 10", calls)
	}
}

func TestVerifyNoUnit(t *testing.T) {
	f := newFixture(t)
	f.unit = ""
	if _, err := f.verify(); err == nil {
		t.Fatal("Verify with no unit succeeded")
	}
}

func TestChainErrorMessage(t *testing.T) {
	tests := []struct {
		err  ChainError
		want string
	}{
		{ChainError{Seq: 42, Kind: Altered},
			"access log broken at entry 42: entry altered or damaged — the log cannot be trusted from here on"},
		{ChainError{Seq: 41, Kind: Truncated, Detail: "the log ends at entry 40 but its head is entry 50"},
			"access log broken at entry 41: entries removed from the end (the log ends at entry 40 but its head is entry 50) — the log cannot be trusted from here on"},
		{ChainError{Kind: HeadMismatch, Detail: "the head is missing; the log has 3 entries"},
			"access log broken: log head does not match the entries (the head is missing; the log has 3 entries) — the log cannot be trusted"},
		{ChainError{Seq: 1, Kind: 99}, "access log broken at entry 1: ErrorKind(99) — the log cannot be trusted from here on"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() =\n%s\nwant\n%s", got, tt.want)
		}
	}
	for k := Altered; k <= CheckpointMismatch; k++ {
		if strings.HasPrefix(k.String(), "ErrorKind(") {
			t.Errorf("kind %d has no text", int(k))
		}
	}
}

// TestVerifyCheckpointKeys checks that each WithCheckpoints keeps its own key.
func TestVerifyCheckpointKeys(t *testing.T) {
	f := newFixture(t)
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	good := SignCheckpoint(otherKey, f.rec(20).Head(), t0)
	forged := SignCheckpoint(testKey, f.rec(30).Head(), t0)
	_, err := Verify(testUnit, f.log.records(), f.head, true,
		WithCheckpoints(testKey, SignCheckpoint(testKey, f.rec(10).Head(), t0)),
		WithCheckpoints(otherKey, good))
	if err != nil {
		t.Fatalf("two keys: %v", err)
	}
	_, err = Verify(testUnit, f.log.records(), f.head, true,
		WithCheckpoints(otherKey, good, forged), WithCheckpoints(testKey))
	assertChainError(t, err, BadCheckpoint, 30)
}

// TestVerifyFrom (issue 18, item 2): a view checks only what came after
// the last signed checkpoint; each fault after it is found, a fault at or
// before it is left to the full check, and the checkpoint itself must be
// genuine and not ahead of the head.
func TestVerifyFrom(t *testing.T) {
	after := func(s storedLog, seq uint64) Records {
		all := s.records()
		return func(yield func(uint64, Record, error) bool) {
			all(func(k uint64, r Record, err error) bool {
				if k < seq {
					return true
				}
				return yield(k, r, err)
			})
		}
	}
	tests := []struct {
		name    string
		tamper  func(f *fixture)
		kind    ErrorKind // 0: verifies
		seq     uint64
		entries uint64 // checked after the checkpoint, when it verifies
	}{
		{"valid", func(f *fixture) {}, 0, 0, 10},
		{"nothing new", func(f *fixture) { f.truncate(41); f.head = f.rec(40).Head() }, 0, 0, 0},
		{"entry 45 rewritten, hash kept", func(f *fixture) {
			r := f.rec(45)
			r.Entry.Patient = "191010101010"
			f.log.put(45, r)
		}, Altered, 45, 0},
		// As in the full check, a rewrite after the last checkpoint with the
		// rest rehashed is a valid chain: only a later checkpoint finds it.
		{"entry 41 rewritten and the rest rehashed", func(f *fixture) { f.rewriteFrom(41) }, 0, 0, 10},
		{"entry 41 no longer links to the checkpoint", func(f *fixture) {
			r := f.rec(41)
			r.Prev = f.rec(39).Hash
			r.Hash = r.ComputeHash()
			f.log.put(41, r)
		}, OutOfOrder, 41, 0},
		{"entry 43 deleted", func(f *fixture) { delete(f.log.vals, 43) }, Missing, 43, 0},
		{"tail truncated", func(f *fixture) { f.truncate(46) }, Truncated, 46, 0},
		{"cut back below the checkpoint, head with it", func(f *fixture) {
			f.truncate(31)
			f.head = f.rec(30).Head()
		}, Truncated, 31, 0},
		{"the checkpoint's entry deleted", func(f *fixture) { delete(f.log.vals, 40) }, Truncated, 40, 0},
		{"the checkpoint's entry rewritten, hash kept", func(f *fixture) {
			r := f.rec(40)
			r.Entry.Patient = "191010101010"
			f.log.put(40, r)
		}, Altered, 40, 0},
		{"the checkpoint's entry rewritten and rehashed", func(f *fixture) {
			r := f.rec(40)
			r.Entry.Patient = "191010101010"
			r.Hash = r.ComputeHash()
			f.log.put(40, r)
		}, CheckpointMismatch, 40, 0},
		{"the log ends at the checkpoint's entry, head behind it", func(f *fixture) {
			f.truncate(40)
			f.head = f.rec(39).Head()
		}, Truncated, 40, 0},
		{"entry 20, before the checkpoint, rewritten: the full check's", func(f *fixture) {
			r := f.rec(20)
			r.Entry.Patient = "191010101010"
			f.log.put(20, r)
		}, 0, 0, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			cp := SignCheckpoint(testKey, f.rec(40).Head(), t0)
			tc.tamper(f)
			rep, err := Verify(f.unit, after(f.log, 40), f.head, f.haveHead, From(testKey, cp))
			if tc.kind == 0 {
				if err != nil || rep.Entries != tc.entries || rep.Head != f.head {
					t.Fatalf("Verify from 40 = %+v, %v; want %d entries, head %d", rep, err, tc.entries, f.head.Seq)
				}
				return
			}
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Kind != tc.kind || ce.Seq != tc.seq {
				t.Fatalf("Verify from 40 = %v; want %v at %d", err, tc.kind, tc.seq)
			}
		})
	}
	t.Run("forged checkpoint", func(t *testing.T) {
		f := newFixture(t)
		cp := SignCheckpoint([]byte("another key, another key, another"), f.rec(40).Head(), t0)
		var ce *ChainError
		if _, err := Verify(f.unit, after(f.log, 40), f.head, true, From(testKey, cp)); !errors.As(err, &ce) || ce.Kind != BadCheckpoint {
			t.Fatalf("Verify from a forged checkpoint = %v, want BadCheckpoint", err)
		}
	})
}
