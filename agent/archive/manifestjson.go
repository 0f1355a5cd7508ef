package archive

import (
	"encoding/json"
	"strconv"
)

// marshalManifest is manifest.json's bytes: exactly what
// json.MarshalIndent(m, "", " ") writes (TestManifestSameAsEncodingJSON
// and its fuzz target compare them), written by hand. A package's
// manifest lists every file, three per case, and the reflection and the
// indenting pass cost more than METS.xml.
func marshalManifest(m *Manifest) ([]byte, error) {
	created, err := m.Created.MarshalJSON() // what encoding/json calls; it refuses a year out of range
	if err != nil {
		return json.MarshalIndent(m, "", " ") // it says what it refuses
	}
	b := make([]byte, 0, 256+len(m.Cases)*32+len(m.Files)*192)
	b = append(b, "{\n \"format\": "...)
	b = appendJSONString(b, m.Format)
	b = append(b, ",\n \"name\": "...)
	b = appendJSONString(b, m.Name)
	b = append(b, ",\n \"unit\": "...)
	b = appendJSONString(b, m.Unit)
	b = append(b, ",\n \"created\": "...)
	b = append(b, created...) // digits and punctuation: nothing to escape
	b = append(b, ",\n \"cases\": "...)
	switch {
	case m.Cases == nil:
		b = append(b, "null"...)
	case len(m.Cases) == 0:
		b = append(b, "[]"...)
	default:
		b = append(b, '[')
		for i, id := range m.Cases {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n  "...)
			b = appendJSONString(b, id)
		}
		b = append(b, "\n ]"...)
	}
	b = append(b, ",\n \"files\": "...)
	switch {
	case m.Files == nil:
		b = append(b, "null"...)
	case len(m.Files) == 0:
		b = append(b, "[]"...)
	default:
		b = append(b, '[')
		for i, f := range m.Files {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, "\n  {\n   \"path\": "...)
			b = appendJSONString(b, f.Path)
			b = append(b, ",\n   \"sha256\": "...)
			b = appendJSONString(b, f.SHA256)
			b = append(b, ",\n   \"size\": "...)
			b = strconv.AppendInt(b, int64(f.Size), 10)
			b = append(b, "\n  }"...)
		}
		b = append(b, "\n ]"...)
	}
	return append(b, "\n}"...), nil
}
