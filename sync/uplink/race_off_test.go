//go:build !race

package uplink

// raceEnabled: built with -race (race_on_test.go).
const raceEnabled = false
