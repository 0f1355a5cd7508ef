package central

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/sync/bidi"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/labels"
)

var update = flag.Bool("update", false, "write the golden renders of the patient pages (testdata/pages/*.html)")

// goldenViews are every patient page with representative data: each
// template, and each of its branches that shows words of its own.
func goldenViews() map[string]struct {
	page string
	v    view
} {
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)
	child := wire.Person{PNR: "201812212384", Name: "Lilla Testsson"}
	unit := unitRow{ID: "SE2321000016-TEST", Name: "Vårdcentralen Test"}
	contact := wire.UnitContact{Address: "Storgatan 1\n123 45 Småstad", Phone: "08-123 456 78", Hours: wire.Text{SV: "Mån–fre 8–17"},
		Website: "https://www.example.se/vc", Text: wire.Text{SV: "Ring 1177 vid akuta besvär <på natten>."}}
	form := wire.Form{ID: "renew-prescription", Version: 1, AllowGuardian: true,
		Title: wire.Text{SV: "Förnya recept"}, Intro: wire.Text{SV: "Här kan du förnya ett recept."},
		Fields: []wire.FormField{
			{Name: "drug", Kind: wire.FieldText, Required: true, Label: wire.Text{SV: "Läkemedel"}, Help: wire.Text{SV: "Namn och styrka."}},
			{Name: "why", Kind: wire.FieldTextarea, Label: wire.Text{SV: "Varför"}},
			{Name: "how", Kind: wire.FieldSelect, Required: true, Label: wire.Text{SV: "Hur"},
				Options: []wire.Option{{Value: "apotek", Label: wire.Text{SV: "Apotek"}}, {Value: "post", Label: wire.Text{SV: "Post"}}}},
			{Name: "pain", Kind: wire.FieldRadio, Required: true, Label: wire.Text{SV: "Ont"}, Help: wire.Text{SV: "Just nu."},
				Options: []wire.Option{{Value: "ja", Label: wire.Text{SV: "Ja"}}, {Value: "nej", Label: wire.Text{SV: "Nej"}}}},
			{Name: "since", Kind: wire.FieldDate, Required: true, Label: wire.Text{SV: "Sedan"}, ShowIf: &wire.Condition{Field: "pain", Equals: "ja"}},
			{Name: "ok", Kind: wire.FieldCheckbox, Label: wire.Text{SV: "Jag har läst"}, Help: wire.Text{SV: "Läs först."}},
			{Name: "more", Kind: wire.FieldText, Label: wire.Text{SV: "Mer"}, ShowIf: &wire.Condition{Field: "ok", Equals: "true"}},
		}}
	own := PatientCase{ID: "c1", Unit: unit.ID, UnitName: unit.Name, Type: form.ID, Title: "Förnya recept",
		Patient: child, Guardian: &wire.Person{PNR: "191212121212", Name: "Tolvan Tolvansson"}, AsGuardian: true,
		Answers: []labels.Answer{
			{Name: "drug", Question: "Läkemedel", Text: "Alvedon 500 mg", Kind: wire.FieldText},
			{Name: "gone", Question: "gone", Text: "x", Unmatched: true, Note: "fältet finns inte längre i formuläret"},
		},
		Text: "Jag behöver mer.\nTack.", Status: wire.StatusWaitingForPatient, CreatedAt: at, UpdatedAt: at,
		Messages: []Message{
			{ID: "m1", FromStaff: true, Kind: wire.OutboxCounterQuestion, Text: "Hur mycket tar du?", Signature: "Anna, sjuksköterska", AuthorTitle: "Sjuksköterska", At: at.Add(time.Hour)},
			{ID: "m2", Text: "Två om dagen.", At: at.Add(2 * time.Hour)},
		}}
	received := PatientCase{ID: "c2", Unit: unit.ID, UnitName: unit.Name, Title: "Fråga", Patient: child,
		Status: wire.StatusReceived, CreatedAt: at}
	fromUnit := PatientCase{ID: "c3", Unit: unit.ID, UnitName: unit.Name, Title: "Kallelse", Patient: child,
		Status: wire.StatusAnswered, CreatedAt: at, FromUnit: true, NoReply: true,
		Messages: []Message{{ID: "m1", FromStaff: true, Kind: wire.OutboxAnswer, Text: "Välkommen den 9 december.", AuthorTitle: "Läkare", At: at}}}
	user := "Tolvan Tolvansson"
	slot := func(id string, h int) timeRow {
		return newTimeRow(wire.BookingTime{ID: id, Start: time.Date(2026, 12, 9, h, 0, 0, 0, time.UTC), Minutes: 30,
			TypeID: "besok-30", Type: "Besök", Clinician: "Anna Läkare", Rebook: true, Cancel: true})
	}
	slot1, slot2, slot3 := slot("t1", 8), slot("t2", 9), slot("t3", 10)
	filled := newFormView(form, map[string]string{"drug": "Alvedon", "how": "post", "pain": "ja", "ok": "true"}, "Tack")
	filled.AsGuardian, filled.ChildPNR, filled.ChildName = true, child.PNR, child.Name
	return map[string]struct {
		page string
		v    view
	}{
		"login":          {"login", view{Title: "Logga in"}},
		"login-refused":  {"login", view{Title: "Logga in", Error: "Personnumret är inte giltigt.", PNRValue: "1912", Name: "Tolvan"}},
		"start":          {"start", view{Title: "Mina ärenden", User: user, Notice: "Klart.", Cases: []caseRow{{PatientCase: own, New: true}, {PatientCase: received}}}},
		"start-empty":    {"start", view{Title: "Mina ärenden", User: user}},
		"account":        {"account", view{Title: "Radera mitt konto", User: user, Error: "Kryssa i rutan om du vill radera ditt konto."}},
		"units":          {"units", view{Title: "Skriv ett nytt ärende", User: user, Units: []unitRow{unit, {ID: "SE2", Name: "BVC Test"}}}},
		"forms":          {"forms", view{Title: "Välj formulär", User: user, Unit: unit, Forms: []wire.Form{form}, Contact: &contact}},
		"forms-empty":    {"forms", view{Title: "Välj formulär", User: user, Unit: unit}},
		"form":           {"form", view{Title: form.Title.SV, User: user, Unit: unit, Form: newFormView(form, nil, "")}},
		"form-refused":   {"form", view{Title: form.Title.SV, User: user, Unit: unit, Form: filled, Error: "Fyll i ”Sedan”."}},
		"case":           {"case", view{Title: own.Title, User: user, Case: &own, Error: "Skriv ett meddelande.", FollowUpText: "Hej", Contact: &contact}},
		"case-received":  {"case", view{Title: received.Title, User: user, Case: &received}},
		"case-fromunit":  {"case", view{Title: fromUnit.Title, User: user, Case: &fromUnit}},
		"error":          {"error", view{Title: "Något gick fel", Error: "Sidan finns inte."}},
		"forms-bookable": {"forms", view{Title: "Välj formulär", User: user, Unit: unit, Bookable: true}},
		"booking": {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{
			Mine:   []bookedRow{{timeRow: slot1, CanRebook: true, CanCancel: true}},
			Types:  []typeRow{{ID: "besok-30", Name: "Besök"}, {ID: "samtal-20", Name: "Samtal"}},
			TypeID: "besok-30", Days: []dayRow{{Day: slot2.Day, Times: []timeRow{slot2, slot3}}}}}},
		"booking-weeks": {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{TypeID: "besok-30", From: slot1.ID,
			Days: []dayRow{{Day: slot2.Day, Times: []timeRow{slot2}}}, Earlier: "2026-11-30", Later: "2026-12-14"}}},
		"booking-rebook":      {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{TypeID: "besok-30", From: slot1.ID}}},
		"booking-unavailable": {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{Unavailable: true}}},
		"booking-confirm":     {"booking", view{Title: "Bekräfta tiden", User: user, Unit: unit, Booking: &bookingView{Confirm: &slot2}}},
		"booking-pending":     {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{Request: &requestRow{Kind: wire.BookingBook, Pending: true, Time: slot2}}}},
		"reminders": {"reminders", view{Title: "Påminnelse före besök", User: user, Unit: unit, Notice: "Ditt val är sparat.",
			Reminder: &reminderView{Consent: true, Mobile: "0701234567", Email: "tolvan@example.se", Lang: "en"}}},
		"reminders-refused": {"reminders", view{Title: "Påminnelse före besök", User: user, Unit: unit, Error: "Mobilnumret ska vara 7–15 siffror.",
			Reminder: &reminderView{Consent: true, Mobile: "070-ring", Lang: "sv"}}},
		"booking-declined": {"booking", view{Title: "Boka tid", User: user, Unit: unit, Booking: &bookingView{Request: &requestRow{Kind: wire.BookingBook,
			Reason: "Tiden är redan bokad av någon annan. Välj en annan tid.", Time: slot2, Alternatives: []timeRow{slot3}}}}},
	}
}

// TestPagesGolden: every patient page renders byte for byte as its golden
// file (testdata/pages/NAME.html; -update writes them), so that a change of
// the templates or of where their words come from shows in a diff.
func TestPagesGolden(t *testing.T) {
	w := newWeb(nil)
	for name, c := range goldenViews() {
		var buf bytes.Buffer
		if err := w.pages[c.page].Execute(&buf, c.v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := bidi.NeutraliseHTML(buf.Bytes()) // as render writes it
		file := filepath.Join("testdata", "pages", name+".html")
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%s: %v (run with -update to write it)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s renders other than %s:\n%s", name, file, got)
		}
	}
}
