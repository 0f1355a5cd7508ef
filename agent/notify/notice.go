package notify

import (
	"bytes"
	"fmt"
	"text/template"
	"time"

	"clinicgw/sync/bidi"
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

// texts are the fixed templates. Their only inputs are the unit's name
// (configuration, not patient data) and a count.
var texts = map[Kind]struct{ subject, body *template.Template }{
	NewCases: {
		tmpl(`Nytt i e-tjänsten – {{.Unit}}`),
		tmpl(`{{if eq .Count 1}}Ett nytt ärende har{{else}}{{.Count}} nya ärenden har{{end}} kommit till {{.Unit}} i e-tjänsten.
Logga in med ditt SITHS-kort för att läsa {{if eq .Count 1}}det{{else}}dem{{end}}.

Meddelandet är automatiskt och innehåller inga patientuppgifter.`),
	},
	Assigned: {
		tmpl(`Du har fått ett ärende – {{.Unit}}`),
		tmpl(`Ett ärende i e-tjänsten för {{.Unit}} har tilldelats dig.
Logga in med ditt SITHS-kort för att läsa det.

Meddelandet är automatiskt och innehåller inga patientuppgifter.`),
	},
	Overdue: {
		tmpl(`Ärenden har passerat svarstiden – {{.Unit}}`),
		tmpl(`{{if eq .Count 1}}Ett ärende{{else}}{{.Count}} ärenden{{end}} i e-tjänsten för {{.Unit}} har passerat svarstiden.
Logga in med ditt SITHS-kort och se listan Försenade.

Meddelandet är automatiskt och innehåller inga patientuppgifter.`),
	},
}

func tmpl(s string) *template.Template {
	return template.Must(template.New("").Option("missingkey=error").Parse(s))
}

// Render returns n's text for the unit unitName. An SMS carries the
// subject line only.
func Render(n Notice, unitName string) (Text, error) {
	t, ok := texts[n.Kind]
	if !ok {
		return Text{}, fmt.Errorf("notice %s: unknown kind %q", n.ID, n.Kind)
	}
	data := struct {
		Unit  string
		Count int
	}{bidi.Neutralise(unitName), n.Count}
	var subject, body bytes.Buffer
	if err := t.subject.Execute(&subject, data); err != nil {
		return Text{}, err
	}
	if err := t.body.Execute(&body, data); err != nil {
		return Text{}, err
	}
	return Text{Subject: subject.String(), Body: body.String()}, nil
}
