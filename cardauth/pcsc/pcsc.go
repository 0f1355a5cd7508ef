package pcsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"clinicgw/sync/clock"

	"github.com/ebfe/scard"
)

// Kind says what an Event reports.
type Kind string

// The event kinds.
const (
	ReaderAdded   Kind = "reader-added"
	ReaderRemoved Kind = "reader-removed"
	CardInserted  Kind = "card-inserted"
	CardRemoved   Kind = "card-removed"
	ServiceDown   Kind = "service-down" // pcscd is not running or went away; the monitor reconnects
	ServiceUp     Kind = "service-up"   // pcscd is back after ServiceDown
)

// Event is a change in the readers or their cards.
type Event struct {
	Kind   Kind
	Reader string
	ATR    []byte // CardInserted: the card's answer to reset (may lack its last byte)
	// Initial is set for the state found at start or after reconnecting,
	// as opposed to a change seen while watching.
	Initial bool
	At      time.Time
	Err     error // ServiceDown: why
}

// Errors.
var (
	ErrNoService = errors.New("the PC/SC service (pcscd) is not running; start it (systemctl start pcscd.socket)")
	ErrNoReaders = errors.New("no card reader is connected")
)

// pnpReader is PC/SC's notification reader for readers coming and going.
const pnpReader = `\\?PnP?\Notification`

// conn is the part of a PC/SC context the monitor uses; *scard.Context
// has it.
type conn interface {
	ListReaders() ([]string, error)
	GetStatusChange(states []scard.ReaderState, timeout time.Duration) error
	Cancel() error
	Release() error
}

// Options configure a Monitor.
type Options struct {
	Clock  clock.Clock
	Logger *slog.Logger
	// MinBackoff and MaxBackoff bound the wait between attempts to reach
	// pcscd (250 ms and 5 s by default): never a busy loop.
	MinBackoff, MaxBackoff time.Duration
	// Poll bounds each GetStatusChange wait (2 s by default); cancelling
	// the context also interrupts it at once.
	Poll time.Duration
	// establish makes a PC/SC context; scard.EstablishContext if nil
	// (tests put a fake here).
	establish func() (conn, error)
}

// Monitor watches the readers and their cards.
type Monitor struct{ o Options }

// New returns a Monitor.
func New(o Options) *Monitor {
	if o.Clock == nil {
		o.Clock = clock.System
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.establish == nil {
		o.establish = func() (conn, error) {
			c, err := scard.EstablishContext()
			if err != nil {
				return nil, err
			}
			return c, nil
		}
	}
	return &Monitor{o: o}
}

// Readers lists the readers now.
func (m *Monitor) Readers() ([]string, error) {
	c, err := m.o.establish()
	if err != nil {
		return nil, classify(err)
	}
	defer c.Release()
	rs, err := c.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, ErrNoReaders
	}
	return rs, classify(err)
}

// classify turns PC/SC errors callers branch on into this package's.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, scard.ErrNoService), errors.Is(err, scard.ErrServiceStopped):
		return fmt.Errorf("%w (%v)", ErrNoService, err)
	}
	return err
}

// Run calls fn for every event until ctx ends, from one goroutine: first
// the readers and cards present, then every change. When pcscd is missing
// or goes away it reports ServiceDown once and tries again with growing
// waits; when it is back, ServiceUp and the state found. It returns nil
// when ctx ends.
func (m *Monitor) Run(ctx context.Context, fn func(Event)) error {
	backoff := m.o.MinBackoff
	down := false
	for ctx.Err() == nil {
		c, err := m.o.establish()
		if err != nil {
			if !down {
				down = true
				fn(Event{Kind: ServiceDown, At: m.o.Clock.Now(), Err: classify(err)})
				m.o.Logger.Warn("PC/SC service unreachable; retrying", "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-m.o.Clock.NewTimer(backoff).C():
			}
			backoff = min(2*backoff, m.o.MaxBackoff)
			continue
		}
		if down {
			down = false
			fn(Event{Kind: ServiceUp, At: m.o.Clock.Now()})
			m.o.Logger.Info("PC/SC service reachable again")
		}
		started := m.o.Clock.Now()
		err = m.watch(ctx, c, fn)
		c.Release()
		if ctx.Err() != nil {
			return nil
		}
		down = true
		fn(Event{Kind: ServiceDown, At: m.o.Clock.Now(), Err: classify(err)})
		m.o.Logger.Warn("PC/SC service lost; reconnecting", "err", err)
		// A watch that fails at once again and again slows down like a
		// missing service; one that ran a while starts over from the least.
		if m.o.Clock.Now().Sub(started) > m.o.MaxBackoff {
			backoff = m.o.MinBackoff
		} else {
			backoff = min(2*backoff, m.o.MaxBackoff)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.o.Clock.NewTimer(backoff).C():
		}
	}
	return nil
}

// readerState is what the monitor knows of one reader.
type readerState struct {
	present bool
}

// watch follows one PC/SC context until it fails or ctx ends.
func (m *Monitor) watch(ctx context.Context, c conn, fn func(Event)) error {
	stop := context.AfterFunc(ctx, func() { c.Cancel() })
	defer stop()
	known := map[string]*readerState{}
	states := []scard.ReaderState{{Reader: pnpReader, CurrentState: scard.StateUnaware}}
	initial := true
	sync := func() error {
		names, err := c.ListReaders()
		if errors.Is(err, scard.ErrNoReadersAvailable) {
			names, err = nil, nil
		}
		if err != nil {
			return err
		}
		now := m.o.Clock.Now()
		for name := range known {
			if !slices.Contains(names, name) {
				if known[name].present {
					fn(Event{Kind: CardRemoved, Reader: name, At: now})
				}
				delete(known, name)
				fn(Event{Kind: ReaderRemoved, Reader: name, At: now})
			}
		}
		kept := states[:1]
		for _, s := range states[1:] {
			if slices.Contains(names, s.Reader) {
				kept = append(kept, s)
			}
		}
		states = kept
		for _, name := range names {
			if _, ok := known[name]; ok {
				continue
			}
			known[name] = &readerState{}
			fn(Event{Kind: ReaderAdded, Reader: name, Initial: initial, At: now})
			states = append(states, scard.ReaderState{Reader: name, CurrentState: scard.StateUnaware})
		}
		return nil
	}
	if err := sync(); err != nil {
		return err
	}
	for ctx.Err() == nil {
		err := c.GetStatusChange(states, m.o.Poll)
		switch {
		case errors.Is(err, scard.ErrTimeout):
			continue
		case errors.Is(err, scard.ErrCancelled):
			if ctx.Err() != nil {
				return nil
			}
			continue
		case errors.Is(err, scard.ErrUnknownReader), errors.Is(err, scard.ErrReaderUnavailable):
			if err := sync(); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		now := m.o.Clock.Now()
		readersChanged := false
		for i := range states {
			s := &states[i]
			if s.EventState&scard.StateChanged == 0 {
				continue
			}
			if s.Reader == pnpReader {
				readersChanged = true
			} else if r := known[s.Reader]; r != nil {
				present := s.EventState&scard.StatePresent != 0
				if present != r.present {
					kind := CardRemoved
					var atr []byte
					if present {
						kind, atr = CardInserted, slices.Clone(s.Atr)
					}
					r.present = present
					fn(Event{Kind: kind, Reader: s.Reader, ATR: atr, Initial: initial && s.CurrentState == scard.StateUnaware, At: now})
				}
			}
			s.CurrentState = s.EventState &^ scard.StateChanged
		}
		initial = false
		if readersChanged {
			if err := sync(); err != nil {
				return err
			}
		}
	}
	return nil
}
