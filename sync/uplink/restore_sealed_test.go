//go:build unix

package uplink

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestCentralRestoreSealed is TestCentralRestore with the unit's sealing
// on before the first case (issue 22): the central store holds every
// case sealed, so what it lost with the restore comes back from the
// gateway's journal as sent — sealed — and the store takes it back
// unopened: the chain links match, the case's routing record and the
// patient's list entry (under the keyed hash) are made again, and the
// patient pages show every case and answer as before. Nothing is refused
// or quarantined on either side.
// CLINICGW_CENTRAL_RESTORE_SEALED_ROUNDS sets the rounds (6 by default).
func TestCentralRestoreSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rounds := 6
	if s := os.Getenv("CLINICGW_CENTRAL_RESTORE_SEALED_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CLINICGW_CENTRAL_RESTORE_SEALED_ROUNDS=%q: want a positive number", s)
		}
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 0))
	for r := range rounds {
		if !t.Run("round"+strconv.Itoa(r), func(t *testing.T) { restoreRound(t, rnd, r, true) }) {
			t.Fatalf("round %d failed (seed %d)", r, seed)
		}
	}
}

// checkSealedRestore checks that a sealed restore round refused nothing.
func checkSealedRestore(t *testing.T, g *gateway) {
	t.Helper()
	st := g.up.Status()
	if st.Sealing != SealingOn || st.SealedRefused != 0 || st.Quarantined != 0 {
		t.Errorf("after the restore: sealing %q, %d sealed events refused, %d quarantined", st.Sealing, st.SealedRefused, st.Quarantined)
	}
}
