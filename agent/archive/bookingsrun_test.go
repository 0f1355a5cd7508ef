package archive

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/wire/personnummer"
)

// bookDiary makes a diary on f's store with a clinician's Tuesday
// mornings and books two of the first week's times (one cancelled and
// booked again), and one of a week later.
func (f *fixture) bookDiary(t *testing.T) *booking.Diary {
	t.Helper()
	ctx := context.Background()
	d, err := booking.New(booking.OnStore(f.db), booking.Options{Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.PutType(ctx, booking.TimeType{ID: "besok-30", StaffName: "Läkarbesök", PatientName: "Besök", Minutes: 30, Online: true}))
	must(d.PutTemplate(ctx, booking.Template{ID: "t", Clinician: hsaClin, TypeID: "besok-30", Weekday: time.Tuesday, Start: "08:00", Count: 2, From: "2026-03-01"}))
	_, err = d.Generate(ctx, booking.MinWeeks)
	must(err)
	slots, err := d.Slots(ctx, f.clock.Now(), f.clock.Now().AddDate(0, 0, 14))
	must(err)
	staff := booking.Actor{Staff: hsaDist}
	for i, sl := range slots {
		p := string(pnrN(i))
		switch i {
		case 0:
			_, err = d.Book(ctx, sl.ID(), staff, booking.BookRequest{Patient: p})
		case 1:
			_, err = d.Book(ctx, sl.ID(), booking.Actor{Patient: p}, booking.BookRequest{})
			if err == nil {
				err = d.Cancel(ctx, sl.ID(), staff, "Sjuk")
			}
			if err == nil {
				_, err = d.Book(ctx, sl.ID(), staff, booking.BookRequest{Patient: string(pnrN(5))})
			}
		case 2:
			_, err = d.Book(ctx, sl.ID(), staff, booking.BookRequest{Patient: p})
		}
		must(err)
	}
	return d
}

// TestArchiveBookings: each run exports the bookings of the times that
// started from where the last export ended to Age ago, in a package of
// their own that verifies (bookings/fhir.json, no case); a time goes into
// one package only; a run killed at any step of it goes on at the next
// run without losing or repeating a window; the diary keeps its times.
func TestArchiveBookings(t *testing.T) {
	f := newFixture(t)
	d := f.bookDiary(t) // 2026-03-03 (two bookings and a cancelled one) and 2026-03-10 (one)
	ctx := context.Background()
	a := f.archiver(t, 10)
	a.cfg.Bookings = d

	// Nothing old enough yet.
	rep, err := a.Run(ctx, nil)
	if err != nil || rep.Bookings != 0 || rep.Packages != 0 {
		t.Fatalf("first run: %+v %v", rep, err)
	}
	// Age on from the first week: its three bookings, killed at each step
	// once and the next run going on.
	f.clock.Advance(DefaultAge + 2*24*time.Hour) // past 2026-03-03's times, not 2026-03-10's
	for _, step := range []string{"bookings-written", "bookings-settled", ""} {
		a.fault = func(s string) error {
			if s == step {
				return errors.New("killed at " + s)
			}
			return nil
		}
		rep, err = a.Run(ctx, nil)
		if step != "" {
			if err == nil || !strings.Contains(err.Error(), step) {
				t.Fatalf("killed at %s: %+v %v", step, rep, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	a.fault = nil
	pkgs, _ := filepath.Glob(filepath.Join(f.arch, "*bookings*.tar"))
	if len(pkgs) != 1 {
		t.Fatalf("packages after the kills: %v", pkgs)
	}
	if got := bookingsIn(t, f, pkgs[0]); got != 3 {
		t.Errorf("the first package holds %d bookings, want 3", got)
	}
	// Nothing new: no package.
	if rep, err = a.Run(ctx, nil); err != nil || rep.Bookings != 0 {
		t.Fatalf("again: %+v %v", rep, err)
	}
	// A week on: the second week's booking, in a package of its own.
	f.clock.Advance(7 * 24 * time.Hour)
	if rep, err = a.Run(ctx, nil); err != nil || rep.Bookings != 1 || rep.Packages != 1 {
		t.Fatalf("a week on: %+v %v", rep, err)
	}
	pkgs, _ = filepath.Glob(filepath.Join(f.arch, "*bookings*.tar"))
	if len(pkgs) != 2 {
		t.Fatalf("packages: %v", pkgs)
	}
	// The diary keeps its times and statistics.
	if st, err := d.Stats(ctx, "2026-03", "2026-03"); err != nil || len(st) != 1 {
		t.Errorf("statistics after the export: %v %v", st, err)
	}
}

// bookingsIn verifies a package and counts the appointments in its
// bookings/fhir.json.
func bookingsIn(t *testing.T, f *fixture, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(strings.NewReader(string(b)), f.roots)
	if err != nil || len(m.Cases) != 0 {
		t.Fatalf("%s: %v %+v", path, err, m)
	}
	rd := tarReader(b)
	for {
		h, err := rd.Next()
		if err != nil {
			t.Fatalf("%s: no bookings file", path)
		}
		if strings.HasSuffix(h.Name, bookingsPath) {
			var buf strings.Builder
			if _, err := io.Copy(&buf, rd); err != nil {
				t.Fatal(err)
			}
			return strings.Count(buf.String(), `"resourceType":"Appointment"`)
		}
	}
}

// pnrN is the nth of a few synthetic personnummer.
func pnrN(n int) personnummer.Personnummer {
	return personnummer.Synthetic(time.Date(1960+n, 2, 3, 0, 0, 0, 0, time.UTC), 980+n)
}
