// Package logtest holds what tests need to read a technical log written
// from many goroutines: Buffer, a bytes.Buffer behind a mutex. It is the
// one copy; tests of the gateway and of the reference central store both
// use it, so it lives under sync beside the other shared leaves.
package logtest
