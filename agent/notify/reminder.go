package notify

import (
	"context"
	"errors"
	"fmt"

	"clinicgw/agent/booking"
)

// SendReminder delivers one booking reminder at once through the channels
// in use (the Notifier is agent/booking's ReminderSender). Reminders do
// not wait in this package's queue: their durable state is the booking
// itself (agent/booking/remind.go), read again before every attempt, so a
// cancelled or moved booking's reminder can never be sent from a queue
// that has not heard of the change. The text is the booking package's,
// whose only inputs are the unit's name and address, the visit's day and
// time, the patient pages' link and a neutral type name. An error leaves
// the reminder for the booking package's retry.
func (n *Notifier) SendReminder(ctx context.Context, m booking.ReminderMessage) error {
	ch := n.channels()
	switch m.Channel {
	case booking.ChannelEmail:
		if ch.Mailer == nil {
			return errors.New("no mail server is configured ([notify] smtp)")
		}
		return ch.Mailer.Send(ctx, m.To, Text{Subject: m.Subject, Body: m.Body}, n.cfg.Clock.Now(), m.ID)
	case booking.ChannelSMS:
		if ch.Texter == nil {
			return errors.New("no SMS gateway is configured ([notify] sms)")
		}
		return ch.Texter.Send(ctx, m.To, m.Body)
	}
	return fmt.Errorf("unknown channel %q", m.Channel)
}

var _ booking.ReminderSender = (*Notifier)(nil)
