package catalog

import (
	"slices"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// DefaultAnswerDays is the answer rule of a service that sets none: the
// unit answers within two working days after the day of receipt.
const DefaultAnswerDays = wire.DefaultAnswerDays

// Format is the version of the catalogue's JSON (Catalog.Format).
const Format = 1

// Service is one service of the unit's catalogue, at one version.
type Service struct {
	// ID is the service's id, the case type its cases carry: a form id
	// (1..wire.MaxIDLen characters of a–z 0–9 and -).
	ID string `json:"id"`
	// Version is raised on every change of the service or its form; it
	// is the published form's version.
	Version int `json:"version"`
	// Name is what patients and staff call the service (single line).
	Name wire.Text `json:"name"`
	// Intro is shown to the patient above the form (optional).
	Intro wire.Text `json:"intro,omitzero"`
	// Fields are the form's fields (wire.Form's rules).
	Fields []wire.FormField `json:"fields,omitzero"`
	// AllowGuardian says a guardian may use the service for a child.
	AllowGuardian bool `json:"allowGuardian,omitempty"`
	// Route is who handles the service's cases: "" for the message
	// administrator's inbox, else the id of a staff group.
	Route string `json:"route,omitempty"`
	// AnswerDays is the answer rule in working days; 0 means
	// DefaultAnswerDays. More than DefaultAnswerDays needs AnswerNote.
	AnswerDays int `json:"answerDays,omitempty"`
	// AnswerNote tells the patient why the answer takes longer; shown on
	// the patient pages.
	AnswerNote wire.Text `json:"answerNote,omitzero"`
	// Retired says the service is no longer offered; its cases stay.
	Retired bool `json:"retired,omitempty"`
	// Template is the template the service was made from, if any.
	Template string `json:"template,omitempty"`
}

// Days is the service's answer rule in working days.
func (s Service) Days() int {
	if s.AnswerDays == 0 {
		return DefaultAnswerDays
	}
	return s.AnswerDays
}

// Form is the service's form as the sync protocol carries it.
func (s Service) Form() wire.Form {
	return wire.Form{ID: s.ID, Version: s.Version, Title: s.Name, Intro: s.Intro,
		Fields: slices.Clone(s.Fields), AllowGuardian: s.AllowGuardian}
}

// FromForm is a service of form f, with the default answer rule.
func FromForm(f wire.Form) Service {
	return Service{ID: f.ID, Version: f.Version, Name: f.Title, Intro: f.Intro,
		Fields: slices.Clone(f.Fields), AllowGuardian: f.AllowGuardian}
}

// Catalog is a unit's catalogue of services.
type Catalog struct {
	// Format is the JSON's version, Format.
	Format int `json:"format"`
	// Services are the services, offered and retired, at their current
	// versions, in the order patients and staff see them.
	Services []Service `json:"services"`
	// History holds every earlier version of the services, oldest first.
	History []Service `json:"history,omitempty"`
}

// Find returns the current version of service id.
func (c Catalog) Find(id string) (Service, bool) {
	i := slices.IndexFunc(c.Services, func(s Service) bool { return s.ID == id })
	if i < 0 {
		return Service{}, false
	}
	return c.Services[i], true
}

// Lookup returns service id at version (0: the current version): the
// version a case was written on, whether the service changed or was
// retired since. Without that version it returns the current one, and
// ok is false only for an id the catalogue never had.
func (c Catalog) Lookup(id string, version int) (Service, bool) {
	cur, ok := c.Find(id)
	if !ok || version == 0 || cur.Version == version {
		return cur, ok
	}
	for _, h := range slices.Backward(c.History) {
		if h.ID == id && h.Version == version {
			return h, true
		}
	}
	return cur, true
}

// RouteFor is who handles service id's new cases: "" for the message
// administrator's inbox (also for an id not in the catalogue), else a
// staff group's id.
func (c Catalog) RouteFor(id string) string {
	s, _ := c.Find(id)
	return s.Route
}

// Rule is the answer rule and the current version of service id, for a
// case of it arriving now: (0, DefaultAnswerDays) for an id not in the
// catalogue.
func (c Catalog) Rule(id string) (version, days int) {
	s, ok := c.Find(id)
	if !ok {
		return 0, DefaultAnswerDays
	}
	return s.Version, s.Days()
}

// RuleAt is the answer rule of service id at version, for a case written
// on it, and whether the catalogue has that version; without it, the
// current rule ((DefaultAnswerDays, false) for an id not in the
// catalogue).
func (c Catalog) RuleAt(id string, version int) (days int, known bool) {
	cur, ok := c.Find(id)
	if !ok {
		return DefaultAnswerDays, false
	}
	if cur.Version == version {
		return cur.Days(), true
	}
	for _, h := range slices.Backward(c.History) {
		if h.ID == id && h.Version == version {
			return h.Days(), true
		}
	}
	return cur.Days(), false
}

// published is the service as protocol v2 publishes it: the note only
// with a rule longer than DefaultAnswerDays.
func (s Service) published() wire.PublishedService {
	p := wire.PublishedService{Form: s.Form(), AnswerDays: s.Days()}
	if p.AnswerDays > DefaultAnswerDays {
		p.AnswerNote = s.AnswerNote
	}
	return p
}

// Offered returns the services offered now, in order.
func (c Catalog) Offered() []Service {
	var out []Service
	for _, s := range c.Services {
		if !s.Retired {
			out = append(out, s)
		}
	}
	return out
}

// Put makes s the current version of its service: a new service is added
// at the end, a changed one replaces the current version, which goes to
// History, and gets a version above it. An unchanged s changes nothing.
// Put never writes into the lists c had before (a copy of c shares them):
// it gives c new ones.
func (c *Catalog) Put(s Service) {
	c.Services, c.History = slices.Clip(c.Services), slices.Clip(c.History)
	i := slices.IndexFunc(c.Services, func(x Service) bool { return x.ID == s.ID })
	if i < 0 {
		if s.Version < 1 {
			s.Version = 1
		}
		c.Services = append(c.Services, s)
		return
	}
	cur := c.Services[i]
	if Same(cur, s) {
		return
	}
	c.History = append(c.History, cur)
	s.Version = max(s.Version, cur.Version+1)
	c.Services = slices.Clone(c.Services)
	c.Services[i] = s
}

// Retire stops offering service id (a new version, its cases stay); it
// reports whether the catalogue has it.
func (c *Catalog) Retire(id string) bool {
	s, ok := c.Find(id)
	if !ok {
		return false
	}
	s.Retired = true
	c.Put(s)
	return true
}

// Same reports whether a and b are the same service but for the version.
func Same(a, b Service) bool {
	a.Version, b.Version = 0, 0
	return equalJSON(a, b)
}

// Published is what the unit publishes under protocol v2: every offered
// service with its form and answer rule.
func (c Catalog) Published() wire.ServiceSet {
	set := wire.ServiceSet{Services: []wire.PublishedService{}}
	for _, s := range c.Offered() {
		set.Services = append(set.Services, s.published())
	}
	return set
}

// Legacy is what the unit publishes to a central store that takes only
// protocol v1's form set: the offered services whose id is one of the
// case types it knows (casetype.All).
func (c Catalog) Legacy() wire.FormSet {
	set := wire.FormSet{Forms: []wire.Form{}}
	for _, s := range c.Offered() {
		if casetype.Known(casetype.Type(s.ID)) {
			set.Forms = append(set.Forms, s.Form())
		}
	}
	return set
}

// Forms returns the current form of every service, retired ones too, in
// order: what staff pages read a case's answers by when they need no
// particular version.
func (c Catalog) Forms() wire.FormSet {
	set := wire.FormSet{Forms: []wire.Form{}}
	for _, s := range c.Services {
		set.Forms = append(set.Forms, s.Form())
	}
	return set
}

// FromForms is the catalogue of a store from before the catalogue: every
// form of set becomes an offered service (with the default answer rule),
// and every case type of casetype.All without a form a retired service,
// so that its old cases keep their names and answers.
func FromForms(set wire.FormSet) Catalog {
	c := Catalog{Format: Format}
	for _, f := range set.Forms {
		c.Services = append(c.Services, FromForm(f))
	}
	for _, f := range casetype.DefaultForms().Forms {
		if _, ok := c.Find(f.ID); !ok {
			s := FromForm(f)
			s.Retired = true
			c.Services = append(c.Services, s)
		}
	}
	return c
}
