// Package notify sends the unit's notices: by e-mail over SMTP (STARTTLS
// or implicit TLS, AUTH) and by SMS through an HTTP gateway. A notice only
// says that there is something to look at in the e-service: its texts are
// fixed texts of the one catalogue (sync/i18n, in Swedish, with plural
// forms) whose only inputs are the unit's name and a count, so no name,
// personnummer, case type or message text can ever reach one (the API
// takes none).
//
// Notices wait in a durable queue in the encrypted store until they are
// delivered; a down server or a refused address is retried with capped
// backoff, never dropped and never flooding: new cases are announced in a
// digest, at most one per interval. Queue shows the unit administrator
// what waits and why.
//
// Booking reminders to patients (agent/booking) go through the same
// channels with SendReminder, but not through this queue: their text is
// agent/booking's (unit name, day, time, address, link; nothing about
// health) and their durable state is the booking itself, read again before
// every attempt, so a cancelled or moved booking's reminder is never sent.
package notify
