package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// KeyError is a problem with one key of a configuration file (or with
// several that go together, Also). Validate and the parts of the gateway
// that load what the configuration names return one per problem, with Key
// and Err; Locate adds File and Line, so that callers (the log, the unit
// settings page) take the place from the error instead of parsing its
// text. Its text is "config FILE:LINE: KEY: what is expected".
type KeyError struct {
	File string   // the configuration file as it was named; "" when not located
	Line int      // 1-based: where the key is set, or its table when it is left out; 0 if neither is in the file
	Col  int      // 1-based column, when the TOML decoder knows it; 0 otherwise
	Key  string   // the dotted key, like "login.trust_anchors"; "" for a syntax error
	Also []string // further keys the problem concerns, like "central.key_file" beside "central.cert_file"
	Err  error    // what is wrong and what is expected
}

// UnknownKey is KeyError.Err for a key the schema does not have.
type UnknownKey struct {
	Suggest string // the known key nearest to it, if it is likely a typo
}

func (u *UnknownKey) Error() string {
	if u.Suggest != "" {
		return fmt.Sprintf("unknown key (did you mean %q?)", u.Suggest)
	}
	return "unknown key"
}

func (e *KeyError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString("config " + e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, ":%d", e.Col)
			}
		}
		b.WriteString(": ")
	}
	var unknown *UnknownKey
	if errors.As(e.Err, &unknown) {
		fmt.Fprintf(&b, "unknown key %q", e.Key)
		if unknown.Suggest != "" {
			fmt.Fprintf(&b, " (did you mean %q?)", unknown.Suggest)
		}
		return b.String()
	}
	if e.Key != "" {
		b.WriteString(strings.Join(append([]string{e.Key}, e.Also...), ", "))
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *KeyError) Unwrap() error { return e.Err }

// Errorf returns a *KeyError for key with a message as fmt.Errorf makes it.
func Errorf(key, format string, args ...any) error {
	return &KeyError{Key: key, Err: fmt.Errorf(format, args...)}
}

// KeyErr returns err as a problem of key (and of also, if the problem
// concerns several keys together).
func KeyErr(key string, err error, also ...string) error {
	return &KeyError{Key: key, Also: also, Err: err}
}

// Locate places each of the problems joined in err in the file at path
// whose content is data: every *KeyError gets File and the Line where its
// key is set, or where its table begins when the key is left out; an
// error without a key becomes "config FILE: …". A missing file a key
// names gets a hint where relative paths are looked for.
func Locate(path string, data []byte, err error) error {
	list := problemList(err)
	lines := keyLines(data)
	out := make([]error, len(list))
	for i, e := range list {
		var ke *KeyError
		if !errors.As(e, &ke) {
			out[i] = fmt.Errorf("config %s: %w", path, e)
			continue
		}
		located := *ke
		located.File = path
		if located.Line == 0 {
			for key := located.Key; key != ""; {
				if located.Line = lines[key]; located.Line > 0 {
					break
				}
				dot := strings.LastIndexByte(key, '.')
				if dot < 0 {
					break
				}
				key = key[:dot] // the nearest table that is in the file
			}
		}
		if errors.Is(located.Err, fs.ErrNotExist) {
			located.Err = fmt.Errorf("%w; expected an existing file (a relative path is relative to the configuration file's folder)", located.Err)
		}
		out[i] = &located
	}
	return errors.Join(out...)
}

// problemList is the problems joined in err (errors.Join, at any depth).
func problemList(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, problemList(e)...)
	}
	return out
}

// Locate is the package's Locate for an error about c's keys, with the
// file c was loaded from; err as it is when c has no file or it cannot be
// read.
func (c *Config) Locate(err error) error {
	if c.path == "" || err == nil {
		return err
	}
	data, rerr := os.ReadFile(c.path)
	if rerr != nil {
		return err
	}
	return Locate(c.path, data, err)
}

// keyLines maps each key set in a TOML file ("table.key", and "table"
// for a table's header) to its line, 1-based. It reads the plain shapes
// the configuration uses — [table] headers, [table.sub] headers and
// key = value lines, dotted keys included — and ignores what it does not
// recognise (a value spread over lines, say), which then has no line.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	table := ""
	for i, raw := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(raw)
		switch {
		case l == "" || l[0] == '#':
			continue
		case strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "[["):
			end := strings.IndexByte(l, ']')
			if end < 0 {
				continue
			}
			table = normKey(l[1:end])
			if _, seen := out[table]; !seen {
				out[table] = i + 1
			}
		default:
			k, _, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			k = normKey(k)
			if table != "" {
				k = table + "." + k
			}
			if _, seen := out[k]; !seen {
				out[k] = i + 1
			}
		}
	}
	return out
}

// normKey writes a TOML key (bare, quoted or dotted, with spaces around
// the dots) as the dotted form the error messages use.
func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// decodeError turns the TOML library's errors into *KeyErrors that name
// the file, line, column and key in words an administrator can act on.
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			key := strings.Join(de.Key(), ".")
			errs = append(errs, &KeyError{File: path, Line: line, Col: col, Key: key, Err: &UnknownKey{Suggest: closestKey(key)}})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if found, ok := strings.CutPrefix(msg, "cannot decode TOML "); ok {
			found, _, _ = strings.Cut(found, " ")
			if k, known := schemaKey(key); known {
				msg = fmt.Sprintf("expected %s, found %s %s", k.Want, article(found), found)
			}
		}
		return &KeyError{File: path, Line: line, Col: col, Key: key, Err: errors.New(msg)}
	}
	return fmt.Errorf("config %s: %w", path, err)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// closestKey returns the known key nearest to key by edit distance, if it
// is near enough to be a likely typo.
func closestKey(key string) string {
	best, bestDist := "", 3
	names := make([]string, 0, len(Keys()))
	for _, k := range Keys() {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	for _, k := range names {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
