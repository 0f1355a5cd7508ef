package main

import (
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestQuarantineCommands: region IT lists the quarantined central events
// (ids, kinds, reasons and fields; no patient data), retries them (one
// applies now, its case having arrived since) and releases the other.
func TestQuarantineCommands(t *testing.T) {
	const unit = "SE2321000016-15ZM"
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", unit, "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	cfg := filepath.Join(dir, "clinicgw.toml")
	ctx := context.Background()
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pnr := personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 987)
	bad := []byte(pnr)
	bad[11] = '0' + (bad[11]-'0'+1)%10
	badID, err := caseid.New(now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	lateID, err := caseid.New(now, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sub := func(p personnummer.Personnummer) *cases.Submission {
		return &cases.Submission{Type: casetype.ContactMe, Patient: cases.Person{PNR: p, Name: "Kanarie Karantänsson"}, Text: "Kanarietext", SubmittedAt: now}
	}
	rep, err := svc.ApplyInbound(ctx, []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "ev-bad", CaseID: badID, At: now, Submission: sub(personnummer.Personnummer(bad))},
		{Kind: cases.InboundFollowUp, EventID: "ev-early", CaseID: lateID, MessageID: "m-1", Text: "Kanariesvar"},
		{Kind: cases.InboundCreated, EventID: "ev-late", CaseID: lateID, At: now, Submission: sub(pnr)},
	}, 3)
	if err != nil || rep.Quarantined != 2 {
		t.Fatalf("apply %+v %v, want 2 quarantined", rep, err)
	}
	db.Close()

	code, stdout, stderr := clinicgw(t, "quarantine", "list", "--config", cfg)
	if code != exitOK || !regexp.MustCompile(`(?m)^1 .*ev-bad +case\.created +`+string(badID)+` +invalid +patient\.pnr +3$`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^2 .*ev-early +case\.followup +`+string(lateID)+` +unknown-case +- +3$`).MatchString(stdout) {
		t.Errorf("quarantine list: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	for _, canary := range []string{"Kanarie", string(pnr)[:8], string(bad)} {
		if strings.Contains(stdout+stderr, canary) {
			t.Errorf("quarantine list prints patient data %q", canary)
		}
	}
	if code, stdout, stderr = clinicgw(t, "quarantine", "retry", "--config", cfg); code != exitOK || !strings.Contains(stdout, "1 applied, 1 remain") {
		t.Errorf("quarantine retry: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr = clinicgw(t, "quarantine", "release", "--config", cfg); code != exitUsage || !strings.Contains(stderr, "--seq is required") {
		t.Errorf("release without --seq: exit %d, %q", code, stderr)
	}
	if code, stdout, stderr = clinicgw(t, "quarantine", "release", "--config", cfg, "--seq", "1"); code != exitOK || !strings.Contains(stdout, "released") {
		t.Errorf("quarantine release: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, _, stderr = clinicgw(t, "quarantine", "release", "--config", cfg, "--seq", "1"); code != exitFailure || !strings.Contains(stderr, "no such quarantined event") {
		t.Errorf("release twice: exit %d, %q", code, stderr)
	}
	if code, stdout, _ = clinicgw(t, "quarantine", "list", "--config", cfg); code != exitOK || !strings.Contains(stdout, "quarantine empty") {
		t.Errorf("list after: exit %d, %q", code, stdout)
	}
}
