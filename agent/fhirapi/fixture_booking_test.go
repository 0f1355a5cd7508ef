package fhirapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/agent/fhirapi"
	"clinicgw/cardauth/devpki"
)

const (
	booker      = "SE2321000016-9004" // the record system's diary: read-cases, bookings
	diaryReader = "SE2321000016-9005" // a system that may only read the diary
)

// visitType is the diary's time type: 30 minutes, bookable online.
var visitType = booking.TimeType{ID: "besok-30", StaffName: "Läkarbesök", PatientName: "Besök", Minutes: 30,
	Clinicians: []string{clinician}, Online: true, Rebook: true, RebookHours: 24, Cancel: true, CancelHours: 24}

// withDiary gives the fixture a booking diary on its store (Mondays 09:00,
// four times, eight weeks on) and the systems booker and diaryReader
// (certificates booker.pem, diaryreader.pem).
func withDiary(f *fixture, cfg *fhirapi.Config) {
	t := f.t
	ctx := context.Background()
	d, err := booking.New(booking.OnStore(f.db), booking.Options{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.PutType(ctx, visitType); err != nil {
		t.Fatal(err)
	}
	if err := d.PutTemplate(ctx, booking.Template{ID: "mon", Clinician: clinician, TypeID: visitType.ID, Weekday: time.Monday,
		Start: "09:00", Count: 4, From: "2026-11-23"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Generate(ctx, booking.MinWeeks); err != nil {
		t.Fatal(err)
	}
	f.diary = d
	cfg.Diary, cfg.Unit = d, unit
	cfg.DiaryLog = func(ctx context.Context, es ...audit.Entry) error {
		return f.db.Update(ctx, func(tx cases.Tx) error {
			for _, e := range es {
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	withSystems := strings.Replace(directoryJSON, `"systems": [`, `"systems": [
   {"hsaId": "`+booker+`", "name": "Journalsystemets tidbok", "may": ["read-cases", "bookings"]},
   {"hsaId": "`+diaryReader+`", "name": "Väntelistan", "may": ["read-bookings"]},`, 1)
	dir, err := directory.Parse(strings.NewReader(withSystems))
	if err != nil {
		t.Fatal(err)
	}
	f.dirs.set(dir)
	for name, id := range map[string]string{"booker": booker, "diaryreader": diaryReader} {
		c, err := f.pki.Unit(id, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := devpki.WriteTLS(f.dir, name, c); err != nil {
			t.Fatal(err)
		}
	}
}

// freeSlots are the diary's free times from now on.
func (f *fixture) freeSlots() []booking.FreeTime {
	f.t.Helper()
	got, err := f.diary.FreeTimes(context.Background(), booking.FreeQuery{From: f.clock.Now(), To: f.clock.Now().AddDate(0, 0, 70)})
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// client is an outside client in Go over real mutual TLS with the
// system's certificate (name.pem), for the race tests where curl's start
// time would decide the race.
func (f *fixture) client(name string) *http.Client {
	f.t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(f.dir, name+".pem"), filepath.Join(f.dir, name+".key"))
	if err != nil {
		f.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	root, err := os.ReadFile(filepath.Join(f.dir, "root.pem"))
	if err != nil || !pool.AppendCertsFromPEM(root) {
		f.t.Fatalf("root.pem: %v", err)
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// actorLog is the store's access-log entries of one actor.
func (f *fixture) actorLog(actor string) []audit.Entry {
	f.t.Helper()
	var out []audit.Entry
	err := f.db.View(context.Background(), func(tx cases.ReadTx) error {
		return tx.AuditByActor(actor, func(r audit.Record) bool { out = append(out, r.Entry); return true })
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}
