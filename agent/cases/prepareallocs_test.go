package cases

import (
	"bytes"
	"crypto/sha256"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"clinicgw/sync/clock"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// noStore is a Store that is never called: validating an inbound case
// touches no store.
type noStore struct{ Store }

// TestInboundCaseAllocations: validating and building a realistic
// inbound case (as prepareInbound does for every case of a backlog, off
// the transaction) allocates the case and what it holds, not the
// checks' scratch: no error value for a rule that holds, no field path
// for a text already checked, no personnummer written again that is in
// its 12-digit form already, no message id drawn only to be replaced, no
// copy of the answers the event hands over (Inbound.Submission).
func TestInboundCaseAllocations(t *testing.T) {
	s, err := NewService(ServiceConfig{Unit: "SE2321000016-A001", Store: noStore{}, Clock: clock.System,
		Rand: rand.NewChaCha8([32]byte{}), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	sub := &Submission{ID: slimCaseID, Type: casetype.SymptomRegistration, TextsChecked: true,
		Patient: Person{PNR: personnummer.Synthetic(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), 980), Name: "Åsa Öberg"},
		Text:    patientText(1, 2048), SubmittedAt: at,
		Fields: []Field{{Name: "symptoms", Value: patientText(4, 300)}, {Name: "since", Value: "2026-11-30"},
			{Name: "fever", Value: "true"}, {Name: "temperature", Value: "38,7"}}}
	in := Inbound{Kind: InboundCreated, EventID: "e1", CaseID: slimCaseID, At: at, Submission: sub}
	now := at.Add(time.Hour)
	c, ve := s.validateInbound(in, now)
	if ve != nil || c == nil || c.Messages[0].Text != sub.Text || c.Patient != sub.Patient {
		t.Fatalf("not built: %v", ve)
	}
	// The case with its first message and history entry, the message's
	// id.
	const want = 2
	if n := testing.AllocsPerRun(50, func() { s.validateInbound(in, now) }); n > want {
		t.Errorf("%v allocations per inbound case; want %d", n, want)
	}
}

// TestFirstMessageIDPinned: the first message of a case the central
// store named has the id it always had (a case pulled again after a
// restore of this store is the case it was), however it is computed.
func TestFirstMessageIDPinned(t *testing.T) {
	for _, given := range []ID{slimCaseID, "7zzzzzzzzzzzzzzzzzzzzzzzzz", "00000000000000000000000000"} {
		seed := sha256.Sum256([]byte("clinicgw first message\x00" + string(given)))
		want, err := caseid.New(given.Time(), bytes.NewReader(seed[:]))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := firstMessageID(given); got != want || err != nil {
			t.Errorf("%s: %s, %v; want %s", given, got, err, want)
		}
	}
}
