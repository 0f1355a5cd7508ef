package pcsc

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ebfe/scard"
)

// fakePCSC behaves like pcscd towards GetStatusChange: it answers at once
// when a reader's state or the reader list differs from what the caller
// knows, and otherwise waits for a change, the timeout or Cancel.
type fakePCSC struct {
	mu        sync.Mutex
	readers   map[string]bool // reader → card present
	count     uint32          // reader-list changes, in the PnP reader's upper 16 bits
	cancelled bool            // Cancel was called: the wait in progress ends
	wake      chan struct{}
}

func newFakePCSC() *fakePCSC {
	return &fakePCSC{readers: map[string]bool{}, wake: make(chan struct{}, 1)}
}

func (f *fakePCSC) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakePCSC) plug(name string, on bool) {
	f.mu.Lock()
	if on {
		f.readers[name] = false
	} else {
		delete(f.readers, name)
	}
	f.count++
	f.mu.Unlock()
	f.poke()
}

func (f *fakePCSC) card(name string, present bool) {
	f.mu.Lock()
	f.readers[name] = present
	f.mu.Unlock()
	f.poke()
}

func (f *fakePCSC) ListReaders() ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.readers) == 0 {
		return nil, scard.ErrNoReadersAvailable
	}
	var out []string
	for r := range f.readers {
		out = append(out, r)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakePCSC) GetStatusChange(states []scard.ReaderState, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		if f.cancelled {
			f.cancelled = false
			f.mu.Unlock()
			return scard.ErrCancelled
		}
		changed := false
		for i := range states {
			s := &states[i]
			var now scard.StateFlag
			if s.Reader == pnpReader {
				now = scard.StateFlag(f.count << 16)
			} else if present, ok := f.readers[s.Reader]; !ok {
				f.mu.Unlock()
				return scard.ErrUnknownReader
			} else if present {
				now = scard.StatePresent
				s.Atr = []byte{0x3B, 0x00}
			} else {
				now = scard.StateEmpty
			}
			if now != s.CurrentState {
				s.EventState = now | scard.StateChanged
				changed = true
			} else {
				s.EventState = now
			}
		}
		f.mu.Unlock()
		if changed {
			return nil
		}
		select {
		case <-f.wake:
		case <-deadline:
			return scard.ErrTimeout
		}
	}
}

func (f *fakePCSC) Cancel() error {
	f.mu.Lock()
	f.cancelled = true
	f.mu.Unlock()
	f.poke()
	return nil
}
func (f *fakePCSC) Release() error { return nil }

// TestHotPlug: readers plugged in and out while watching (the PnP
// notification reader), with a card in one, on a fake PC/SC service (vpcd's
// readers are fixed, so the real part cannot plug one in).
func TestHotPlug(t *testing.T) {
	f := newFakePCSC()
	m := New(Options{Poll: time.Hour, establish: func() (conn, error) { return f, nil }})
	ch := make(chan Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, func(e Event) { ch <- e }) }()
	expect := func(kind Kind, reader string) {
		t.Helper()
		select {
		case e := <-ch:
			if e.Kind != kind || e.Reader != reader {
				t.Fatalf("event %s %q, want %s %q", e.Kind, e.Reader, kind, reader)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s %q", kind, reader)
		}
	}
	f.plug("USB Reader A", true)
	expect(ReaderAdded, "USB Reader A")
	f.card("USB Reader A", true)
	expect(CardInserted, "USB Reader A")
	f.plug("USB Reader B", true)
	expect(ReaderAdded, "USB Reader B")
	f.plug("USB Reader A", false) // unplugged with the card in it
	expect(CardRemoved, "USB Reader A")
	expect(ReaderRemoved, "USB Reader A")
	cancel() // Cancel unblocks the wait at once (Poll is an hour)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
