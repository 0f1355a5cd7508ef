package booking

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSender takes reminders; down makes every send fail (an outage).
type fakeSender struct {
	mu   sync.Mutex
	down bool
	got  []ReminderMessage
	// tries counts every attempt, failed or not.
	tries int
}

func (s *fakeSender) SendReminder(_ context.Context, m ReminderMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tries++
	if s.down {
		return errors.New("421 mail server unavailable")
	}
	s.got = append(s.got, m)
	return nil
}

func (s *fakeSender) sent() []ReminderMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ReminderMessage(nil), s.got...)
}

func (s *fakeSender) setDown(v bool) {
	s.mu.Lock()
	s.down = v
	s.mu.Unlock()
}

const testLink = "https://e.example.se/boka/" + unit

func (f *fixture) reminders(s ReminderSender) *Reminders {
	f.t.Helper()
	return f.remindersQuiet(s, nil)
}

// remindersQuiet is reminders with the quiet hours q (nil: the default).
func (f *fixture) remindersQuiet(s ReminderSender, q *QuietHours) *Reminders {
	f.t.Helper()
	r, err := NewReminders(f.d, ReminderConfig{UnitName: "Vårdcentralen Exempel", Sender: s, Link: testLink, Quiet: q,
		Address: func(context.Context) (string, error) { return "Storgatan 1\n123 45 Småstad", nil }})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// bookWithReminder books a time at start of a type with reminders hours
// before, for a patient who consented, now.
func (f *fixture) bookWithReminder(start time.Time, hours int) {
	f.t.Helper()
	typ := visit
	typ.ReminderHours = hours
	f.must(f.d.PutType(ctx, typ))
	id := f.addSlot(start, clinA, typ.ID, 30)
	_, err := f.d.Book(ctx, id, Actor{Staff: staff1}, BookRequest{Patient: pnr1, Remind: consent})
	f.must(err)
}

// sendDue runs one pass and returns how many reminders went.
func (f *fixture) sendDue(r *Reminders) int {
	f.t.Helper()
	n, err := r.Send(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

var consent = &ReminderContact{Mobile: "+46701234567", Email: "patient@example.se"}

// TestReminderAtTheRightInstantAcrossDaylightSaving: bookings on the
// spring-forward and the autumn day get their reminders N hours (elapsed)
// before the start, at the right UTC instant, not a second early, once
// per channel, saying the Stockholm wall-clock time of the visit (quiet
// hours off: TestReminderQuietHours moves the night ones).
func TestReminderAtTheRightInstantAcrossDaylightSaving(t *testing.T) {
	utc := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, time.UTC) }
	tests := []struct {
		name  string
		start time.Time // Stockholm wall clock
		hours int
		due   time.Time // UTC
		says  string
	}{
		// 10:00 CEST on the spring day is 08:00 UTC; 24 h before is
		// 08:00 UTC on the 28th, 09:00 CET there.
		{"spring day morning", stockholm(2026, 3, 29, 10, 0), 24, utc(3, 28, 8, 0), "söndag 29 mars 2026 kl. 10:00"},
		// 03:30 CEST just after the gap is 01:30 UTC; 2 h before is 23:30
		// UTC the day before (00:30 CET on the 29th).
		{"spring day after the gap", stockholm(2026, 3, 29, 3, 30), 2, utc(3, 28, 23, 30), "söndag 29 mars 2026 kl. 03:30"},
		// 10:00 CET on the autumn day is 09:00 UTC; 24 h before is 09:00
		// UTC on the 24th, 11:00 CEST there.
		{"autumn day morning", stockholm(2026, 10, 25, 10, 0), 24, utc(10, 24, 9, 0), "söndag 25 oktober 2026 kl. 10:00"},
		// 02:30 in the repeated hour is the first (CEST, 00:30 UTC): 3 h
		// before is 21:30 UTC on the 24th.
		{"autumn repeated hour", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 3, utc(10, 24, 21, 30), "söndag 25 oktober 2026 kl. 02:30"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.start.AddDate(0, 0, -10))
			f.bookWithReminder(tc.start, tc.hours)
			s := &fakeSender{}
			r := f.remindersQuiet(s, &QuietHours{})
			f.clock.Set(tc.due.Add(-time.Second))
			if n := f.sendDue(r); n != 0 {
				t.Fatalf("a second before %v: %d reminders sent, want none", tc.due, n)
			}
			f.clock.Set(tc.due)
			if n := f.sendDue(r); n != 2 {
				t.Fatalf("at %v: %d reminders sent, want 2 (SMS and e-mail)", tc.due, n)
			}
			f.clock.Advance(time.Hour)
			if n := f.sendDue(r); n != 0 {
				t.Fatalf("an hour later: %d reminders sent again", n)
			}
			for _, m := range s.sent() {
				text := m.Body
				if !strings.Contains(text, tc.says) {
					t.Errorf("%s reminder does not say %q:\n%s", m.Channel, tc.says, text)
				}
			}
		})
	}
}

// TestReminderCancelledOrMoved: a cancelled booking gets no reminder, not
// even one already failing and waiting for a retry; a moved booking gets
// the reminder of its new time only, once.
func TestReminderCancelledOrMoved(t *testing.T) {
	start := stockholm(2026, 12, 15, 9, 0)
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	typ := visit
	typ.ReminderHours = 24
	f.must(f.d.PutType(ctx, typ))
	a := f.addSlot(start, clinA, typ.ID, 30)
	b := f.addSlot(start.Add(time.Hour), clinA, typ.ID, 30)
	c := f.addSlot(start.AddDate(0, 0, 1), clinA, typ.ID, 30)
	moved := f.addSlot(start.Add(2*time.Hour), clinA, typ.ID, 30)
	for _, id := range []SlotID{a, b, moved} {
		_, err := f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{Remind: consent})
		f.must(err)
	}
	s := &fakeSender{}
	r := f.reminders(s)

	// a: cancelled before it is due.
	f.must(f.d.Cancel(ctx, a, Actor{Patient: pnr1}, ""))
	// moved: to the next day, before it is due.
	_, err := f.d.Rebook(ctx, moved, c, Actor{Patient: pnr1})
	f.must(err)
	// b: due, but the mail server is down; then cancelled by staff.
	f.clock.Set(start.Add(time.Hour - 24*time.Hour))
	s.setDown(true)
	if n := f.sendDue(r); n != 0 {
		t.Fatalf("sent %d while the sender was down", n)
	}
	f.must(f.d.Cancel(ctx, b, Actor{Staff: staff1}, "Behandlaren är sjuk"))
	s.setDown(false)
	f.clock.Advance(2 * time.Hour)
	if n := f.sendDue(r); n != 0 {
		t.Fatalf("sent %d reminders for cancelled or moved bookings: %+v", n, s.sent())
	}
	// The moved booking's new time: reminded at its own instant, once.
	f.clock.Set(start.AddDate(0, 0, 1).Add(-24 * time.Hour))
	if n := f.sendDue(r); n != 2 {
		t.Fatalf("the moved booking's new time: %d reminders, want 2", n)
	}
	f.clock.Advance(time.Minute)
	if n := f.sendDue(r); n != 0 {
		t.Fatalf("sent again: %d", n)
	}
	for _, m := range s.sent() {
		if !strings.Contains(m.Body, "onsdag 16 december 2026 kl. 09:00") {
			t.Errorf("the moved booking's reminder names another time:\n%s", m.Body)
		}
	}
}

// TestReminderOnlyWithConsent: no reminder without the patient's consent,
// for a type with reminders off, for a booking made inside the reminder's
// window (the patient has just booked), nor after the start; only the
// channels the patient gave.
func TestReminderOnlyWithConsent(t *testing.T) {
	start := stockholm(2026, 12, 15, 9, 0)
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	on, off := visit, visit
	on.ReminderHours = 24
	off.ID, off.Reminder = "besok-ingen", false
	f.must(f.d.PutType(ctx, on))
	f.must(f.d.PutType(ctx, off))
	book := func(at time.Time, typeID string, c *ReminderContact) {
		id := f.addSlot(at, clinA, typeID, 30)
		_, err := f.d.Book(ctx, id, Actor{Staff: staff1}, BookRequest{Patient: pnr1, Remind: c})
		f.must(err)
	}
	book(start, on.ID, nil)                                                       // no consent
	book(start.Add(time.Hour), off.ID, consent)                                   // reminders off for the type
	book(start.Add(2*time.Hour), on.ID, &ReminderContact{Mobile: "+46701234567"}) // SMS only
	s := &fakeSender{}
	r := f.reminders(s)
	f.clock.Set(start.Add(3 * time.Hour).Add(-2 * time.Hour))
	book(start.Add(3*time.Hour), on.ID, consent) // booked inside its window
	if n := f.sendDue(r); n != 1 {
		t.Fatalf("%d reminders, want 1 (SMS only): %+v", n, s.sent())
	}
	if m := s.sent()[0]; m.Channel != ChannelSMS || m.To != "+46701234567" {
		t.Errorf("got %s to %s, want SMS to the consented number", m.Channel, m.To)
	}
	f.clock.Set(start.Add(4 * time.Hour))
	if n := f.sendDue(r); n != 0 {
		t.Fatalf("%d reminders after the starts", n)
	}
}

// TestReminderSurvivesRestartAndOutage: a reminder due while the mail
// server is down is retried with backoff, across a gateway restart (a new
// diary on the reopened store), sent once when the server is back, and
// not sent again after another restart.
func TestReminderSurvivesRestartAndOutage(t *testing.T) {
	start := stockholm(2026, 12, 15, 9, 0)
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	typ := visit
	typ.ReminderHours = 24
	f.must(f.d.PutType(ctx, typ))
	id := f.addSlot(start, clinA, typ.ID, 30)
	_, err := f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{Remind: &ReminderContact{Email: "patient@example.se", Lang: "en"}})
	f.must(err)
	s := &fakeSender{down: true}
	f.clock.Set(start.Add(-24 * time.Hour))
	if n := f.sendDue(f.reminders(s)); n != 0 || s.tries != 1 {
		t.Fatalf("outage: sent %d after %d tries, want 0 after 1", n, s.tries)
	}
	f.reopen()
	r := f.reminders(s)
	if n := f.sendDue(r); n != 0 || s.tries != 1 {
		t.Fatalf("retried before its backoff: %d tries", s.tries)
	}
	f.clock.Advance(MinReminderRetry)
	if n := f.sendDue(r); n != 0 || s.tries != 2 {
		t.Fatalf("after the backoff: %d tries, want 2", s.tries)
	}
	s.setDown(false)
	f.clock.Advance(2 * MinReminderRetry)
	if n := f.sendDue(r); n != 1 {
		t.Fatalf("server back: %d sent, want 1", n)
	}
	f.reopen()
	f.clock.Advance(time.Hour)
	if n := f.sendDue(f.reminders(s)); n != 0 {
		t.Fatalf("after a restart: sent %d again", n)
	}
	got := s.sent()
	if len(got) != 1 || got[0].Channel != ChannelEmail || !strings.HasPrefix(got[0].Subject, "Reminder") {
		t.Fatalf("got %+v, want one English e-mail", got)
	}
	// The message's id is the same at every attempt: a duplicate across
	// a crash between the send and the mark is recognisable.
	if !strings.HasPrefix(got[0].ID, "reminder-") {
		t.Errorf("id %q", got[0].ID)
	}
}

// TestReminderAgainAfterAMove: a booking reminded of its time and then
// moved by staff to a later one is reminded again, of the new time.
func TestReminderAgainAfterAMove(t *testing.T) {
	start := stockholm(2026, 12, 15, 9, 0)
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	f.must(f.d.PutType(ctx, visit))
	old := f.addSlot(start, clinA, visit.ID, 30)
	later := f.addSlot(start.AddDate(0, 0, 2), clinA, visit.ID, 30)
	_, err := f.d.Book(ctx, old, Actor{Patient: pnr1}, BookRequest{Remind: &ReminderContact{Mobile: "0701234567"}})
	f.must(err)
	s := &fakeSender{}
	r := f.reminders(s)
	f.clock.Set(start.Add(-DefaultReminderHours * time.Hour))
	if n := f.sendDue(r); n != 1 {
		t.Fatalf("old time: %d reminders, want 1", n)
	}
	f.clock.Advance(time.Hour)
	_, err = f.d.Rebook(ctx, old, later, Actor{Staff: staff1})
	f.must(err)
	f.clock.Set(start.AddDate(0, 0, 2).Add(-DefaultReminderHours*time.Hour - time.Second))
	if n := f.sendDue(r); n != 0 {
		t.Fatalf("new time, a second early: %d reminders", n)
	}
	f.clock.Advance(time.Second)
	if n := f.sendDue(r); n != 1 {
		t.Fatalf("new time: %d reminders, want 1", n)
	}
	got := s.sent()
	if !strings.Contains(got[0].Body, "15 december") || !strings.Contains(got[1].Body, "torsdag 17 december 2026 kl. 09:00") {
		t.Errorf("reminders:\n%s\n%s", got[0].Body, got[1].Body)
	}
}

// cancelOnSend cancels a booking when it is given its first reminder: a
// cancellation committed between the scan and the next send.
type cancelOnSend struct {
	fakeSender
	cancel func()
}

func (c *cancelOnSend) SendReminder(ctx context.Context, m ReminderMessage) error {
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return c.fakeSender.SendReminder(ctx, m)
}

// TestReminderReadAgainBeforeEachSend: a booking cancelled while another
// reminder of the same pass is being sent gets none of its own after it.
func TestReminderReadAgainBeforeEachSend(t *testing.T) {
	start := stockholm(2026, 12, 15, 9, 0)
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	f.must(f.d.PutType(ctx, visit))
	id := f.addSlot(start, clinA, visit.ID, 30)
	_, err := f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{Remind: consent})
	f.must(err)
	s := &cancelOnSend{cancel: func() { f.must(f.d.Cancel(ctx, id, Actor{Staff: staff1}, "Stängt")) }}
	f.clock.Set(start.Add(-DefaultReminderHours * time.Hour))
	if n := f.sendDue(f.reminders(s)); n != 1 {
		t.Fatalf("%d reminders, want the one under way when it was cancelled", n)
	}
}

// TestReminderContactChecked: a booking with an address that is not a
// mobile number or an e-mail address is declined, nothing booked.
func TestReminderContactChecked(t *testing.T) {
	f := newFixture(t, stockholm(2026, 12, 7, 9, 0))
	f.must(f.d.PutType(ctx, visit))
	id := f.addSlot(stockholm(2026, 12, 15, 9, 0), clinA, visit.ID, 30)
	for _, c := range []ReminderContact{{Mobile: "070-ring-mig"}, {Email: "inte en adress"}, {Email: "a@b@c.se"}, {Mobile: "+46701234567", Email: "<x@y.se>"}} {
		if _, err := f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{Remind: &c}); code(err) != BadRequest {
			t.Errorf("%+v: got %q, want %q", c, code(err), BadRequest)
		}
	}
	b, err := f.d.Book(ctx, id, Actor{Patient: pnr1}, BookRequest{Remind: &ReminderContact{Mobile: " +46701234567 ", Lang: "en"}})
	f.must(err)
	if b.Remind == nil || b.Remind.Mobile != "+46701234567" || b.Remind.Lang != "en" {
		t.Errorf("kept %+v", b.Remind)
	}
}
