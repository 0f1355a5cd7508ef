package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/tlsconf"
)

// Purpose is the only commission purpose that gives access to patients'
// cases.
const Purpose = "Vård och behandling"

// MaxFileSize bounds a directory file.
const MaxFileSize = 16 << 20

// Version is the file format's version.
const Version = 1

// File is the directory file as region IT exports it (JSON).
type File struct {
	Version int      `json:"version"`
	People  []Person `json:"people"`
}

// Person is one member of staff.
type Person struct {
	HSAID       string       `json:"hsaId"`
	GivenName   string       `json:"givenName"`
	Surname     string       `json:"surname"`
	Title       string       `json:"title"` // "Distriktssköterska", "Läkare": shown to patients with answers
	Email       string       `json:"email,omitempty"`
	Mobile      string       `json:"mobile,omitempty"`
	Roles       []cases.Role `json:"roles"`
	Commissions []Commission `json:"commissions"`
	Leave       []Period     `json:"leave,omitempty"`
}

// Name is the person's full name (for the UI; never logged).
func (p Person) Name() string { return strings.TrimSpace(p.GivenName + " " + p.Surname) }

// Commission is a person's assignment (medarbetaruppdrag) for a care unit.
type Commission struct {
	Unit      string `json:"unit"`    // the care unit's HSA-ID
	Purpose   string `json:"purpose"` // "Vård och behandling" gives access
	ValidFrom Date   `json:"validFrom"`
	ValidTo   *Date  `json:"validTo,omitempty"` // nil: until further notice
}

// Period is a leave, both dates included.
type Period struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Date is a calendar day, "YYYY-MM-DD", in Swedish time.
type Date struct{ time.Time }

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("expected a date as \"YYYY-MM-DD\"")
	}
	t, err := time.ParseInLocation(time.DateOnly, s, cases.Stockholm())
	if err != nil {
		return fmt.Errorf("%q is not a date as YYYY-MM-DD", s)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) { return json.Marshal(d.Format(time.DateOnly)) }

// startOf and endOf are a day's first and last instant.
func (d Date) startOf() time.Time { return d.Time }
func (d Date) endOf() time.Time   { return d.AddDate(0, 0, 1) }

// Directory is a parsed, valid directory. It is never changed after Parse:
// a reload makes a new one.
type Directory struct {
	people map[string]*Person
	sorted []*Person // by surname, given name, HSA-ID
}

// Parse reads and checks a directory file. Every problem is reported by
// entry number and HSA-ID, never by name.
func Parse(r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("directory: larger than %d MiB", MaxFileSize>>20)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("directory: not UTF-8 text")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("directory: not JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("directory: %s: expected %s", te.Field, te.Type)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, errors.New("directory: not JSON: the file ends too early (cut off?)")
		}
		return nil, fmt.Errorf("directory: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("directory: data after the JSON object")
	}
	if f.Version != Version {
		return nil, fmt.Errorf("directory: version %d; this clinicgw reads version %d", f.Version, Version)
	}
	d := &Directory{people: make(map[string]*Person, len(f.People))}
	var errs []error
	for i := range f.People {
		p := &f.People[i]
		if err := p.check(); err != nil {
			errs = append(errs, fmt.Errorf("people[%d] (%s): %w", i, safeID(p.HSAID), err))
			continue
		}
		if _, dup := d.people[p.HSAID]; dup {
			errs = append(errs, fmt.Errorf("people[%d] (%s): the HSA-ID is listed twice", i, p.HSAID))
			continue
		}
		d.people[p.HSAID] = p
		d.sorted = append(d.sorted, p)
	}
	if len(errs) > 0 {
		if len(errs) > 10 {
			errs = append(errs[:10], fmt.Errorf("and %d more", len(errs)-10))
		}
		return nil, fmt.Errorf("directory: %w", errors.Join(errs...))
	}
	slices.SortFunc(d.sorted, func(a, b *Person) int {
		return cmpStrings(strings.ToLower(a.Surname), strings.ToLower(b.Surname), strings.ToLower(a.GivenName), strings.ToLower(b.GivenName), a.HSAID, b.HSAID)
	})
	return d, nil
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// safeID is s if it is a well-formed HSA-ID, else a placeholder: an
// error message must not carry whatever was in the field.
func safeID(s string) string {
	if tlsconf.ValidHSAID(s) {
		return s
	}
	return "malformed HSA-ID"
}

var knownRoles = []cases.Role{cases.Distributor, cases.Clinician, cases.UnitAdmin, cases.Auditor}

func (p *Person) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !tlsconf.ValidHSAID(p.HSAID) {
		bad("hsaId: not an HSA-ID")
	}
	for _, f := range []struct{ name, v string }{{"givenName", p.GivenName}, {"surname", p.Surname}, {"title", p.Title}} {
		if strings.TrimSpace(f.v) == "" || !line(f.v, 100) {
			bad("%s: expected one line of 1 to 100 characters", f.name)
		}
	}
	if p.Title != "" && tlsconf.ValidHSAID(p.Title) {
		bad("title: expected a title, not an HSA-ID")
	}
	if p.Email != "" && (!line(p.Email, 254) || !strings.Contains(p.Email, "@") || strings.ContainsAny(p.Email, " <>")) {
		bad("email: not an e-mail address")
	}
	if p.Mobile != "" && (len(p.Mobile) > 20 || strings.Trim(strings.TrimPrefix(p.Mobile, "+"), "0123456789 -") != "") {
		bad("mobile: expected a phone number such as +46701234567")
	}
	if len(p.Roles) == 0 {
		bad("roles: at least one of %v", knownRoles)
	}
	for _, r := range p.Roles {
		if !slices.Contains(knownRoles, r) {
			bad("roles: unknown role %q; expected one of %v", safeWord(string(r)), knownRoles)
		}
	}
	for j, c := range p.Commissions {
		if !tlsconf.ValidHSAID(c.Unit) {
			bad("commissions[%d].unit: not an HSA-ID", j)
		}
		if strings.TrimSpace(c.Purpose) == "" || !line(c.Purpose, 100) {
			bad("commissions[%d].purpose: missing", j)
		}
		if c.ValidFrom.IsZero() {
			bad("commissions[%d].validFrom: missing", j)
		}
		if c.ValidTo != nil && c.ValidTo.Before(c.ValidFrom.Time) {
			bad("commissions[%d]: validTo is before validFrom", j)
		}
	}
	for j, l := range p.Leave {
		if l.From.IsZero() || l.To.IsZero() || l.To.Before(l.From.Time) {
			bad("leave[%d]: expected from and to, from not after to", j)
		}
	}
	return errors.Join(errs...)
}

// safeWord is s if it is a short plain word, else a placeholder.
func safeWord(s string) string {
	if len(s) <= 20 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz-") == "" {
		return s
	}
	return "?"
}

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

// Errors of Access.
var (
	ErrUnknownPerson = errors.New("not in the staff directory")
	ErrNoCommission  = errors.New("no active commission for care (Vård och behandling) at this unit")
)

// Len is the number of people.
func (d *Directory) Len() int { return len(d.people) }

// Lookup returns the person with hsaID.
func (d *Directory) Lookup(hsaID string) (Person, bool) {
	p, ok := d.people[hsaID]
	if !ok {
		return Person{}, false
	}
	return *p, true
}

// Access returns the person if they have a commission for unit with the
// purpose "Vård och behandling" that is valid at now; a person on leave
// keeps access (leave decides assignments, not login).
func (d *Directory) Access(hsaID, unit string, now time.Time) (Person, error) {
	p, ok := d.people[hsaID]
	if !ok {
		return Person{}, ErrUnknownPerson
	}
	if !p.commissioned(unit, now) {
		return Person{}, ErrNoCommission
	}
	return *p, nil
}

func (p *Person) commissioned(unit string, now time.Time) bool {
	for _, c := range p.Commissions {
		if c.Unit == unit && c.Purpose == Purpose && !now.Before(c.ValidFrom.startOf()) && (c.ValidTo == nil || now.Before(c.ValidTo.endOf())) {
			return true
		}
	}
	return false
}

// OnLeave reports whether the person is on leave at now.
func (p Person) OnLeave(now time.Time) bool {
	for _, l := range p.Leave {
		if !now.Before(l.From.startOf()) && now.Before(l.To.endOf()) {
			return true
		}
	}
	return false
}

// Clinicians lists the people with the clinician role and access to unit
// at now, by surname: the distributor's choice of whom to assign, with
// OnLeave telling who is away.
func (d *Directory) Clinicians(unit string, now time.Time) []Person {
	var out []Person
	for _, p := range d.sorted {
		if slices.Contains(p.Roles, cases.Clinician) && p.commissioned(unit, now) {
			out = append(out, *p)
		}
	}
	return out
}

// Revoked lists the HSA-IDs that had access to unit at now in old and do
// not in new (person removed, commission removed or ended, purpose
// changed), or whose roles shrank: their sessions must end.
func Revoked(old, new *Directory, unit string, now time.Time) []string {
	if old == nil {
		return nil
	}
	var out []string
	for id, p := range old.people {
		if !p.commissioned(unit, now) {
			continue
		}
		q, ok := new.people[id]
		if !ok || !q.commissioned(unit, now) {
			out = append(out, id)
			continue
		}
		for _, r := range p.Roles {
			if !slices.Contains(q.Roles, r) {
				out = append(out, id)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}
