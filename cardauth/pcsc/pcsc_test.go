package pcsc

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"clinicgw/cardauth/cardtest"
)

// One private pcscd for the package: libpcsclite reads its socket's path
// once per process, before the first PC/SC call.
var daemon *cardtest.PCSCD

func TestMain(m *testing.M) {
	os.Exit(cardtest.Main(&daemon, func() int { return m.Run() }))
}

// events runs a monitor and delivers its events on a channel.
func events(t *testing.T) (<-chan Event, context.CancelFunc) {
	t.Helper()
	ch := make(chan Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	m := New(Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	go func() {
		defer close(done)
		m.Run(ctx, func(e Event) { ch <- e })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10 s of its context's end")
		}
	})
	return ch, cancel
}

// next waits for an event of kind (others are skipped and logged).
func next(t *testing.T, ch <-chan Event, kind Kind) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Kind == kind {
				return e
			}
			t.Logf("skipped %s %s", e.Kind, e.Reader)
		case <-deadline:
			t.Fatalf("no %s event within 10 s", kind)
		}
	}
}

// TestRealReader: pcscd with vpcd; a virtual card inserted and removed;
// pcscd killed and started again.
func TestRealReader(t *testing.T) {
	cardtest.SkipUnlessAvailable(t)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	defer daemon.Stop()
	ch, _ := events(t)
	e := next(t, ch, ReaderAdded)
	if e.Reader != cardtest.ReaderName || !e.Initial {
		t.Errorf("reader %+v", e)
	}
	atr := []byte{0x3B, 0x8A, 0x80, 0x01, 0x80, 0x31, 0xC0, 0x73, 0xC8, 0x01, 0x80, 0x00, 0x90, 0x00, 0x92}
	card, err := cardtest.Insert(daemon.Port, atr, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	e = next(t, ch, CardInserted)
	t.Logf("insert seen after %v", time.Since(at))
	if e.Reader != cardtest.ReaderName || len(e.ATR) < len(atr)-1 || string(e.ATR[:len(atr)-1]) != string(atr[:len(atr)-1]) {
		t.Errorf("insert %+v, ATR want %X (the last byte may be missing)", e, atr)
	}
	at = time.Now()
	card.Remove()
	next(t, ch, CardRemoved)
	t.Logf("removal seen after %v", time.Since(at))

	// pcscd killed: ServiceDown once; back: ServiceUp and the reader again.
	daemon.Stop()
	next(t, ch, ServiceDown)
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	next(t, ch, ServiceUp)
	next(t, ch, ReaderAdded)
	card, err = cardtest.Insert(daemon.Port, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	next(t, ch, CardInserted)
	card.Remove()
	next(t, ch, CardRemoved)
}

// BenchmarkRemovalLatency: a virtual card pulled → CardRemoved seen, over
// real pcscd + vpcd (pcscd polls the virtual reader about every 400 ms).
func BenchmarkRemovalLatency(b *testing.B) {
	if why := cardtest.Available(); why != "" {
		b.Skip(why)
	}
	if err := daemon.Start(); err != nil {
		b.Fatal(err)
	}
	defer daemon.Stop()
	ch := make(chan Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); New(Options{}).Run(ctx, func(e Event) { ch <- e }) }()
	defer func() { cancel(); <-stopped }()
	wait := func(kind Kind) {
		for e := range ch {
			if e.Kind == kind {
				return
			}
		}
	}
	var lat []time.Duration
	for b.Loop() {
		card, err := cardtest.Insert(daemon.Port, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		wait(CardInserted)
		t0 := time.Now()
		card.Remove()
		wait(CardRemoved)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}
