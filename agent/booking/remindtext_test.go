package booking

import (
	"strings"
	"testing"
	"time"
)

// TestReminderTypeName: the rule that decides whether a time type's
// patient name may go out in a reminder. Only names on the neutral list
// do; everything else (a health word, a profession, a clinic's speciality,
// a misspelt neutral name) leaves the reminder without a type name.
func TestReminderTypeName(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"Besök", "Besök"},
		{" besök ", "besök"},
		{"Återbesök", "Återbesök"},
		{"Mottagningsbesök", "Mottagningsbesök"},
		{"Telefontid", "Telefontid"},
		{"Videobesök", "Videobesök"},
		{"Digitalt besök", "Digitalt besök"},
		{"Psykologbesök", ""},
		{"Besök psykolog", ""},
		{"Besök BVC", ""},
		{"BVC", ""},
		{"Abortrådgivning", ""},
		{"STI-provtagning", ""},
		{"Samtal om missbruk", ""},
		{"Kuratorssamtal", ""},
		{"Läkarbesök", ""},
		{"Besök\u202e", ""}, // a bidi control is not the neutral word
		{"Besök (diabetes)", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := reminderTypeName(tc.name); got != tc.want {
			t.Errorf("reminderTypeName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestReminderText: what a reminder says, in Swedish and English, with
// and without a type name, address and link; the local time of a summer
// and a winter instant. Nothing else goes in.
func TestReminderText(t *testing.T) {
	summer := time.Date(2026, 3, 29, 8, 0, 0, 0, time.UTC)  // 10:00 CEST, a Sunday
	winter := time.Date(2026, 10, 25, 9, 0, 0, 0, time.UTC) // 10:00 CET, a Sunday
	unitInfo := reminderUnit{Name: "Vårdcentralen Exempel", Address: "Storgatan 1\n123 45 Småstad", Link: "https://e.example.se/boka/SE2321000016-A001"}
	tests := []struct {
		name      string
		start     time.Time
		lang      string
		typeName  string
		unit      reminderUnit
		subject   string
		body, sms string
	}{
		{"sv summer neutral type", summer, "sv", "Besök", unitInfo,
			"Påminnelse om din tid hos Vårdcentralen Exempel",
			"Hej!\n\nDu har en tid (Besök) hos Vårdcentralen Exempel söndag 29 mars 2026 kl. 10:00.\n\nAdress: Storgatan 1, 123 45 Småstad\n\nSe din bokning, omboka eller avboka: https://e.example.se/boka/SE2321000016-A001\n\nMeddelandet är automatiskt och går inte att svara på.",
			"Påminnelse: Du har en tid (Besök) hos Vårdcentralen Exempel söndag 29 mars 2026 kl. 10:00. Adress: Storgatan 1, 123 45 Småstad. Se din bokning: https://e.example.se/boka/SE2321000016-A001"},
		{"sv winter health type", winter, "", "Psykologbesök", unitInfo,
			"Påminnelse om din tid hos Vårdcentralen Exempel",
			"Hej!\n\nDu har en tid hos Vårdcentralen Exempel söndag 25 oktober 2026 kl. 10:00.\n\nAdress: Storgatan 1, 123 45 Småstad\n\nSe din bokning, omboka eller avboka: https://e.example.se/boka/SE2321000016-A001\n\nMeddelandet är automatiskt och går inte att svara på.",
			"Påminnelse: Du har en tid hos Vårdcentralen Exempel söndag 25 oktober 2026 kl. 10:00. Adress: Storgatan 1, 123 45 Småstad. Se din bokning: https://e.example.se/boka/SE2321000016-A001"},
		{"en summer", summer, "en", "Telefontid", unitInfo,
			"Reminder of your appointment at Vårdcentralen Exempel",
			"Hello,\n\nYou have an appointment (Telefontid) at Vårdcentralen Exempel on Sunday 29 March 2026 at 10:00.\n\nAddress: Storgatan 1, 123 45 Småstad\n\nSee, rebook or cancel your booking: https://e.example.se/boka/SE2321000016-A001\n\nThis message is automatic; replies are not read.",
			"Reminder: You have an appointment (Telefontid) at Vårdcentralen Exempel on Sunday 29 March 2026 at 10:00. Address: Storgatan 1, 123 45 Småstad. See your booking: https://e.example.se/boka/SE2321000016-A001"},
		{"sv no address no link", winter, "sv", "", reminderUnit{Name: "VC"},
			"Påminnelse om din tid hos VC",
			"Hej!\n\nDu har en tid hos VC söndag 25 oktober 2026 kl. 10:00.\n\nMeddelandet är automatiskt och går inte att svara på.",
			"Påminnelse: Du har en tid hos VC söndag 25 oktober 2026 kl. 10:00."},
		{"unknown language is Swedish", summer, "de", "", reminderUnit{Name: "VC"},
			"Påminnelse om din tid hos VC",
			"Hej!\n\nDu har en tid hos VC söndag 29 mars 2026 kl. 10:00.\n\nMeddelandet är automatiskt och går inte att svara på.",
			"Påminnelse: Du har en tid hos VC söndag 29 mars 2026 kl. 10:00."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := reminderText(tc.unit, tc.start, tc.lang, tc.typeName)
			if m.Subject != tc.subject {
				t.Errorf("subject:\n got %q\nwant %q", m.Subject, tc.subject)
			}
			if m.Body != tc.body {
				t.Errorf("body:\n got %q\nwant %q", m.Body, tc.body)
			}
			if m.SMS != tc.sms {
				t.Errorf("sms:\n got %q\nwant %q", m.SMS, tc.sms)
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("subject has a line break: %q", m.Subject)
			}
		})
	}
}
