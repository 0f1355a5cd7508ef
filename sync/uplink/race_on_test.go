//go:build race

package uplink

// raceEnabled: built with -race, whose instrumentation allocates, so
// that counts of bytes allocated say nothing.
const raceEnabled = true
