//go:build race

package store

// raceEnabled: built with -race, under which sync.Pool drops values at
// random and allocation counts say nothing.
const raceEnabled = true
