package notify

import (
	"fmt"
	"time"

	"clinicgw/sync/bidi"
	"clinicgw/sync/i18n"
)

// Kind is what a notice announces.
type Kind string

// The kinds of notice.
const (
	NewCases Kind = "new-cases" // to the unit: cases arrived (a digest)
	Assigned Kind = "assigned"  // to a clinician: a case was assigned to them
	Overdue  Kind = "overdue"   // to the unit: cases passed their due date
)

// Channel is how a notice travels.
type Channel string

// The channels.
const (
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Notice is one message waiting in the queue or delivered.
type Notice struct {
	ID      string    `json:"id"`
	Kind    Kind      `json:"kind"`
	Channel Channel   `json:"channel"`
	To      string    `json:"to"`    // an e-mail address or a mobile number
	Count   int       `json:"count"` // how many cases it announces (1 for Assigned)
	Created time.Time `json:"created"`
	// NextAt is when the next attempt is due; Attempts how many failed.
	NextAt   time.Time `json:"nextAt"`
	Attempts int       `json:"attempts"`
	// LastError says why the last attempt failed, for the unit
	// administrator; it holds no more than the server's answer.
	LastError string `json:"lastError,omitempty"`
}

// Text is a notice's subject and body.
type Text struct {
	Subject, Body string
}

// lang is the language notices are written in: Swedish, as the unit
// works; a notice goes to an address, not to a person whose language the
// gateway knows.
const lang = "sv"

// key is the catalogue's (sync/i18n) key of part ("subject", "body") of
// a notice of kind k. The texts' only inputs are a count and the unit's
// name (configuration, not patient data).
func key(k Kind, part string) string { return "mail." + string(k) + "." + part }

// Render returns n's text for the unit unitName. An SMS carries the
// subject line only.
func Render(n Notice, unitName string) (Text, error) {
	if !i18n.Has(key(n.Kind, "subject")) || !i18n.Has(key(n.Kind, "body")) {
		return Text{}, fmt.Errorf("notice %s: unknown kind %q", n.ID, n.Kind)
	}
	unit := bidi.Neutralise(unitName)
	return Text{
		Subject: i18n.T(lang, key(n.Kind, "subject"), n.Count, unit),
		Body:    i18n.T(lang, key(n.Kind, "body"), n.Count, unit),
	}, nil
}
