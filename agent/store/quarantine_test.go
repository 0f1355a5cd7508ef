package store

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineSealed: central events the case service cannot apply are
// kept in the quarantine, and kept sealed: the canaries in them (names,
// texts, form answers, personnummer) are nowhere in the raw file, before
// and after a key rotation, reseal and retirement (the quarantine is
// resealed with everything else, so retiring a term never makes it
// unreadable). Figures count them by reason without opening them.
func TestQuarantineSealed(t *testing.T) {
	db, dir := testStore(t)
	svc, err := cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(t0),
		Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var canaries [][]byte
	var page []cases.Inbound
	for i := range 20 {
		// A check digit off by one: no version's rule, quarantined.
		pnr := personnummer.Synthetic(time.Date(1970, 1, 1+i, 0, 0, 0, 0, time.UTC), 980+i)
		bad := []byte(pnr)
		bad[11] = '0' + (bad[11]-'0'+1)%10
		sub := &cases.Submission{Type: casetype.AdviceNurse, SubmittedAt: t0,
			Patient: cases.Person{PNR: personnummer.Personnummer(bad), Name: fmt.Sprintf("Karantänkanarie%04d", i)},
			Text:    fmt.Sprintf("KARANTÄNTEXT%04d ont i magen", i),
			Fields:  []cases.Field{{Name: "q", Label: "Fråga", Value: fmt.Sprintf("KARANTÄNFÄLT%04d", i)}}}
		id, err := caseid.New(t0, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		page = append(page, cases.Inbound{Kind: cases.InboundCreated, EventID: fmt.Sprintf("ev%d", i), CaseID: id, At: t0, Submission: sub})
		canaries = append(canaries, bad, bad[2:], []byte(sub.Patient.Name), []byte(sub.Text[:16]), []byte(sub.Fields[0].Value))
	}
	follow := cases.Inbound{Kind: cases.InboundFollowUp, EventID: "orphan", CaseID: page[0].CaseID, MessageID: "m", Text: "KARANTÄNSVAR ingen sådan"}
	canaries = append(canaries, []byte(follow.Text))
	rep, err := svc.ApplyInbound(ctx, append(page, follow), 21)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Quarantined != 21 {
		t.Fatalf("report %+v, want 21 quarantined", rep)
	}
	f, err := db.Figures(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Quarantined[cases.QuarantineInvalid] != 20 || f.Quarantined[cases.QuarantineUnknownCase] != 1 {
		t.Errorf("figures %v, want 20 invalid and 1 unknown-case", f.Quarantined)
	}
	scan := func(when string) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range canaries {
			if bytes.Contains(raw, c) {
				t.Errorf("%s: canary %q found in the raw store file", when, c)
			}
		}
	}
	db.Close()
	scan("after the quarantine")
	db = openAt(t, dir)
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reseal(ctx, 100, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RetireTerms(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err = cases.NewService(cases.ServiceConfig{Unit: testUnit, Store: db, Clock: clocktest.New(t0),
		Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := svc.Quarantine(ctx)
	if err != nil {
		t.Fatalf("the quarantine after the old term was retired: %v", err)
	}
	if len(qs) != 21 || qs[3].Event.Submission.Text != page[3].Submission.Text {
		t.Fatalf("%d quarantined after retirement, want 21 with their content", len(qs))
	}
	db.Close()
	scan("after rotation, reseal and retirement")
	// The self-check: the search finds what is there.
	if !bytes.Contains([]byte(page[0].Submission.Text), canaries[3]) {
		t.Fatal("self-check of the canary search failed")
	}
}
