package directory

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"clinicgw/sync/wire/hsaid"
)

// Permission is what an integration system may do through the
// integration API (agent/fhirapi).
type Permission string

// The permissions of an integration system.
const (
	ReadCases     Permission = "read-cases"     // read cases, form answers, messages and patients
	WriteMessages Permission = "write-messages" // send messages to patients
	Bookings      Permission = "bookings"       // read and make bookings
	ReadBookings  Permission = "read-bookings"  // read the booking diary only (bookings includes it)
	// StartRelationship lets a system that writes messages start a case
	// with a patient who has none at the unit; without it such a message
	// is refused (only beside write-messages).
	StartRelationship Permission = "start-relationship"
)

var knownPermissions = []Permission{ReadCases, WriteMessages, Bookings, ReadBookings, StartRelationship}

// maxSignatureRunes and maxSignatureLines bound a system's signature.
const (
	maxSignatureRunes = 500
	maxSignatureLines = 5
)

// System is another system of the unit's (a record system, a quality
// register) that calls the integration API with its SITHS function
// certificate, from the file's optional "systems" section:
//
//	"systems": [{"hsaId": "SE2321000016-9001",   // the function certificate's HSA-ID
//	             "name": "Journalsystemet",      // one line, 1–100 characters
//	             "may": ["read-cases"]}]          // one or more of read-cases, write-messages, bookings, read-bookings
//
// A System returned by a Directory shares May with it: do not change it.
type System struct {
	HSAID string       `json:"hsaId"`
	Name  string       `json:"name"`
	May   []Permission `json:"may"`
	// Signature is appended to the messages the system sends patients,
	// as a clinician's personal signature is: 1 to 5 lines, at most 500
	// characters; "" for its name.
	Signature string `json:"signature,omitempty"`
}

// MessageSignature is the signature of the system's messages: its
// Signature, or its name.
func (s System) MessageSignature() string {
	if s.Signature != "" {
		return s.Signature
	}
	return s.Name
}

// Allows reports whether the system has permission p (bookings gives
// read-bookings too).
func (s System) Allows(p Permission) bool {
	return slices.Contains(s.May, p) || p == ReadBookings && slices.Contains(s.May, Bookings)
}

// System returns the integration system with the HSA-ID hsaID.
func (d *Directory) System(hsaID string) (System, bool) {
	s, ok := d.systems[hsaID]
	if !ok {
		return System{}, false
	}
	return *s, true
}

// Systems lists the integration systems in file order.
func (d *Directory) Systems() []System {
	out := make([]System, 0, len(d.systemList))
	for _, s := range d.systemList {
		out = append(out, *s)
	}
	return out
}

// check checks one system entry; the errors name fields, never values.
func (s *System) check() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := hsaid.Check(s.HSAID); err != nil {
		bad("hsaId: %v", err)
	}
	if strings.TrimSpace(s.Name) == "" || !line(s.Name, 100) {
		bad("name: expected one line of 1 to 100 printable characters")
	}
	if len(s.May) == 0 {
		bad("may: expected at least one of %v", knownPermissions)
	}
	for j, p := range s.May {
		if !slices.Contains(knownPermissions, p) {
			bad("may[%d]: unknown permission; expected one of %v", j, knownPermissions)
		}
	}
	if s.Allows(StartRelationship) && !s.Allows(WriteMessages) {
		bad("may: start-relationship needs write-messages")
	}
	if s.Signature != "" {
		lines := strings.Split(s.Signature, "\n")
		ok := len(lines) <= maxSignatureLines && utf8.RuneCountInString(s.Signature) <= maxSignatureRunes
		for _, l := range lines {
			ok = ok && line(l, maxSignatureRunes)
		}
		if !ok || strings.TrimSpace(s.Signature) == "" {
			bad("signature: expected 1 to %d lines of printable characters, at most %d in all", maxSignatureLines, maxSignatureRunes)
		}
	}
	return errors.Join(errs...)
}

// addSystems checks the systems section and adds it to d; an HSA-ID
// listed twice, or also a person's, is refused.
func (d *Directory) addSystems(list []System) []error {
	var errs []error
	d.systems = make(map[string]*System, len(list))
	for i := range list {
		s := &list[i]
		err := s.check()
		if err == nil {
			if _, dup := d.systems[s.HSAID]; dup {
				err = errors.New("the HSA-ID is listed twice")
			} else if _, person := d.people[s.HSAID]; person {
				err = errors.New("the HSA-ID is also a person's; a system has its own function HSA-ID")
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("systems[%d] (%s): %w", i, entryID(s.HSAID), err))
			continue
		}
		d.systems[s.HSAID] = s
		d.systemList = append(d.systemList, s)
	}
	return errs
}
