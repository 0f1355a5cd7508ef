package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// The schema is Config's struct tags, read here once; everything that
// lists keys — the key table of error messages, the commented file Write
// makes, the keys a reload compares and applies — is derived from it.
//
//	toml:"name"       the key (a struct field is a table)
//	want:"hint"       what a value is, for "expected …" in errors: a
//	                  string is "a quoted string (hint)", a list "a list
//	                  of quoted strings (hint)", a number "a whole number
//	                  of hint", a bool "true or false"
//	doc:"text"        the comment Write puts above the key or the table
//	                  (lines split at \n)
//	reload:"live"     on a table of Config: its keys apply while the
//	                  gateway runs, as long as the table stays in use
//	                  (Enabled) before and after
//	reload:"restart"  on a key of such a table: it waits for a restart

// Key is one key of the configuration file, or one table.
type Key struct {
	Name  string // dotted: "login.trust_anchors"; a table: "login"
	Table bool
	Want  string // what a value is, in words: "a quoted string (a file path)"
	Doc   string // the comment Write puts above it, lines split by \n
	Live  bool   // a changed value applies while the gateway runs
	index []int  // the field's index path from Config
}

var keys = sync.OnceValue(func() []Key {
	var out []Key
	var walk func(t reflect.Type, prefix string, index []int, live bool, inLive bool)
	walk = func(t reflect.Type, prefix string, index []int, live, inLive bool) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if name == "" || name == "-" {
				continue
			}
			if prefix != "" {
				name = prefix + "." + name
			}
			idx := append(slices.Clone(index), i)
			k := Key{Name: name, Doc: f.Tag.Get("doc"), index: idx}
			switch r := f.Tag.Get("reload"); {
			case r == "live" && prefix == "":
				k.Live = true
			case r == "restart" && inLive:
			case r == "" && inLive:
				k.Live = live
			case r == "":
			default:
				panic(fmt.Sprintf("config: %s: reload:%q (live on a table of Config, restart on a key of a live table)", name, r))
			}
			if f.Type.Kind() == reflect.Struct {
				k.Table, k.Want = true, "a table"
				out = append(out, k)
				walk(f.Type, name, idx, k.Live, k.Live || inLive)
				continue
			}
			k.Want = want(f.Type, f.Tag.Get("want"))
			out = append(out, k)
		}
	}
	walk(reflect.TypeFor[Config](), "", nil, false, false)
	return out
})

// Keys lists every key and table of the configuration file, in the order
// Write writes them.
func Keys() []Key { return keys() }

// schemaKey is the key named name.
func schemaKey(name string) (Key, bool) {
	i := slices.IndexFunc(keys(), func(k Key) bool { return k.Name == name })
	if i < 0 {
		return Key{}, false
	}
	return keys()[i], true
}

// want says what a value of type t is, with hint.
func want(t reflect.Type, hint string) string {
	paren := func(s string) string {
		if hint == "" {
			return s
		}
		return s + " (" + hint + ")"
	}
	switch t.Kind() {
	case reflect.String:
		return paren("a quoted string")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return paren("a list of quoted strings")
		}
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "a whole number of " + hint
	}
	panic(fmt.Sprintf("config: no words for a %v", t))
}

// values lists every key of c with its value, as text.
func values(c *Config) map[string]string {
	v := reflect.ValueOf(c).Elem()
	out := map[string]string{}
	for _, k := range keys() {
		if !k.Table {
			out[k.Name] = fmt.Sprintf("%q", v.FieldByIndex(k.index).Interface())
		}
	}
	return out
}

// KeyOf names the key of field, a pointer to a field of c (a key, or a
// table: "login"). It panics if field is not one: a programming error.
func KeyOf(c *Config, field any) string {
	p := reflect.ValueOf(field)
	v := reflect.ValueOf(c).Elem()
	for _, k := range keys() {
		f := v.FieldByIndex(k.index).Addr()
		if f.Type() == p.Type() && f.Pointer() == p.Pointer() {
			return k.Name
		}
	}
	panic(fmt.Sprintf("config: KeyOf: %v is not a field of the configuration", p.Type()))
}

// Diff is what a new configuration file changes in a running gateway.
type Diff struct {
	Run  *Config // in use
	File *Config // as the new file says
	// Eff is what applies now: File's values of the live keys (when their
	// table is in use before and after), Run's of all others.
	Eff     *Config
	Changed []string // keys whose applied value changes, sorted
	Restart []string // keys whose new value in the file waits for a restart, sorted
}

// Apply compares the configuration in use, run, with file, a new one, and
// says what applies now and what waits for a restart. Which keys apply
// while the gateway runs is the schema's reload tags.
func Apply(run, file *Config) *Diff {
	eff := *run
	eff.path = file.path
	rv, fv, ev := reflect.ValueOf(run).Elem(), reflect.ValueOf(file).Elem(), reflect.ValueOf(&eff).Elem()
	inUse := map[string]bool{}
	for _, k := range keys() {
		if k.Table && k.Live {
			type enabler interface{ Enabled() bool }
			r, rok := rv.FieldByIndex(k.index).Interface().(enabler)
			f, fok := fv.FieldByIndex(k.index).Interface().(enabler)
			if !rok || !fok {
				panic("config: a live table needs an Enabled method: " + k.Name)
			}
			inUse[k.Name] = r.Enabled() && f.Enabled()
			continue
		}
		table, _, _ := strings.Cut(k.Name, ".")
		if k.Live && !k.Table && inUse[table] {
			ev.FieldByIndex(k.index).Set(fv.FieldByIndex(k.index))
		}
	}
	d := &Diff{Run: run, File: file, Eff: &eff}
	runV, effV, fileV := values(run), values(&eff), values(file)
	for _, k := range keys() {
		if k.Table {
			continue
		}
		if fileV[k.Name] != effV[k.Name] {
			d.Restart = append(d.Restart, k.Name)
		}
		if effV[k.Name] != runV[k.Name] {
			d.Changed = append(d.Changed, k.Name)
		}
	}
	slices.Sort(d.Restart)
	slices.Sort(d.Changed)
	return d
}

// Changes reports whether the applied value of any of fields changes;
// each is a pointer to a field of d.Eff: a key, or a table (any of its
// keys).
func (d *Diff) Changes(fields ...any) bool {
	for _, f := range fields {
		name := KeyOf(d.Eff, f)
		if slices.ContainsFunc(d.Changed, func(k string) bool { return k == name || strings.HasPrefix(k, name+".") }) {
			return true
		}
	}
	return false
}
