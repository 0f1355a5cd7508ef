package wire

import (
	"bytes"
	"io"
	"time"
)

// Test data uses only Skatteverket's test personnummer range (serials
// 980–999), never a real person's number.
const (
	pnrAdult   = "198001019804" // 1980-01-01, serial 980
	pnrChild   = "201506159829" // 2015-06-15, serial 982
	pnrAdult2  = "197503129913" // 1975-03-12, serial 991
	caseID1    = "01jbq3z6m0a8vcs9fkd2x7gq4e"
	caseID2    = "01jbq40e2p9r6wtmh3n5b8kc1d"
	caseID3    = "01jbq41k5v2m8d0s7hx3c6wq9e"
	goldenTime = "2025-01-31T09:30:00Z"
)

var t0 = time.Date(2025, 1, 31, 9, 30, 0, 0, time.UTC)

// body is a decoder under test, by the name of its golden file.
type body struct {
	name   string
	value  func() Body                   // the canonical instance
	decode func(io.Reader) (Body, error) // the Decode… function
	limit  int64                         // its byte limit
	zero   func() any                    // a pointer to a new zero value, for DecodeJSON
}

func wrap[T Body](f func(io.Reader) (T, error)) func(io.Reader) (Body, error) {
	return func(r io.Reader) (Body, error) {
		v, err := f(r)
		return v, err
	}
}

var bodies = []body{
	{"inbox-page", func() Body { return canonicalInboxPage() }, wrap(DecodeInboxPage), MaxBodyBytes, func() any { return new(InboxPage) }},
	{"ack", func() Body { return Ack{Cursor: 42} }, wrap(DecodeAck), MaxAckBytes, func() any { return new(Ack) }},
	{"outbox-batch", func() Body { return canonicalOutboxBatch() }, wrap(DecodeOutboxBatch), MaxBodyBytes, func() any { return new(OutboxBatch) }},
	{"outbox-result", func() Body { return canonicalOutboxResult() }, wrap(DecodeOutboxResult), MaxBodyBytes, func() any { return new(OutboxResult) }},
	{"form-set", func() Body { return canonicalFormSet() }, wrap(DecodeFormSet), MaxBodyBytes, func() any { return new(FormSet) }},
	{"stream-message", func() Body { return StreamMessage{Type: StreamEvents, Seq: 44} }, wrap(DecodeStreamMessage), MaxStreamMessageBytes, func() any { return new(StreamMessage) }},
	{"problem", func() Body { return *Conflict("The idempotency key was used before with other content.") }, wrap(DecodeProblem), MaxProblemBytes, func() any { return new(Problem) }},
	{"chained-page", func() Body { return canonicalChainedPage() }, wrap(DecodeChainedPage), MaxBodyBytes, func() any { return new(ChainedPage) }},
	{"reconcile-batch", func() Body { return canonicalReconcileBatch() }, wrap(DecodeReconcileBatch), MaxBodyBytes, func() any { return new(ReconcileBatch) }},
	{"reconcile-result", func() Body { return canonicalReconcileResult() }, wrap(DecodeReconcileResult), MaxBodyBytes, func() any { return new(ReconcileResult) }},
	{"outbox-batch2", func() Body { return canonicalOutboxBatch2() }, wrap(DecodeOutboxBatch2), MaxBodyBytes, func() any { return new(OutboxBatch2) }},
	{"confirmed-page", func() Body { return canonicalConfirmedPage() }, wrap(DecodeConfirmedPage), MaxBodyBytes, func() any { return new(ConfirmedPage) }},
	{"quarantine-report", func() Body {
		return QuarantineReport{Events: []QuarantinedEvent{{ID: "ev-17", Reason: QuarantineConflict}, {ID: "ev-23", Reason: QuarantineInvalid}}, Total: 2}
	}, wrap(DecodeQuarantineReport), MaxBodyBytes, func() any { return new(QuarantineReport) }},
	{"unit-contact", func() Body { return canonicalUnitContact() }, wrap(DecodeUnitContact), MaxContactBytes, func() any { return new(UnitContact) }},
	{"booking-times", func() Body { return canonicalBookingTimes() }, wrap(DecodeBookingTimes), MaxBodyBytes, func() any { return new(BookingTimes) }},
	{"booking-bookings", func() Body { return canonicalBookingBookings() }, wrap(DecodeBookingBookings), MaxBodyBytes, func() any { return new(BookingBookings) }},
	{"booking-request-page", func() Body { return canonicalBookingRequestPage() }, wrap(DecodeBookingRequestPage), MaxBodyBytes, func() any { return new(BookingRequestPage) }},
	{"booking-decisions", func() Body { return canonicalBookingDecisions() }, wrap(DecodeBookingDecisions), MaxBodyBytes, func() any { return new(BookingDecisions) }},
}

func canonicalUnitContact() UnitContact {
	return UnitContact{Address: "Storgatan 1\n123 45 Småstad", Phone: "08-123 456 78",
		Hours: Text{SV: "Mån–fre 8–17", EN: "Mon–Fri 8–17"}, Website: "https://www.example.se/vardcentralen",
		Text: Text{SV: "Ring vid akuta besvär.", EN: "Call if it is urgent."}}
}

func canonicalNewCase() *NewCase {
	return &NewCase{
		Type:    "renew-prescription",
		Patient: Person{PNR: pnrAdult, Name: "Testa Testsson"},
		Fields: []Field{
			{Name: "medicine", Label: "Vilket läkemedel?", Value: "Levaxin 50 mikrogram"},
			{Name: "pharmacy", Label: "Apotek", Value: "Apoteket <Hjärtat> & Co"},
		},
		Text: "Hej!\nJag behöver förnya mitt recept.\r\nTack på förhand.",
	}
}

func canonicalInboxPage() InboxPage {
	return InboxPage{
		Events: []Event{
			{Seq: 41, ID: "ev-41", Kind: EventCaseCreated, CaseID: caseID1, At: t0, Case: canonicalNewCase()},
			{Seq: 42, ID: "ev-42", Kind: EventCaseCreated, CaseID: caseID2, At: t0.Add(time.Minute), Case: &NewCase{
				Type:     "advice-nurse",
				Patient:  Person{PNR: pnrChild, Name: "Lilla Testsson"},
				Guardian: &Person{PNR: pnrAdult, Name: "Testa Testsson"},
				Text:     "Mitt barn har haft feber i tre dagar.",
			}},
			{Seq: 43, ID: "ev-43", Kind: EventCaseFollowUp, CaseID: caseID1, At: t0.Add(2 * time.Minute),
				Message: &PatientMessage{ID: "msg-7", Text: "Jag glömde: 100 tabletter, tack."}},
			{Seq: 44, ID: "ev-44", Kind: EventCaseWithdrawn, CaseID: caseID2, At: t0.Add(3*time.Minute + 500*time.Millisecond)},
		},
		Cursor: 44,
		More:   true,
	}
}

func canonicalOutboxBatch() OutboxBatch {
	return OutboxBatch{Items: []OutboxItem{
		{IdempotencyKey: "out-1", CaseID: caseID1, Kind: OutboxAnswer, At: t0.Add(time.Hour), Message: &StaffMessage{
			ID: "ans-1", Text: "Hej!\nReceptet är förnyat.", Signature: "Med vänlig hälsning\nSjuksköterskan på Vårdcentralen Test", AuthorTitle: "Sjuksköterska",
		}},
		{IdempotencyKey: "out-2", CaseID: caseID2, Kind: OutboxCounterQuestion, At: t0.Add(2 * time.Hour), Message: &StaffMessage{
			ID: "ans-2", Text: "Hur hög är febern?", AuthorTitle: "Distriktssköterska",
		}},
		{IdempotencyKey: "out-3", CaseID: caseID1, Kind: OutboxStatus, At: t0.Add(3 * time.Hour), Status: StatusClosed},
		{IdempotencyKey: "out-4", CaseID: caseID3, Kind: OutboxCaseInitiated, At: t0.Add(4 * time.Hour),
			Message: &StaffMessage{ID: "first-4", Text: "Hej!\nDina provsvar är klara. Ring oss gärna.", Signature: "Läkaren på Vårdcentralen Test", AuthorTitle: "Läkare"},
			Case:    &InitiatedCase{Type: "contact-me", PatientPNR: pnrAdult, PatientName: "Testa Testsson", Subject: "Dina provsvar", ReplyAllowed: true}},
	}}
}

func canonicalOutboxResult() OutboxResult {
	return OutboxResult{Results: []ItemResult{
		{IdempotencyKey: "out-1", Status: ItemAccepted},
		{IdempotencyKey: "out-2", Status: ItemDuplicate},
		{IdempotencyKey: "out-3", Status: ItemRejected, Problem: Conflict("The idempotency key was used before with other content.")},
		{IdempotencyKey: "out-4", Status: ItemAccepted},
	}}
}

func canonicalFormSet() FormSet {
	return FormSet{Forms: []Form{
		{
			ID: "renew-prescription", Version: 3,
			Title: Text{SV: "Förnya recept", EN: "Renew a prescription"},
			Intro: Text{SV: "Svar inom två arbetsdagar.\nAkuta ärenden: ring 1177."},
			Fields: []FormField{
				{Name: "medicine", Label: Text{SV: "Vilket läkemedel?", EN: "Which medicine?"}, Kind: FieldText, Required: true},
				{Name: "pharmacy", Label: Text{SV: "Apotek"}, Kind: FieldSelect, Options: []Option{
					{Value: "any", Label: Text{SV: "Valfritt apotek", EN: "Any pharmacy"}},
					{Value: "named", Label: Text{SV: "Ett visst apotek"}},
				}},
				{Name: "pharmacy-name", Label: Text{SV: "Vilket apotek?"}, Kind: FieldText, Required: true,
					ShowIf: &Condition{Field: "pharmacy", Equals: "named"}},
				{Name: "last-visit", Label: Text{SV: "Senaste besök"}, Help: Text{SV: "Ungefär räcker."}, Kind: FieldDate},
			},
		},
		{
			ID: "advice-nurse", Version: 1,
			Title:         Text{SV: "Rådgivning sjuksköterska"},
			AllowGuardian: true,
			Fields: []FormField{
				{Name: "fever", Label: Text{SV: "Har du feber?"}, Kind: FieldCheckbox},
				{Name: "days", Label: Text{SV: "Hur många dagar?"}, Kind: FieldRadio, ShowIf: &Condition{Field: "fever", Equals: "true"},
					Options: []Option{{Value: "1-2", Label: Text{SV: "1–2"}}, {Value: "3-or-more", Label: Text{SV: "3 eller fler"}}}},
				{Name: "more", Label: Text{SV: "Beskriv"}, Kind: FieldTextarea},
			},
		},
	}}
}

// goldenBytes returns the canonical encoding of b's value.
func goldenBytes(b body) []byte {
	out, err := Marshal(b.value())
	if err != nil {
		panic(err)
	}
	return out
}

// mustEncode encodes v without Validate, for bodies that break rules.
func mustEncode(v any) []byte {
	b, err := encode(v)
	if err != nil {
		panic(err)
	}
	return b
}

func reader(b []byte) io.Reader { return bytes.NewReader(b) }
