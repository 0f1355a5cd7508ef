package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
)

// Limits of a catalogue.
const (
	// MaxBytes bounds a catalogue's JSON (an import, the stored copy).
	MaxBytes = 2 << 20
	// MaxServices bounds the services of a catalogue, retired ones
	// included; at most wire.MaxForms of them are offered at once.
	MaxServices = 200
	// MaxHistory bounds the earlier versions a catalogue keeps.
	MaxHistory = 2000
	// MaxAnswerDays bounds a service's answer rule.
	MaxAnswerDays = wire.MaxAnswerDays
)

// Rules are what Check needs to know from outside the catalogue.
type Rules struct {
	// GroupExists reports whether a staff group with the id exists; nil
	// means no groups, so only the inbox ("") is a valid route.
	GroupExists func(id string) bool
}

// Error is a catalogue that breaks a rule: where (Path, e.g.
// "services[3].route"), and what, as a text of sync/i18n (Key, Args), so
// it reads in Swedish and English and names nothing from the file but
// numbers, ids and member names.
type Error struct {
	Path string
	Key  string
	Args []any
}

func (e *Error) Error() string { return e.Path + ": " + i18n.T("en", e.Key, e.Args...) }

// Text is the error in lang ("en" for English, else Swedish).
func (e *Error) Text(lang string) string { return i18n.T(lang, e.Key, e.Args...) }

func refuse(path, key string, args ...any) *Error { return &Error{Path: path, Key: key, Args: args} }

// Check checks c by the catalogue's rules: the format; at least one
// service and at most MaxServices, wire.MaxForms of them offered; distinct
// ids; each service's form by the sync protocol's rules, every showIf
// naming an earlier field; each route "" or an existing group; each answer
// rule 1..MaxAnswerDays working days, longer than DefaultAnswerDays only
// with a note to the patient; every earlier version (History) of a
// service the catalogue has, below its current version. The first broken
// rule is returned as an *Error.
func (c Catalog) Check(r Rules) error {
	if c.Format != Format {
		return refuse("format", "catalog.err.format", Format)
	}
	if len(c.Services) == 0 {
		return refuse("services", "catalog.err.none")
	}
	if len(c.Services) > MaxServices {
		return refuse("services", "catalog.err.tooMany", MaxServices)
	}
	if n := len(c.Offered()); n > wire.MaxForms {
		return refuse("services", "catalog.err.tooManyOffered", n, wire.MaxForms)
	}
	seen := make(map[string]int, len(c.Services))
	for i, s := range c.Services {
		path := fmt.Sprintf("services[%d]", i)
		if j, dup := seen[s.ID]; dup {
			return refuse(path+".id", "catalog.err.duplicate", i+1, s.ID, j+1)
		}
		seen[s.ID] = i
		if err := s.check(path, i+1, r); err != nil {
			return err
		}
	}
	if len(c.History) > MaxHistory {
		return refuse("history", "catalog.err.tooMuchHistory", MaxHistory)
	}
	for i, h := range c.History {
		path := fmt.Sprintf("history[%d]", i)
		j, ok := seen[h.ID]
		if !ok || h.Version >= c.Services[j].Version {
			return refuse(path, "catalog.err.history", i+1)
		}
		// An old version's route and groups may be gone: it is read, never
		// routed by.
		if err := h.check(path, i+1, Rules{GroupExists: func(string) bool { return true }}); err != nil {
			return err
		}
	}
	return nil
}

// check checks one service, the n-th, at path.
func (s Service) check(path string, n int, r Rules) error {
	for i, f := range s.Fields {
		c := f.ShowIf
		if c == nil {
			continue
		}
		earlier := false
		for _, e := range s.Fields[:i] {
			earlier = earlier || e.Name == c.Field
		}
		if !earlier {
			return refuse(fmt.Sprintf("%s.fields[%d].showIf.field", path, i), "catalog.err.showIf", n, f.Name, c.Field)
		}
	}
	if err := s.Form().Validate(); err != nil {
		detail := err.Error()
		if p, ok := errors.AsType[*wire.Problem](err); ok {
			detail = p.Detail
		}
		return refuse(path, "catalog.err.form", n, s.ID, detail)
	}
	if s.Route != "" && (r.GroupExists == nil || !r.GroupExists(s.Route)) {
		return refuse(path+".route", "catalog.err.noGroup", n, s.Route)
	}
	switch d := s.AnswerDays; {
	case d < 0 || d > MaxAnswerDays:
		return refuse(path+".answerDays", "catalog.err.answerDays", n, MaxAnswerDays)
	case d > DefaultAnswerDays && s.AnswerNote.SV == "":
		return refuse(path+".answerNote", "catalog.err.answerNote", n, d, DefaultAnswerDays)
	}
	if err := s.published().Validate(); err != nil {
		return refuse(path+".answerNote", "catalog.err.answerNoteText", n)
	}
	return nil
}

// Decode reads a catalogue from r — strict JSON (no unknown members, one
// value) of at most MaxBytes — and checks it (Check). Every refusal is an
// *Error.
func Decode(r io.Reader, rules Rules) (Catalog, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	switch {
	case err != nil:
		return Catalog{}, refuse("", "catalog.err.unreadable")
	case len(b) > MaxBytes:
		return Catalog{}, refuse("", "catalog.err.tooLarge", MaxBytes>>10)
	case len(bytes.TrimSpace(b)) == 0:
		return Catalog{}, refuse("", "catalog.err.empty")
	}
	var c Catalog
	if err := wire.DecodeJSON(bytes.NewReader(b), MaxBytes, &c); err != nil {
		detail := "?"
		if p, ok := errors.AsType[*wire.Problem](err); ok {
			detail = p.Detail
		}
		return Catalog{}, refuse("", "catalog.err.json", detail)
	}
	if err := c.Check(rules); err != nil {
		return Catalog{}, err
	}
	return c, nil
}

// Encode writes c as JSON after checking it (Check).
func (c Catalog) Encode(r Rules) ([]byte, error) {
	if err := c.Check(r); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode catalogue: %w", err)
	}
	if len(b) > MaxBytes {
		return nil, refuse("", "catalog.err.tooLarge", MaxBytes>>10)
	}
	return b, nil
}

// equalJSON reports whether a and b encode the same: empty and nil lists
// alike, as a catalogue read back from JSON has them.
func equalJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
