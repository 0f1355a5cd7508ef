package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Reminders before a visit (issue 20, item 5). Why here, in the gateway:
// the gateway is the authority over the diary, so the reminder is decided
// from the diary's own state, read again right before each send and marked
// in the same store as the booking. A cancelled or moved booking is gone
// from its time the moment the authority's transaction commits, and with
// it every reminder of that time, including one waiting for a retry; the
// central store learns of a staff cancellation only through the sync and
// might, cut off, remind of a visit that no longer exists. The unit's
// name, address and the Stockholm zone are the gateway's too, and the
// notice channels (agent/notify: SMTP, SMS) are configured here.
//
// The patient's consent and where reminders go (ReminderContact: a mobile
// number, an e-mail address, the language) come with the booking
// (BookRequest.Remind): the patient gives them when booking, or tells
// staff on the phone. They are sealed with the booking in the encrypted
// store and moved with it on a rebook (an online rebook carries the
// patient's current choice: remindsync.go). Without them no reminder is
// sent.

// ReminderChannel is how a reminder travels.
type ReminderChannel string

// The channels.
const (
	ChannelSMS   ReminderChannel = "sms"
	ChannelEmail ReminderChannel = "email"
)

// ReminderContact is a patient's consent to reminders and where they go:
// a mobile number, an e-mail address, or both; Lang "en" for English,
// anything else Swedish.
type ReminderContact struct {
	Mobile string `json:"mobile,omitempty"`
	Email  string `json:"email,omitempty"`
	Lang   string `json:"lang,omitempty"`
}

// checked is c with its spaces trimmed, nil if it names no address; ok
// false if an address is not a mobile number or an e-mail address.
func (c *ReminderContact) checked() (*ReminderContact, bool) {
	if c == nil {
		return nil, true
	}
	out := ReminderContact{Mobile: strings.TrimSpace(c.Mobile), Email: strings.TrimSpace(c.Email), Lang: reminderLang(c.Lang)}
	if out.Mobile == "" && out.Email == "" {
		return nil, true
	}
	return &out, (out.Mobile == "" || mobileRule.MatchString(out.Mobile)) &&
		(out.Email == "" || emailRule.MatchString(out.Email))
}

// Checked is c as the diary keeps it (checked), for a form that checks
// a contact before it books: nil if it names no address, ok false if an
// address is not a mobile number or an e-mail address.
func (c *ReminderContact) Checked() (*ReminderContact, bool) { return c.checked() }

var (
	mobileRule = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	emailRule  = regexp.MustCompile(`^[^@\s<>,;"]{1,64}@[^@\s<>,;"]{1,189}\.[^@\s<>,;".]{2,63}$`)
)

func (c ReminderContact) address(ch ReminderChannel) string {
	if ch == ChannelSMS {
		return strings.TrimSpace(c.Mobile)
	}
	return strings.TrimSpace(c.Email)
}

// ReminderState is how far one channel's reminder of a booking has come.
// It concerns the start For only: a booking moved to another time starts
// afresh, so the new time gets its own reminder.
type ReminderState struct {
	For       time.Time `json:"for"`
	Sent      time.Time `json:"sent,omitzero"`
	Attempts  int       `json:"attempts,omitempty"`
	NextAt    time.Time `json:"nextAt,omitzero"`
	LastError string    `json:"lastError,omitempty"`
}

// Reminder hours and retries.
const (
	DefaultReminderHours = 24     // a type's ReminderHours when 0
	MaxReminderHours     = 7 * 24 // the most a type may set
	MinReminderRetry     = time.Minute
	MaxReminderRetry     = time.Hour
)

// reminderHours is how many hours before a time of t its reminder is
// due.
func reminderHours(t TimeType) int {
	if t.ReminderHours <= 0 {
		return DefaultReminderHours
	}
	return t.ReminderHours
}

// ReminderMessage is one reminder to send. ID is the same at every
// attempt (an e-mail's Message-ID). An SMS has Body only.
type ReminderMessage struct {
	ID      string
	Channel ReminderChannel
	To      string
	Subject string
	Body    string
}

// ReminderSender delivers one reminder at once (agent/notify's channels).
// An error leaves it for a retry.
type ReminderSender interface {
	SendReminder(ctx context.Context, m ReminderMessage) error
}

// ReminderConfig is what reminders need.
type ReminderConfig struct {
	UnitName string
	// Address reads the unit's visiting address (its published contact
	// details) at each send; nil or "" leaves it out.
	Address func(ctx context.Context) (string, error)
	// Link is the unit's patient pages at the central store.
	Link   string
	Sender ReminderSender
	Logger *slog.Logger
	// Quiet are the quiet hours (quiet.go); nil: DefaultQuietHours.
	Quiet *QuietHours
}

// Reminders sends the diary's reminders when they are due.
type Reminders struct {
	d     *Diary
	cfg   ReminderConfig
	log   *slog.Logger
	quiet QuietHours
}

// NewReminders checks cfg and returns the reminders of d.
func NewReminders(d *Diary, cfg ReminderConfig) (*Reminders, error) {
	if d == nil || cfg.Sender == nil || strings.TrimSpace(cfg.UnitName) == "" {
		return nil, errors.New("booking reminders: a diary, a sender and the unit's name are needed")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	quiet := DefaultQuietHours
	if cfg.Quiet != nil {
		quiet = *cfg.Quiet
	}
	return &Reminders{d: d, cfg: cfg, log: log, quiet: quiet}, nil
}

// dueReminder is one reminder found due.
type dueReminder struct {
	key      []byte
	booking  string
	start    time.Time
	channel  ReminderChannel
	to, lang string
	typeName string
}

func (r dueReminder) id() string {
	return "reminder-" + r.booking + "-" + strconv.FormatInt(r.start.Unix(), 10) + "-" + string(r.channel)
}

// Send sends every reminder due now once and returns how many went. A
// reminder is due from its type's ReminderHours before the start (elapsed
// time) until the start, for a booked time of a type with reminders on,
// whose patient consented, booked (or moved to it) before that; one that
// fails waits MinReminderRetry, doubling up to MaxReminderRetry.
func (rm *Reminders) Send(ctx context.Context) (int, error) {
	due, err := rm.due(ctx)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	u := reminderUnit{Name: rm.cfg.UnitName, Link: rm.cfg.Link}
	if rm.cfg.Address != nil {
		if u.Address, err = rm.cfg.Address(ctx); err != nil {
			return 0, fmt.Errorf("booking reminders: the unit's address: %w", err)
		}
	}
	sent := 0
	for _, x := range due {
		// Read again right before the send: a cancellation or a move
		// committed since the scan withdraws it.
		still, err := rm.stillDue(ctx, x)
		if err != nil {
			return sent, err
		}
		if !still {
			continue
		}
		t := reminderText(u, x.start, x.lang, x.typeName)
		m := ReminderMessage{ID: x.id(), Channel: x.channel, To: x.to, Subject: t.Subject, Body: t.Body}
		if x.channel == ChannelSMS {
			m.Subject, m.Body = "", t.SMS
		}
		serr := rm.cfg.Sender.SendReminder(ctx, m)
		if err := rm.mark(ctx, x, serr); err != nil {
			return sent, err
		}
		if serr == nil {
			sent++
		}
	}
	return sent, nil
}

// Run sends what is due every tick until ctx ends.
func (rm *Reminders) Run(ctx context.Context, tick time.Duration) error {
	if tick <= 0 {
		tick = time.Minute
	}
	t := rm.d.clock.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := rm.Send(ctx); err != nil && ctx.Err() == nil {
			rm.log.Error("booking reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// due finds the reminders due now.
func (rm *Reminders) due(ctx context.Context) ([]dueReminder, error) {
	now := rm.d.clock.Now().UTC()
	var out []dueReminder
	err := rm.d.st.View(ctx, func(tx Tx) error {
		types, err := loadAll[TimeType](tx, bTypes)
		if err != nil {
			return err
		}
		ahead := 0
		for _, t := range types {
			if t.Reminder {
				ahead = max(ahead, reminderHours(t))
			}
		}
		if ahead == 0 {
			return nil
		}
		to := now.Add(time.Duration(ahead)*time.Hour + maxShift + time.Second) // quiet.go
		return tx.Scan(bTimes, startKey(now), startKey(to), func(k, v []byte) (bool, error) {
			var s Slot
			if err := json.Unmarshal(v, &s); err != nil {
				return false, fmt.Errorf("diary time: %w", err)
			}
			t, ok := types[s.TypeID]
			if !ok {
				return true, nil
			}
			for _, ch := range []ReminderChannel{ChannelSMS, ChannelEmail} {
				if dueNow(&s, t, ch, now, rm.quiet) {
					out = append(out, dueReminder{key: append([]byte(nil), k...), booking: s.Booking.ID, start: s.Start,
						channel: ch, to: s.Booking.Remind.address(ch), lang: s.Booking.Remind.Lang, typeName: t.PatientName})
				}
			}
			return true, nil
		})
	})
	return out, err
}

// dueNow reports whether s's reminder by ch is due at now, outside the
// quiet hours q (quiet.go).
func dueNow(s *Slot, t TimeType, ch ReminderChannel, now time.Time, q QuietHours) bool {
	b := s.Booking
	if s.State != Booked || b == nil || b.Remind == nil || !t.Reminder || b.Remind.address(ch) == "" {
		return false
	}
	at := s.Start.Add(-time.Duration(reminderHours(t)) * time.Hour)
	send, ok := q.sendAt(at, s.Start)
	if !ok || now.Before(send) || !now.Before(s.Start) || !b.At.Before(at) || !b.At.Before(send) || q.quiet(now) {
		return false
	}
	st, ok := b.Reminders[ch]
	if !ok || !st.For.Equal(s.Start) {
		return true
	}
	return st.Sent.IsZero() && !now.Before(st.NextAt)
}

// stillDue reads x's time again: the same booking, still due.
func (rm *Reminders) stillDue(ctx context.Context, x dueReminder) (bool, error) {
	still := false
	err := rm.d.st.View(ctx, func(tx Tx) error {
		s, t, err := rm.load(tx, x)
		if err != nil || s == nil {
			return err
		}
		still = dueNow(s, t, x.channel, rm.d.clock.Now().UTC(), rm.quiet)
		return nil
	})
	return still, err
}

// load reads x's time and type; nil if the booking is no longer there.
func (rm *Reminders) load(tx Tx, x dueReminder) (*Slot, TimeType, error) {
	s, err := loadSlot(tx, x.key)
	if _, ok := DeclineOf(err); ok {
		return nil, TimeType{}, nil // removed
	}
	if err != nil {
		return nil, TimeType{}, err
	}
	if s.Booking == nil || s.Booking.ID != x.booking || !s.Start.Equal(x.start) {
		return nil, TimeType{}, nil
	}
	t, err := loadType(tx, s.TypeID)
	return s, t, err
}

// mark records the outcome of one send in the booking, if it is still
// there.
func (rm *Reminders) mark(ctx context.Context, x dueReminder, sendErr error) error {
	return rm.d.st.Update(ctx, func(tx Tx) error {
		s, _, err := rm.load(tx, x)
		if err != nil || s == nil {
			return err
		}
		now := rm.d.clock.Now().UTC()
		st := s.Booking.Reminders[x.channel]
		if !st.For.Equal(s.Start) {
			st = ReminderState{For: s.Start}
		}
		if sendErr == nil {
			st.Sent, st.NextAt, st.LastError = now, time.Time{}, ""
			rm.log.Info("booking reminder sent", "booking", x.booking, "channel", x.channel, "attempts", st.Attempts+1)
		} else {
			st.Attempts++
			st.NextAt = now.Add(reminderRetry(st.Attempts))
			st.LastError = reminderErrLine(sendErr.Error())
			// The error is not logged: a server's answer may name the
			// address.
			rm.log.Warn("booking reminder not delivered; will retry", "booking", x.booking, "channel", x.channel,
				"attempts", st.Attempts, "next", st.NextAt)
		}
		if s.Booking.Reminders == nil {
			s.Booking.Reminders = map[ReminderChannel]ReminderState{}
		}
		s.Booking.Reminders[x.channel] = st
		return saveSlot(tx, s)
	})
}

// reminderRetry is the wait after the attempts-th failure.
func reminderRetry(attempts int) time.Duration {
	d := MinReminderRetry
	for i := 1; i < attempts && d < MaxReminderRetry; i++ {
		d *= 2
	}
	return min(d, MaxReminderRetry)
}

// reminderErrLine keeps a send error for staff: one line, at most 300
// bytes.
func reminderErrLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
