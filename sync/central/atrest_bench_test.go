package central

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/sync/kekfile"
	"clinicgw/sync/wire"
)

// BenchmarkCaseAtRest: a case's patient copy with 2 KiB of Swedish text,
// sealed and opened at rest (AES-256-GCM under the patient's data key,
// the key unwrapped once) against JSON alone, in the same run.
func BenchmarkCaseAtRest(b *testing.B) {
	kek, err := kekfile.New("", bytes.Repeat([]byte{1}, 32), rand.NewChaCha8([32]byte{1}))
	if err != nil {
		b.Fatal(err)
	}
	s := &Store{rand: &lockedReader{r: rand.NewChaCha8([32]byte{2})},
		ring: &keyRing{path: filepath.Join(b.TempDir(), "ring"), kek: kek, rand: rand.NewChaCha8([32]byte{3}),
			wrapped: map[string][]byte{}, open: map[string][]byte{}}}
	p := casePrivate{Title: "Rådgivning", Patient: wire.Person{PNR: "198005179810", Name: "Åsa Öberg"},
		Fields: []wire.Field{{Name: "question", Value: "Ont i halsen"}}, Text: strings.Repeat("Jag har ont i halsen, ", 93)}
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			v, _ := json.Marshal(p)
			var out casePrivate
			if err := json.Unmarshal(v, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sealed", func(b *testing.B) {
		for b.Loop() {
			v, err := s.sealJSON("#owner", "cases/x", p)
			if err != nil {
				b.Fatal(err)
			}
			var out casePrivate
			if err := s.openJSON("cases/x", v, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
