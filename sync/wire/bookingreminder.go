package wire

import "regexp"

// A patient's consent to a reminder before a booked visit (issue 20): the
// central store, which keeps the patient's choice (a mobile number, an
// e-mail address, the language), sends it with every book and rebook
// request of the patient; the gateway keeps it sealed with the booking and
// sends the reminder itself (agent/booking/remind.go). No reminder member,
// or null: the patient did not consent, and a rebook ends the consent the
// moved booking had. A cancel carries none.

// Limits of BookingReminder.
const (
	MaxReminderEmailLen = 254 // an e-mail address, characters (RFC 5321's path)
)

// BookingReminder is a patient's consent to a reminder and where it
// goes. Members are present; at least one of Mobile and Email is set.
type BookingReminder struct {
	// Mobile is a mobile number, 7 to 15 digits, optionally after "+";
	// "" none.
	Mobile string `json:"mobile"`
	// Email is an e-mail address, local@domain, no display name; "" none.
	Email string `json:"email"`
	// Lang is the reminder's language: "sv" or "en".
	Lang string `json:"lang"`
}

var (
	reminderMobileRule = regexp.MustCompile(`^\+?[0-9]{7,15}$`)
	reminderEmailRule  = regexp.MustCompile(`^[^@\s<>,;"()\[\]\\]{1,64}@[^@\s<>,;"()\[\]\\]{1,189}\.[^@\s<>,;"()\[\]\\.]{2,63}$`)
)

func (r *BookingReminder) check(p string, kind BookingKind) error {
	if r == nil {
		return nil
	}
	if kind == BookingCancel {
		return fail(p, "must be absent on a cancel")
	}
	if r.Mobile == "" && r.Email == "" {
		return fail(p, "needs a mobile number or an e-mail address")
	}
	if r.Mobile != "" && !reminderMobileRule.MatchString(r.Mobile) {
		return fail(member(p, "mobile"), "must be 7 to 15 digits, optionally after +")
	}
	if err := checkLine(member(p, "email"), r.Email, MaxReminderEmailLen, false); err != nil {
		return err
	}
	if r.Email != "" && !reminderEmailRule.MatchString(r.Email) {
		return fail(member(p, "email"), "must be an e-mail address like name@example.se")
	}
	if r.Lang != "sv" && r.Lang != "en" {
		return fail(member(p, "lang"), "must be sv or en")
	}
	return nil
}

// Validate checks a reminder choice on its own (the central store, before
// it keeps a patient's choice).
func (r BookingReminder) Validate() error { return invalid(r.check("reminder", BookingBook)) }
