package archive

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// checkManifest fails t unless marshalManifest writes what
// json.MarshalIndent(m, "", " ") writes, or fails where it fails.
func checkManifest(t *testing.T, m *Manifest) {
	t.Helper()
	want, wantErr := json.MarshalIndent(m, "", " ")
	got, err := marshalManifest(m)
	if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
		t.Fatalf("manifest %+v:\n%s (%v)\nencoding/json:\n%s (%v)", m, got, err, want, wantErr)
	}
}

// TestManifestSameAsEncodingJSON: manifest.json written by hand is byte
// for byte what encoding/json's MarshalIndent wrote: a package's, empty
// and missing lists, strings to escape, times in other zones and out of
// range.
func TestManifestSameAsEncodingJSON(t *testing.T) {
	now := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	files := []FileSum{{Path: "representations/rep1/data/01kjprzb000000000000000000/case.json", SHA256: "ab12", Size: 3057},
		{Path: "METS.xml", SHA256: "", Size: 0}, {Path: "<&>\"\\\n\u2028\xff", SHA256: "x", Size: 1 << 40}}
	for _, m := range []*Manifest{
		{Format: Format, Name: "SE2321000016-ARKV-a-b", Unit: "SE2321000016-ARKV", Created: now, Cases: []string{"a", "b"}, Files: files},
		{},
		{Cases: []string{}, Files: []FileSum{}},
		{Format: formatV1, Created: now.Add(123456789), Cases: []string{"ä<>"}, Files: files[:1]},
		{Created: now.In(time.FixedZone("CET", 3600))},
		{Created: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Cases: []string{"x"}},
		{Created: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		checkManifest(t, m)
	}
}

// FuzzManifestSameAsEncodingJSON: marshalManifest against
// json.MarshalIndent for any strings, size and time.
func FuzzManifestSameAsEncodingJSON(f *testing.F) {
	f.Add("clinicgw-archive/2", "SE2321000016-ARKV-a-b", "SE2321000016-ARKV", "01kjprzb000000000000000000", "METS.xml", "ab12", 3057, int64(1781078400), int64(0), 2)
	f.Fuzz(func(t *testing.T, format, name, unit, id, path, sum string, size int, secs, nanos int64, n int) {
		m := &Manifest{Format: format, Name: name, Unit: unit, Created: time.Unix(secs, nanos).UTC()}
		for i := range n % 4 {
			m.Cases = append(m.Cases, id)
			m.Files = append(m.Files, FileSum{Path: path, SHA256: sum, Size: size + i})
		}
		if n%5 == 4 {
			m.Cases, m.Files = []string{}, []FileSum{}
		}
		checkManifest(t, m)
	})
}
