package wire

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden pins the canonical encoding of one instance of each body
// type: Marshal must write testdata/<name>.json byte for byte, and the
// file must decode to the same value. Run with -update after a deliberate
// change of the wire format (which is a protocol change: see Version).
func TestGolden(t *testing.T) {
	for _, b := range bodies {
		t.Run(b.name, func(t *testing.T) {
			path := filepath.Join("testdata", b.name+".json")
			got := goldenBytes(b)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal differs from %s:\n got %s\nwant %s", path, got, want)
			}
			v, err := b.decode(bytes.NewReader(want))
			if err != nil {
				t.Fatalf("decode %s: %v", path, err)
			}
			if !reflect.DeepEqual(v, b.value()) {
				t.Errorf("decode %s:\n got %+v\nwant %+v", path, v, b.value())
			}
		})
	}
}
