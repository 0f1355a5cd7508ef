package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: any file is read without a panic; every problem is placed
// within the file; a file that is taken writes back (Template) to one
// that reads as the same configuration.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"template-default.golden", "template-full.golden"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("[unit]\nhsa_id = \"SE2321000016-15ZM\"\nname = \"x\"\n[store.token]\nmodul = 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("c.toml", data)
		if err != nil {
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range problemList(err) {
				var ke *KeyError
				if errors.As(e, &ke) && (ke.Line < 0 || ke.Line > lines) {
					t.Fatalf("%v: line %d of a %d-line file", ke, ke.Line, lines)
				}
			}
			return
		}
		back, err := Parse("c.toml", c.Template())
		if err != nil {
			t.Fatalf("the template of a file taken is refused: %v\n%s", err, c.Template())
		}
		if !reflect.DeepEqual(values(back), values(c)) { // values: an empty list is a list left out
			t.Fatalf("round trip:\n%+v\nwant\n%+v", back, c)
		}
	})
}
