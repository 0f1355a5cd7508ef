package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"clinicgw/sync/atomicfile"
)

// templateHead opens every file Write makes.
const templateHead = `# clinicgw configuration
# TOML (https://toml.io). An unknown key is an error; relative paths are
# relative to this file's folder.
`

// Template is c as a TOML file with every key and its comment (the
// schema's doc tags), in the order of the schema. A table within a table
// ([store.token]) is left out while all its keys are empty.
func (c *Config) Template() []byte {
	var b strings.Builder
	b.WriteString(templateHead)
	v := reflect.ValueOf(c).Elem()
	for _, k := range keys() {
		f := v.FieldByIndex(k.index)
		if k.Table {
			if strings.Contains(k.Name, ".") && f.IsZero() {
				continue
			}
			b.WriteString("\n[" + k.Name + "]\n")
		} else if t := k.Name[:strings.LastIndexByte(k.Name, '.')]; strings.Contains(t, ".") && v.FieldByIndex(k.index[:len(k.index)-1]).IsZero() {
			continue // a key of a sub-table left out
		}
		if k.Doc != "" {
			for l := range strings.SplitSeq(k.Doc, "\n") {
				b.WriteString("# " + l + "\n")
			}
		}
		if !k.Table {
			b.WriteString(k.Name[strings.LastIndexByte(k.Name, '.')+1:] + " = " + tomlValue(f) + "\n")
		}
	}
	return []byte(b.String())
}

// tomlValue writes v, a key's value, in TOML.
func tomlValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return tomlString(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = tomlValue(v.Index(i))
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	panic(fmt.Sprintf("config: no TOML for a %v", v.Type()))
}

// Write validates the configuration and writes it, with comments, to path
// with mode 0640. The write is atomic: a temporary file in the same folder
// is written, synced and renamed over path, so a crash leaves either the
// old file or the new one. Afterwards relative paths resolve against path's
// folder.
func (c *Config) Write(path string) (err error) {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := atomicfile.Write(abs, c.Template(), 0o640); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	c.path = abs
	return nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
