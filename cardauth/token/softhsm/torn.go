package softhsm

import (
	"os"
	"path/filepath"
)

// TokenFiles is a copy of every token's token.object in the test's
// token folder, taken by SaveTokenFiles.
//
// SoftHSM2 2.6 (its file back end, Debian 12's only one) truncates a
// token's token.object and writes it again at every login, to reset the
// PIN flags. A process killed between the two leaves the file short, and
// every process after it finds no token with that label ("no matching
// token"): the token is damaged by SoftHSM2's own rewrite, not by the
// program the test kills. A test that SIGKILLs processes logged in to a
// token saves the files first and calls MendTorn after each kill.
type TokenFiles struct {
	h     *SoftHSM
	saved map[string][]byte
}

// SaveTokenFiles copies each token's token.object. Call it once the
// tokens the test uses are made.
func (h *SoftHSM) SaveTokenFiles() *TokenFiles {
	h.t.Helper()
	paths, err := filepath.Glob(filepath.Join(h.dir, "tokens", "*", "token.object"))
	if err != nil || len(paths) == 0 {
		h.t.Fatalf("softhsm: no token files in %s (%v)", h.dir, err)
	}
	tf := &TokenFiles{h: h, saved: make(map[string][]byte, len(paths))}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			h.t.Fatal(err)
		}
		tf.saved[p] = b
	}
	return tf
}

// MendTorn puts back each token.object that a kill left shorter than
// its saved copy (SoftHSM2 writes it whole in one write after the
// truncate) and says how many it put back.
func (tf *TokenFiles) MendTorn() int {
	tf.h.t.Helper()
	mended := 0
	for p, want := range tf.saved {
		got, err := os.ReadFile(p)
		if err == nil && len(got) >= len(want) {
			continue
		}
		if err := os.WriteFile(p, want, 0o600); err != nil {
			tf.h.t.Fatal(err)
		}
		mended++
	}
	return mended
}
