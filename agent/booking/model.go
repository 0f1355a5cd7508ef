package booking

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"clinicgw/sync/wire/hsaid"
)

// TimeType is a kind of time the unit offers.
type TimeType struct {
	ID          string   `json:"id"`          // short, ASCII: "lakare-30"
	StaffName   string   `json:"staffName"`   // what staff see: "Psykologbesök"
	PatientName string   `json:"patientName"` // neutral, what patients see: "Besök"
	Minutes     int      `json:"minutes"`     // length
	Clinicians  []string `json:"clinicians,omitempty"`
	Group       string   `json:"group,omitempty"` // a staff group id
	Online      bool     `json:"online"`          // patients may book it online
	Rebook      bool     `json:"rebook"`
	RebookHours int      `json:"rebookHours"` // rebook until this many hours before the start
	Cancel      bool     `json:"cancel"`
	CancelHours int      `json:"cancelHours"`
	Reminder    bool     `json:"reminder"`
	// ReminderHours: a reminder goes this many hours (elapsed) before
	// the start; DefaultReminderHours if 0 (remind.go).
	ReminderHours int `json:"reminderHours,omitempty"`
	// ShowClinician: patients see the clinician's display name with the
	// time when booking online.
	ShowClinician bool `json:"showClinician,omitempty"`
	// ReleaseHours: an online time not booked this many hours before its
	// start is released to staff only; 0 never.
	ReleaseHours int `json:"releaseHours"`
}

// Template is a clinician's recurring weekly block of times of one type.
type Template struct {
	ID        string       `json:"id"`
	Clinician string       `json:"clinician"` // HSA-ID
	TypeID    string       `json:"typeId"`
	Weekday   time.Weekday `json:"weekday"`
	Start     string       `json:"start"` // Stockholm wall clock, "08:00"
	Count     int          `json:"count"` // times one after the other, each the type's length
	From      string       `json:"from"`  // first date, "2026-01-05"
	Until     string       `json:"until,omitempty"`
}

// Exception closes dates, inclusive, for one clinician or (Clinician "")
// the whole unit: leave, a single closed day.
type Exception struct {
	ID        string `json:"id"`
	Clinician string `json:"clinician,omitempty"`
	From      string `json:"from"`
	Until     string `json:"until"`
	What      string `json:"what,omitempty"` // "Semester", no patient data
}

// Actor is who asks: a staff member (HSA-ID) or a patient (personnummer),
// exactly one.
type Actor struct {
	Staff   string
	Patient string
}

func (a Actor) valid() bool { return (a.Staff == "") != (a.Patient == "") }

// State is a time's state.
type State string

const (
	Free    State = "free"
	Booked  State = "booked"
	Arrived State = "arrived"
	NoShow  State = "noshow"
)

// Booking is who has a time.
type Booking struct {
	ID      string    `json:"id"`
	Patient string    `json:"patient"` // personnummer, sealed in the store only
	ByStaff string    `json:"byStaff,omitempty"`
	Online  bool      `json:"online"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason,omitempty"` // a cancellation's reason
	// Request is the patient's online request (its central store id)
	// that booked or last moved the booking; CancelRequest the one that
	// cancelled it. A request delivered again is answered by them.
	Request       string    `json:"request,omitempty"`
	CancelRequest string    `json:"cancelRequest,omitempty"`
	Canceled      time.Time `json:"canceled,omitzero"`
	// Remind is the patient's consent to reminders and where they go;
	// nil: no reminders. Reminders is how far each channel's reminder of
	// this booking has come (remind.go).
	Remind    *ReminderContact                  `json:"remind,omitempty"`
	Reminders map[ReminderChannel]ReminderState `json:"reminders,omitempty"`
}

// Hold is a short reservation while a patient confirms.
type Hold struct {
	Token string    `json:"token"`
	Until time.Time `json:"until"`
}

// Slot is one concrete time.
type Slot struct {
	Start     time.Time `json:"start"` // UTC
	Minutes   int       `json:"minutes"`
	Clinician string    `json:"clinician"`
	TypeID    string    `json:"typeId"`
	Template  string    `json:"template,omitempty"`
	State     State     `json:"state"`
	Booking   *Booking  `json:"booking,omitempty"`
	Hold      *Hold     `json:"hold,omitempty"`
	Canceled  []Booking `json:"canceled,omitempty"`
}

// ID is the time's id: its key, start and clinician, no patient data.
func (s *Slot) ID() SlotID { return SlotID(fmt.Sprintf("%d-%s", s.Start.Unix(), s.Clinician)) }

// End is the start plus the length in elapsed time.
func (s *Slot) End() time.Time { return s.Start.Add(time.Duration(s.Minutes) * time.Minute) }

// SlotID names a time: "<unix seconds>-<clinician HSA-ID>".
type SlotID string

var idRule = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// Validate checks a time type.
func (t TimeType) Validate() error {
	switch {
	case !idRule.MatchString(t.ID):
		return fmt.Errorf("time type id %q: 1 to 40 letters, digits, '.', '_' or '-'", t.ID)
	case strings.TrimSpace(t.StaffName) == "" || strings.TrimSpace(t.PatientName) == "":
		return fmt.Errorf("time type %s: both the staff name and the patient name are needed", t.ID)
	case t.Minutes < 5 || t.Minutes > 8*60:
		return fmt.Errorf("time type %s: the length must be 5 to 480 minutes", t.ID)
	case t.RebookHours < 0 || t.CancelHours < 0 || t.ReleaseHours < 0 || t.ReminderHours < 0:
		return fmt.Errorf("time type %s: hours before the start cannot be negative", t.ID)
	case t.ReminderHours > MaxReminderHours:
		return fmt.Errorf("time type %s: a reminder goes at most %d hours before the start", t.ID, MaxReminderHours)
	}
	for _, c := range t.Clinicians {
		if !hsaid.Valid(c) {
			return fmt.Errorf("time type %s: clinician %q is not an HSA-ID", t.ID, c)
		}
	}
	return nil
}

// Validate checks a template.
func (t Template) Validate() error {
	if !idRule.MatchString(t.ID) || !idRule.MatchString(t.TypeID) {
		return fmt.Errorf("template %q: bad id or time type id", t.ID)
	}
	if !hsaid.Valid(t.Clinician) {
		return fmt.Errorf("template %s: clinician %q is not an HSA-ID", t.ID, t.Clinician)
	}
	if _, err := parseClock(t.Start); err != nil {
		return fmt.Errorf("template %s: %w", t.ID, err)
	}
	if t.Weekday < time.Sunday || t.Weekday > time.Saturday || t.Count < 1 || t.Count > 96 {
		return fmt.Errorf("template %s: weekday 0–6 and 1 to 96 times", t.ID)
	}
	if _, err := parseDate(t.From); err != nil {
		return fmt.Errorf("template %s: from: %w", t.ID, err)
	}
	if t.Until != "" {
		if _, err := parseDate(t.Until); err != nil {
			return fmt.Errorf("template %s: until: %w", t.ID, err)
		}
	}
	return nil
}

// Validate checks an exception.
func (e Exception) Validate() error {
	if !idRule.MatchString(e.ID) {
		return fmt.Errorf("exception %q: bad id", e.ID)
	}
	if e.Clinician != "" && !hsaid.Valid(e.Clinician) {
		return fmt.Errorf("exception %s: clinician %q is not an HSA-ID", e.ID, e.Clinician)
	}
	f, err1 := parseDate(e.From)
	u, err2 := parseDate(e.Until)
	if err1 != nil || err2 != nil || u.before(f) {
		return fmt.Errorf("exception %s: from and until are dates, until not before from", e.ID)
	}
	return nil
}
