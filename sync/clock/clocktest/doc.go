// Package clocktest is the one fake clock of clinicgw's tests: a
// clock.Clock whose time moves only when the test says so (Advance, Set),
// and whose timers and tickers fire when it moves past them. BlockUntil
// lets a test wait until the code under test has started its timers, so
// that a test never sleeps to let a goroutine reach its wait.
package clocktest
