package clock

import "time"

// Clock tells the time and makes timers and tickers.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that sends the time on C once d has
	// passed, as time.NewTimer.
	NewTimer(d time.Duration) Timer
	// NewTicker returns a ticker that sends the time on C every d (d > 0),
	// dropping ticks for a slow reader, as time.NewTicker.
	NewTicker(d time.Duration) Ticker
}

// Timer is a time.Timer behind an interface. Stop and Reset behave as
// Go 1.23's: no stale value is received after either returns.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Ticker is a time.Ticker behind an interface.
type Ticker interface {
	C() <-chan time.Time
	Stop()
	Reset(d time.Duration)
}

// System is the real clock.
var System Clock = system{}

type system struct{}

func (system) Now() time.Time                 { return time.Now() }
func (system) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }
func (system) NewTicker(d time.Duration) Ticker {
	return realTicker{time.NewTicker(d)}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time        { return t.t.C }
func (t realTimer) Stop() bool                 { return t.t.Stop() }
func (t realTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

type realTicker struct{ t *time.Ticker }

func (t realTicker) C() <-chan time.Time   { return t.t.C }
func (t realTicker) Stop()                 { t.t.Stop() }
func (t realTicker) Reset(d time.Duration) { t.t.Reset(d) }

// Stopped returns a timer from c that is not running: a debounce that a
// later Reset starts. Its channel never receives before a Reset.
func Stopped(c Clock) Timer {
	t := c.NewTimer(time.Hour)
	t.Stop()
	return t
}
