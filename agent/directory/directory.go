package directory

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/workday"
)

// Purpose is the only commission purpose that gives access to patients'
// cases.
const Purpose = "Vård och behandling"

// Person is one member of staff. A Person returned by a Directory shares
// its lists (Roles, Commissions, Leave) with the directory: read them, do
// not change them.
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
	Purpose   string `json:"purpose"` // only "Vård och behandling" gives access
	ValidFrom Date   `json:"validFrom"`
	ValidTo   *Date  `json:"validTo,omitempty"` // nil: until further notice
}

// Period is a leave, both days included.
type Period struct {
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Date is a calendar day, "YYYY-MM-DD", in Swedish time: the Time is the
// day's first instant in Europe/Stockholm.
type Date struct {
	time.Time
	next time.Time // the day after's first instant, kept by UnmarshalJSON
	bad  bool      // the file held something else than a date; Parse refuses it
}

// UnmarshalJSON reads "YYYY-MM-DD". Anything else is kept as a bad date,
// which Parse refuses naming the entry and the field: an error returned
// from here would reach the caller without either.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if len(b) == len(`"2006-01-02"`) && b[0] == '"' && b[len(b)-1] == '"' {
		s = string(b[1 : len(b)-1])
	} else if json.Unmarshal(b, &s) != nil {
		*d = Date{bad: true}
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, workday.Stockholm())
	if err != nil {
		*d = Date{bad: true}
		return nil
	}
	*d = Date{Time: t, next: t.AddDate(0, 0, 1)}
	return nil
}

// MarshalJSON writes "YYYY-MM-DD".
func (d Date) MarshalJSON() ([]byte, error) {
	if d.bad {
		return nil, errors.New("directory: not a date")
	}
	return json.Marshal(d.String())
}

// String is "YYYY-MM-DD".
func (d Date) String() string { return d.Format(time.DateOnly) }

// start and end are the day's first instant and the first instant of the
// day after, in Swedish time (a day of 23 or 25 hours at a DST change).
func (d Date) start() time.Time { return d.Time }

func (d Date) end() time.Time {
	if d.next.IsZero() { // not from a file
		return d.In(workday.Stockholm()).AddDate(0, 0, 1)
	}
	return d.next
}

// Directory is a parsed, checked directory. It never changes after Parse
// (a reload makes a new one), so it is safe to use from many goroutines.
type Directory struct {
	people map[string]*Person
	sorted []*Person // Swedish order: surname, given name, then HSA-ID
	// systems are the integration systems (systems.go), by HSA-ID and
	// in file order.
	systems    map[string]*System
	systemList []*System
}

// Errors of Access, for errors.Is.
var (
	// ErrUnknownPerson: the HSA-ID is not in the staff directory.
	ErrUnknownPerson = errors.New("not in the staff directory; ask region IT to add the person to the HSA export for this unit")
	// ErrNoCommission: the person has no commission for care (Vård och
	// behandling) at this unit that is valid now.
	ErrNoCommission = errors.New("no active commission for care (Vård och behandling) at this unit; ask the unit's HSA administrator")
)

// Len is the number of people.
func (d *Directory) Len() int { return len(d.people) }

// People lists everyone, in Swedish order by surname.
func (d *Directory) People() []Person {
	out := make([]Person, len(d.sorted))
	for i, p := range d.sorted {
		out[i] = *p
	}
	return out
}

// Lookup returns the person with hsaID.
func (d *Directory) Lookup(hsaID string) (Person, bool) {
	p, ok := d.people[hsaID]
	if !ok {
		return Person{}, false
	}
	return *p, true
}

// Access returns the person if they have a commission for unit with the
// purpose "Vård och behandling" that is valid at now; otherwise the error
// is ErrUnknownPerson or ErrNoCommission. A person on leave keeps access:
// leave decides whom to assign cases to, not who may log in.
//
// Access is a map lookup and a short loop; callers check it on every
// request, so a commission that runs out ends access at once, without a
// file change.
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
	for i := range p.Commissions {
		c := &p.Commissions[i]
		if c.Unit == unit && c.Purpose == Purpose && !now.Before(c.ValidFrom.start()) && (c.ValidTo == nil || now.Before(c.ValidTo.end())) {
			return true
		}
	}
	return false
}

// OnLeave reports whether the person is on leave at now.
func (p Person) OnLeave(now time.Time) bool {
	_, on := p.LeaveAt(now)
	return on
}

// LeaveAt reports whether the person is on leave at now and, if so, the
// last day of that leave: periods that adjoin or overlap it run on.
func (p Person) LeaveAt(now time.Time) (until Date, onLeave bool) {
	for _, l := range p.Leave {
		if !now.Before(l.From.start()) && now.Before(l.To.end()) && (!onLeave || l.To.After(until.Time)) {
			until, onLeave = l.To, true
		}
	}
	for changed := onLeave; changed; {
		changed = false
		for _, l := range p.Leave {
			if !l.From.start().After(until.end()) && l.To.After(until.Time) {
				until, changed = l.To, true
			}
		}
	}
	return until, onLeave
}

// Assignable is a clinician a distributor may assign cases to.
type Assignable struct {
	Person  Person
	OnLeave bool // on leave at the time asked: listed and marked, not left out
	// LeaveUntil is the last day of that leave; zero when not on leave.
	LeaveUntil Date
}

// Clinicians lists the people with the clinician role and access to unit
// at now, in Swedish order by surname: the distributor's list of whom to
// assign. People on leave are listed too, marked.
func (d *Directory) Clinicians(unit string, now time.Time) []Assignable {
	var out []Assignable
	for _, p := range d.sorted {
		if slices.Contains(p.Roles, cases.Clinician) && p.commissioned(unit, now) {
			until, on := p.LeaveAt(now)
			out = append(out, Assignable{Person: *p, OnLeave: on, LeaveUntil: until})
		}
	}
	return out
}

// Revoked lists, sorted, the HSA-IDs that had access to unit at now in old
// and must have their sessions ended under new: the person is gone, their
// commission for the unit was removed, ended or changed purpose, or they
// lost a role (a session carries the roles it was opened with; a new login
// gets the new ones). A role gained, or any other change, is not listed. A
// nil old has no one; a nil new revokes everyone old had.
func Revoked(old, new *Directory, unit string, now time.Time) []string {
	if old == nil {
		return nil
	}
	var out []string
	for id, p := range old.people {
		if !p.commissioned(unit, now) {
			continue
		}
		var q *Person
		if new != nil {
			q = new.people[id]
		}
		if q == nil || !q.commissioned(unit, now) || !subset(p.Roles, q.Roles) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// subset reports whether every role in a is in b.
func subset(a, b []cases.Role) bool {
	for _, r := range a {
		if !slices.Contains(b, r) {
			return false
		}
	}
	return true
}

// swedishKey is a sort key that puts names in Swedish order: å, ä, ö
// after z (æ with ä, ø with ö, ü with y), accented vowels with their
// letters, case ignored.
func swedishKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		switch r {
		case 'å':
			r = '{' // the three runes after 'z'
		case 'ä', 'æ':
			r = '|'
		case 'ö', 'ø':
			r = '}'
		case 'ü', 'ý', 'ÿ':
			r = 'y'
		case 'é', 'è', 'ê', 'ë':
			r = 'e'
		case 'á', 'à', 'â', 'ã':
			r = 'a'
		case 'í', 'ì', 'î', 'ï':
			r = 'i'
		case 'ó', 'ò', 'ô', 'õ':
			r = 'o'
		case 'ú', 'ù', 'û':
			r = 'u'
		case 'ñ':
			r = 'n'
		case 'ç':
			r = 'c'
		}
		b.WriteRune(r)
	}
	return b.String()
}
