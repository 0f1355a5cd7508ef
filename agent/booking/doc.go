// Package booking is the care unit's stand-alone booking diary and the
// authority over it: the gateway, not the central store, decides who has
// a time.
//
// The unit defines time types (TimeType: a name for staff, a neutral name
// for patients, a length, the clinicians or staff group who take it,
// whether patients may book it online, whether and until how many hours
// before it may be rebooked or cancelled, reminders, and "release to
// staff N hours before"). Each clinician's schedule is weekly templates
// (Template) less exceptions (Exception: leave, a closed day, for one
// clinician or the whole unit) and the Swedish public holidays of
// sync/wire/workday. Generate turns them into concrete times at least
// eight weeks ahead, idempotently: a time that exists is never made again
// or moved, a free one no longer in the schedule is removed, a booked one
// no longer in it is reported, never removed.
//
// Times are Europe/Stockholm wall-clock times (wallclock.go). A template
// time that does not exist on the spring-forward day (02:30 on
// 2026-03-29) makes no time that day; one that happens twice on the
// autumn day (02:30 on 2026-10-25) means the first of the two (CEST,
// 00:30 UTC). A length is elapsed minutes, so a time across a change ends
// at start plus its length in real time. Instants are stored in UTC; the
// zone is applied only to show them.
//
// The authority (authority.go): Hold (short, expires by itself by the
// injected clock), Book, Rebook (same type, clinician and length, where
// the type allows it and before its deadline), Cancel (CancelBooking:
// only if the time still has the booking named), MarkArrived and
// NoShow. Each is one write transaction of the encrypted store
// (agent/store's DiaryUpdate) that reads the time's state and changes it
// in the same transaction, so two bookers can never both win, and a
// refusal is a *Decline with a code and a Swedish message (sync/i18n,
// "booking.declined.*"), with nothing changed.
//
// FreeTimes reads the store's clear index of free times (no patient data:
// start, length, type, clinician) without opening a sealed value;
// OnlineFigure is the unit administrator's figure: the share of the
// unit's coming times open for online booking and how many weeks ahead
// they reach (the regions' "80% of times, at least eight weeks ahead").
//
// Over the sync (sync.go): Published is the free times the gateway
// publishes to the central store (id, start, length, the neutral patient
// name, the clinician's display name only where the type has
// ShowClinician; no personal data), and Decide answers a patient's
// request from it with Book, Rebook or Cancel, confirmed or declined with
// the code. A booking or cancellation records the request's id, so a
// request delivered again is answered confirmed without a second change.
// The published ids are opaque (publicid.go: an HMAC of the time's key
// with a key sealed in the diary; Resolve maps one back; a time's own id
// from the release before is still taken); so are the time types' ids
// (PublicTypeID), which go into the patient pages' addresses. Bookings (changes.go) is the
// coming bookings with their patients and the unit's cancellations, as the
// patients' "Bokade tider" shows them; OnChange hears of every committed
// change, and WatchReleases (release.go) of the hour a time is released
// to staff, so the gateway publishes again at once. SyncSource binds a
// diary for sync/uplink's Config.Booking.
//
// Reminders (remind.go, remindtext.go): a patient who consented
// (ReminderContact: a mobile number, an e-mail address, the language; it
// comes with the booking, from the central store's request or from staff
// on the phone, and is sealed with it) gets a reminder by SMS and e-mail
// the type's ReminderHours (elapsed time, DefaultReminderHours if 0)
// before the start, if the type has reminders on and the booking was made
// before that instant. They are sent here, by the authority, not by the
// central store: the diary's own state is read again right before each
// send, so a cancelled or moved booking never gets the old reminder (a
// moved one gets its new time's), even one waiting for a retry, which the
// central store, cut off from the gateway, could not promise. What has
// been sent is recorded in the booking (Booking.Reminders, per channel
// and start), so a restart sends nothing twice; a failed send is retried
// with backoff until the start. No reminder goes in the quiet hours
// (quiet.go, ReminderConfig.Quiet, default 21:00–08:00 Stockholm time): one
// due then waits until they end, or goes the evening before when they end
// after the start. A crash between the mail server taking a
// reminder and the record makes a second copy with the same Message-ID,
// never a loss. The text (reminderText) holds only the unit's name, the
// day and Stockholm wall-clock time, the visiting address, the link to the
// patient pages and the type's patient name only when it is on the list
// of neutral names (reminderTypeName: "Besök", "Telefontid", …; never
// "Psykologbesök"); Swedish, or English if the patient chose it.
//
// A change's access-log entry (accesslog.go): the caller puts its maker
// in the context (WithAccessLog) and the authority appends it in the
// change's transaction (through the store's AuditTx), so the two commit
// together. WithinChange (within.go) runs more of the caller's work in
// that transaction, such as answering the request case a time is booked
// from.
//
// Statistics (stats.go): per month, time type and clinician, the bookings
// made, online, cancelled, no-shows and arrivals; a time's part is a
// function of the time, added to aggregates in a sealed bucket by saveSlot
// and removeSlot in the transaction that writes the time, so Stats reads
// them and RecountStats finds them equal to a recount.
package booking
