package localui

import (
	"net/http"

	"clinicgw/agent/booking"
)

// A phone booking carries the patient's consent to a reminder, as an
// online one does (booking.BookRequest.Remind): on the diary's booking
// form the staff member ticks "Patienten vill ha en påminnelse" and types
// the mobile number and/or e-mail address the patient gives, and the
// language. Without the tick nothing typed is kept; with it, at least one
// address must be given and each must be one (booking's own rule), else
// the booking is not made and the form says why.

// phoneReminder is the form's reminder consent: nil without the tick; ok
// false if the tick came without a usable address.
func phoneReminder(r *http.Request) (*booking.ReminderContact, bool) {
	if r.PostFormValue("remind") == "" {
		return nil, true
	}
	c := &booking.ReminderContact{Mobile: r.PostFormValue("remindMobile"), Email: r.PostFormValue("remindEmail"),
		Lang: r.PostFormValue("remindLang")}
	c, ok := c.Checked()
	return c, ok && c != nil
}
