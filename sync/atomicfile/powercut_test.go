//go:build linux

package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"clinicgw/agent/powercut"
)

// Each helper cut by agent/powercut at every one of its operations in
// turn, with the names rolled back and with them kept: what a helper said
// it did survives; what it did not finish leaves the old state or nothing,
// never an empty or half-written file under the name.
func TestPowerCutAtEveryStep(t *testing.T) {
	powercut.Require(t)
	old := bytes.Repeat([]byte("old "), 3000)
	new := bytes.Repeat([]byte("new!"), 5000)
	for _, tc := range []struct {
		name string
		// do runs the helper in dir on the disk; it returns the file to check.
		do func(dir string) (string, error)
		// before is the file's content before (nil: none).
		before []byte
		after  []byte
	}{
		{"Write over an old file", func(dir string) (string, error) {
			p := filepath.Join(dir, "f")
			return p, Write(p, new, 0o600)
		}, old, new},
		{"Write a new file in new folders", func(dir string) (string, error) {
			sub := filepath.Join(dir, "a", "b")
			if err := MkdirAll(sub, 0o700); err != nil {
				return filepath.Join(sub, "f"), err
			}
			p := filepath.Join(sub, "f")
			return p, Write(p, new, 0o600)
		}, nil, new},
		{"Create a file another writer fills", func(dir string) (string, error) {
			p := filepath.Join(dir, "g")
			return p, Create(p, func(tmp string) error {
				f, err := os.OpenFile(tmp, os.O_WRONLY, 0)
				if err != nil {
					return err
				}
				defer f.Close()
				if _, err := f.Write(new); err != nil {
					return err
				}
				return f.Sync()
			})
		}, nil, new},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cuts := 0
			for keep := range 2 {
				for k := 1; ; k++ {
					backing := t.TempDir()
					data := filepath.Join(backing, "data")
					os.MkdirAll(data, 0o700)
					if tc.before != nil {
						os.WriteFile(filepath.Join(data, "f"), tc.before, 0o600)
					}
					d := powercut.Mount(t, backing)
					if keep == 1 {
						d.KeepNames()
					}
					d.CutAfter(k)
					p, err := tc.do(d.Dir())
					cutFirst := false
					select {
					case <-d.CutDone():
						cutFirst = true
					default:
					}
					d.Unmount(t)
					rel, _ := filepath.Rel(d.Dir(), p)
					got, rerr := os.ReadFile(filepath.Join(d.Backing(), rel))
					what := fmt.Sprintf("cut at operation %d (names kept: %v), helper said %v", k, keep == 1, err)
					switch {
					case err == nil && !bytes.Equal(got, tc.after):
						t.Fatalf("%s: the file holds %d bytes (%v), want the new %d", what, len(got), rerr, len(tc.after))
					case err != nil && !bytes.Equal(got, tc.after) && !bytes.Equal(got, tc.before) && !(tc.before == nil && errors.Is(rerr, os.ErrNotExist)):
						t.Fatalf("%s: the file holds %d bytes (%v): neither the old nor the new content", what, len(got), rerr)
					}
					if !cutFirst {
						break // the helper finished before the kth operation: every step was cut
					}
					cuts++
				}
			}
			if cuts < 6 {
				t.Fatalf("only %d cuts landed inside the helper", cuts)
			}
		})
	}
}
