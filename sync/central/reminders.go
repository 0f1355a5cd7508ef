package central

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// Reminders before a booked visit (issue 20). The central store owns the
// patient side, so it keeps each patient's choice: whether they consent
// to reminders, and where they go (a mobile number, an e-mail address, the
// language). It is one choice per patient, for every unit, set on GET and
// POST /boka/{unit}/paminnelser, and it goes with each of the patient's
// book and rebook requests to the gateway (wire.BookingRequest.Reminder),
// which keeps it sealed with the booking and sends the reminder itself
// (agent/booking/remind.go): the gateway, the authority over the diary,
// knows at once of a cancellation or a move, and this store never sends a
// reminder of a visit that may no longer exist. Withdrawn (unticked), the
// choice is deleted; a rebook after that ends the consent of the moved
// booking too.

// bucketReminders holds the patients' choices: the keyed hash of the
// personnummer (pnrKey) → BookingReminder JSON sealed under the patient's
// key (atrest.go).
const bucketReminders = "patient-reminders"

// ReminderChoice is the patient's consent to reminders; nil for none.
func (s *Store) ReminderChoice(ctx context.Context, pnr string) (*wire.BookingReminder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *wire.BookingReminder
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketReminders))
		if b == nil {
			return nil
		}
		k := s.pnrKey(pnr)
		v := b.Get([]byte(k))
		if v == nil {
			return nil
		}
		out = new(wire.BookingReminder)
		if err := s.openJSON(reminderWhere(k), v, out); errors.Is(err, errForgotten) {
			out = nil
		} else if err != nil {
			return err
		}
		return nil
	})
	return out, err
}

// SetReminderChoice keeps the patient's choice (checked by the protocol's
// rules); nil withdraws the consent.
func (s *Store) SetReminderChoice(ctx context.Context, pnr string, r *wire.BookingReminder) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var v []byte
	if r != nil {
		if err := r.Validate(); err != nil {
			return inputError("reminder", "not a valid reminder choice", swedish("central.page.reminders.bad"))
		}
		var err error
		if v, err = json.Marshal(r); err != nil {
			return err
		}
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(bucketReminders))
		if err != nil {
			return err
		}
		k := s.pnrKey(pnr)
		if v == nil {
			return b.Delete([]byte(k))
		}
		sv, err := s.sealValue(k, reminderWhere(k), v)
		if err != nil {
			return err
		}
		return b.Put([]byte(k), sv)
	})
}

// reminderView is the reminder page's part of view: the form's values and
// what is wrong with them.
type reminderView struct {
	Consent             bool
	Mobile, Email, Lang string
}

// reminderPage shows the patient's choice.
func (w *web) reminderPage(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit := r.PathValue("unit")
	c, err := w.s.ReminderChoice(r.Context(), sess.pnr)
	if err != nil {
		w.failure(rw, r, "reminderPage", err)
		return
	}
	rv := &reminderView{Lang: "sv"}
	if c != nil {
		rv = &reminderView{Consent: true, Mobile: c.Mobile, Email: c.Email, Lang: c.Lang}
	}
	v := view{Title: swedish("central.page.reminders.heading"), User: sess.name, Unit: w.unitRow(unit), Reminder: rv}
	if r.URL.Query().Get("sparad") != "" {
		v.Notice = swedish("central.page.reminders.saved")
	}
	w.render(rw, http.StatusOK, "reminders", v)
}

// saveReminder keeps the patient's choice, or shows the form again with
// what is wrong.
func (w *web) saveReminder(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit := r.PathValue("unit")
	rv := &reminderView{
		Consent: r.PostFormValue("samtycke") == "ja",
		Mobile:  strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(r.PostFormValue("mobil"))),
		Email:   strings.TrimSpace(r.PostFormValue("epost")),
		Lang:    "sv",
	}
	if r.PostFormValue("sprak") == "en" {
		rv.Lang = "en"
	}
	var choice *wire.BookingReminder
	problem := ""
	if rv.Consent {
		choice = &wire.BookingReminder{Mobile: rv.Mobile, Email: rv.Email, Lang: rv.Lang}
		switch {
		case rv.Mobile == "" && rv.Email == "":
			problem = "central.page.reminders.noAddress"
		case rv.Mobile != "" && (wire.BookingReminder{Mobile: rv.Mobile, Lang: "sv"}).Validate() != nil:
			problem = "central.page.reminders.badMobile"
		case rv.Email != "" && (wire.BookingReminder{Email: rv.Email, Lang: "sv"}).Validate() != nil:
			problem = "central.page.reminders.badEmail"
		}
	}
	if problem != "" {
		v := view{Title: swedish("central.page.reminders.heading"), User: sess.name, Unit: w.unitRow(unit),
			Reminder: rv, Error: swedish(problem)}
		w.render(rw, http.StatusBadRequest, "reminders", v)
		return
	}
	if err := w.s.SetReminderChoice(r.Context(), sess.pnr, choice); err != nil {
		w.failure(rw, r, "saveReminder", err)
		return
	}
	w.s.log.Info("reminder choice saved", "consent", rv.Consent)
	http.Redirect(rw, r, "/boka/"+unit+"/paminnelser?sparad=1", http.StatusSeeOther)
}
