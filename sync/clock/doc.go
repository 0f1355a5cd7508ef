// Package clock is clinicgw's one source of time: the Clock interface
// (Now, NewTimer, NewTicker), the system clock behind it (System), and in
// clocktest the one fake clock the tests use. Every package that reads the
// time, waits or ticks takes a Clock in its configuration and defaults to
// System; no other package declares a clock type, starts a timer or ticker
// with package time, or reads time.Now where behaviour depends on it (a test
// in this package, TestOneClock, keeps it so and lists the few exceptions
// with their reasons: deadlines handed to the kernel on a real socket or
// file lock, and durations only logged).
//
// # Why an injected interface, and not testing/synctest
//
// Go 1.26's synctest runs a test in a bubble with a fake clock and no
// interface at all, and was weighed against this package. It does not fit
// this code base's tests, which use the real parts: mutual TLS on loopback,
// websockets, fsnotify, pcscd and SoftHSM2. In a bubble time moves only
// when every goroutine is durably blocked, and a goroutine waiting on the
// network, a file watch or a cgo call never is, so those tests would not
// advance. The tests also need the clock at particular dates (Swedish
// working days and holidays for due dates, certificate validity, OCSP
// freshness, daylight-saving nights for the nightly schedules), and a
// bubble always starts at 2000-01-01. And a test must be able to move one
// part's time without moving another's (a card session's idle timeout
// while the TLS stack judges certificates by the real clock). So time is
// injected, and synctest stays available for a pure-logic test that wants
// it.
//
// # Where it lives
//
// The top level of the repository is fixed, and both ends use the clock:
// the gateway (agent/…, localui, cardauth) and the reference central store
// (sync/central), which must not import the gateway. So it lives beside the
// other leaves both ends share, sync/wire and sync/tlsconf, and imports only
// the standard library: anything may import it.
//
// Consumers that only read the time may declare a one-method interface of
// their own (interface{ Now() time.Time }) at a function's parameter; a
// configuration field takes a Clock, so that one value passed at the top
// drives every part's time, its timers and tickers included.
package clock
