package agent

import (
	"context"
	"strings"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/notify"
)

// Booking reminders (agent/booking/remind.go) in the gateway: sent from
// the diary through the notice channels of [notify], every minute, with
// the unit's name, its published visiting address (the contact details)
// and a link to its patient pages (notify.patient_url + /boka/<unit>),
// outside the quiet hours (notify.reminder_quiet_hours).

// reminderTick is how often due reminders are looked for.
const reminderTick = time.Minute

// newReminders is the diary's reminders, sent by n.
func (a *Agent) newReminders(n *notify.Notifier, contact *contactKeeper) (*booking.Reminders, error) {
	link := ""
	if u := a.cfg.Notify.PatientURL; u != "" {
		link = strings.TrimRight(u, "/") + "/boka/" + a.cfg.Unit.HSAID
	}
	quiet, err := booking.ParseQuietHours(a.cfg.Notify.ReminderQuietHours)
	if err != nil {
		return nil, err
	}
	return booking.NewReminders(a.diary, booking.ReminderConfig{UnitName: a.cfg.Unit.Name, Link: link, Sender: n, Quiet: &quiet,
		Address: func(ctx context.Context) (string, error) {
			c, err := contact.Contact(ctx)
			return c.Address, err
		},
		Logger: a.log.With("part", "reminders")})
}
