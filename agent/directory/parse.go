package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/hsaid"
)

// MaxFileSize bounds a directory file (16 MiB: some 50,000 people).
const MaxFileSize = 16 << 20

// Version is the file format's version.
const Version = 1

// maxErrors is how many problems one refusal lists.
const maxErrors = 10

// File is the directory file as region IT exports it (JSON); Marshal one
// to write a file Parse reads.
type File struct {
	Version int      `json:"version"`
	People  []Person `json:"people"`
	Systems []System `json:"systems,omitempty"`
}

// Parse reads and checks a directory file, all of it: a file with any
// problem is refused whole. The error lists the problems (up to ten), each
// by entry number and HSA-ID, never by name or any other value from the
// file, so it can go to logs and the status page as it is.
func Parse(r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("directory: read: %w", err)
	}
	return parse(data)
}

func parse(data []byte) (*Directory, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("directory: the file is larger than %d MiB; split it per care unit", MaxFileSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("directory: not UTF-8 text; export the file as UTF-8")
	}
	// One strict pass over the whole file; only a file that fails it is
	// read again entry by entry, to say which entry is wrong.
	var f struct {
		Version *int     `json:"version"`
		People  []Person `json:"people"`
		Systems []System `json:"systems"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("directory: %w", locate(data, err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("directory: more data after the JSON object; the file must hold one object")
	}
	switch {
	case f.Version == nil:
		return nil, fmt.Errorf(`directory: no "version"; this clinicgw reads version %d`, Version)
	case *f.Version != Version:
		return nil, fmt.Errorf("directory: version %d; this clinicgw reads version %d", *f.Version, Version)
	case len(f.People) == 0:
		// An empty export is a failed export far more often than a unit
		// without staff; taking it would lock everyone out.
		return nil, errors.New(`directory: "people" is missing or empty; a directory with nobody in it is refused (everyone would be locked out)`)
	}
	d := &Directory{people: make(map[string]*Person, len(f.People)), sorted: make([]*Person, 0, len(f.People))}
	keys := make(map[*Person]string, len(f.People))
	var errs []error
	for i := range f.People {
		p := &f.People[i]
		err := p.check()
		if err == nil {
			if _, dup := d.people[p.HSAID]; dup {
				err = errors.New("the HSA-ID is listed twice")
			}
		}
		if err != nil {
			if len(errs) == maxErrors {
				errs = append(errs, errors.New("and more"))
				break
			}
			errs = append(errs, fmt.Errorf("people[%d] (%s): %w", i, entryID(p.HSAID), err))
			continue
		}
		d.people[p.HSAID] = p
		d.sorted = append(d.sorted, p)
		keys[p] = swedishKey(p.Surname) + "\x00" + swedishKey(p.GivenName) + "\x00" + p.HSAID
	}
	if len(errs) < maxErrors {
		errs = append(errs, d.addSystems(f.Systems)...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("directory: %w", errors.Join(errs...))
	}
	slices.SortFunc(d.sorted, func(a, b *Person) int { return strings.Compare(keys[a], keys[b]) })
	return d, nil
}

// locate explains why the file did not decode, naming the entry at fault
// when the fault is in one.
func locate(data []byte, err error) error {
	var top struct {
		Version json.RawMessage   `json:"version"`
		People  []json.RawMessage `json:"people"`
		Systems json.RawMessage   `json:"systems"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if terr := dec.Decode(&top); terr != nil {
		return describe(terr, "the file")
	}
	var errs []error
	for i, raw := range top.People {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var p Person
		if perr := dec.Decode(&p); perr != nil {
			if len(errs) == maxErrors {
				errs = append(errs, errors.New("and more"))
				break
			}
			var just struct {
				HSAID string `json:"hsaId"`
			}
			_ = json.Unmarshal(raw, &just) // its hsaId may have decoded
			errs = append(errs, fmt.Errorf("people[%d] (%s): %w", i, entryID(just.HSAID), describe(perr, "the entry")))
		}
	}
	if len(errs) == 0 {
		return describe(err, "the file")
	}
	return errors.Join(errs...)
}

// entryID names an entry in an error: its HSA-ID if it has a well-formed
// one, else a placeholder (an error must not carry whatever the field
// held: it may be a name or a personnummer).
func entryID(id string) string {
	switch {
	case id == "":
		return "no HSA-ID"
	case hsaid.Valid(id):
		return id
	}
	return "malformed HSA-ID"
}

// describe says what a decoding error means without quoting the file's
// values: member names are shown (when they look like names), values never.
func describe(err error, what string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("not JSON: syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Errorf("%s: expected %s", what, kind(te.Type))
		}
		return fmt.Errorf("%s: expected %s", te.Field, kind(te.Type))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errors.New("not JSON: the file ends too early (cut off?)")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown member %s; the format is in the clinicgw documentation (agent/directory)", safeKey(name))
	}
	return fmt.Errorf("%s cannot be read as JSON", what)
}

// kind names what a Go type expects in JSON.
func kind(t reflect.Type) string {
	if t == reflect.TypeFor[Date]() {
		return `a date as "YYYY-MM-DD"`
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Pointer:
		return kind(t.Elem())
	}
	return t.Kind().String()
}

// safeKey is a quoted member name if it looks like one, else a placeholder.
func safeKey(quoted string) string {
	name := strings.Trim(quoted, `"`)
	if len(name) > 0 && len(name) <= 40 && strings.TrimLeft(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return `"` + name + `"`
	}
	return "(a member whose name is not shown)"
}

// purposeNFD is Purpose in Unicode NFD, as some tools write it.
const purposeNFD = "Va\u030ard och behandling"

var knownRoles = []cases.Role{cases.Distributor, cases.Clinician, cases.UnitAdmin, cases.Auditor}

// check checks one entry; the errors name fields, never values.
func (p *Person) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := hsaid.Check(p.HSAID); err != nil {
		bad("hsaId: %v", err)
	}
	for _, f := range []struct{ name, v string }{{"givenName", p.GivenName}, {"surname", p.Surname}, {"title", p.Title}} {
		if strings.TrimSpace(f.v) == "" || !line(f.v, 100) {
			bad("%s: expected one line of 1 to 100 printable characters", f.name)
		}
	}
	if hsaid.Valid(p.Title) {
		bad("title: expected a title such as Läkare, not an HSA-ID")
	}
	if p.Email != "" && (!line(p.Email, 254) || strings.Count(p.Email, "@") != 1 || strings.ContainsAny(p.Email, " <>,;\"") ||
		strings.HasPrefix(p.Email, "@") || strings.HasSuffix(p.Email, "@")) {
		bad("email: not an e-mail address such as name@region.se")
	}
	if p.Mobile != "" && (len(p.Mobile) > 20 || strings.Trim(strings.TrimPrefix(p.Mobile, "+"), "0123456789 -") != "" || !strings.ContainsAny(p.Mobile, "0123456789")) {
		bad("mobile: expected a phone number such as +46701234567")
	}
	if len(p.Roles) == 0 {
		bad("roles: expected at least one of %v", knownRoles)
	}
	for j, r := range p.Roles {
		if !slices.Contains(knownRoles, r) {
			bad("roles[%d]: unknown role %s; expected one of %v", j, safeRole(r), knownRoles)
		}
	}
	for j, c := range p.Commissions {
		if err := hsaid.Check(c.Unit); err != nil {
			bad("commissions[%d].unit: the care unit's %v", j, err)
		}
		if c.Purpose == purposeNFD { // the same words, å written as a + ring (NFD)
			p.Commissions[j].Purpose = Purpose
		}
		if strings.TrimSpace(c.Purpose) == "" || !line(c.Purpose, 100) {
			bad("commissions[%d].purpose: expected one line such as %q", j, Purpose)
		}
		checkDate(bad, "commissions[%d].validFrom", j, c.ValidFrom)
		if c.ValidTo != nil {
			checkDate(bad, "commissions[%d].validTo", j, *c.ValidTo)
			if !c.ValidTo.bad && !c.ValidFrom.bad && c.ValidTo.Before(c.ValidFrom.Time) {
				bad("commissions[%d]: validTo is before validFrom", j)
			}
		}
	}
	for j, l := range p.Leave {
		checkDate(bad, "leave[%d].from", j, l.From)
		checkDate(bad, "leave[%d].to", j, l.To)
		if !l.From.bad && !l.To.bad && l.To.Before(l.From.Time) {
			bad("leave[%d]: to is before from", j)
		}
	}
	return errors.Join(errs...)
}

// checkDate checks the date in field (a format with the list index j).
func checkDate(bad func(string, ...any), field string, j int, d Date) {
	switch {
	case d.bad:
		bad(field+`: expected a date as "YYYY-MM-DD"`, j)
	case d.IsZero():
		bad(field+`: missing; expected a date as "YYYY-MM-DD"`, j)
	case d.Year() < 1900:
		bad(field+": a year before 1900", j)
	}
}

// safeRole is r quoted if it is a short plain word, else a placeholder.
func safeRole(r cases.Role) string {
	if len(r) > 0 && len(r) <= 20 && strings.Trim(string(r), "abcdefghijklmnopqrstuvwxyz-") == "" {
		return fmt.Sprintf("%q", r)
	}
	return "(not shown)"
}

// line reports whether s is at most max printable runes on one line.
func line(s string, max int) bool {
	if utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}
