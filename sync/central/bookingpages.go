package central

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/workday"
)

// The online booking pages (booking.go holds the data): GET /boka/{unit}
// shows "Bokade tider" and the unit's types; with ?typ= (the type's
// opaque id, never the unit's own: agent/booking/publicid.go; an id no
// free time has is a 404 saying so, with the types) the free times of
// that type by day (with &fran= when rebooking a booked time); GET
// /boka/{unit}/tid/{id} asks to confirm; POST there sends the request;
// POST /boka/{unit}/avboka/{id} sends a cancel; GET
// /boka/{unit}/begaran/{req} shows what the gateway answered — pending,
// confirmed, or declined with its Swedish reason and, when the time was
// taken meanwhile, the nearest free times of the same kind.

// bookingView is the booking page's part of view.
type bookingView struct {
	Unavailable bool
	Mine        []bookedRow
	Pending     []pendingRow // requests the gateway has not decided (bookingpending.go)
	Canceled    []timeRow    // coming times the unit cancelled (bookingstate.go)
	Types       []typeRow
	TypeID      string
	From        string // rebooking: the booked time's id
	Days        []dayRow
	Confirm     *timeRow // the time to confirm
	Request     *requestRow
	// Earlier and Later are the first days (YYYY-MM-DD) of the week of
	// free times before and after the one shown ("" none): bookingweek.go.
	Earlier, Later string
}

type typeRow struct{ ID, Name string }

type timeRow struct {
	ID, Day, Clock, Type, Clinician, Minutes string
	Rebook, Cancel                           bool
}

type bookedRow struct {
	timeRow
	CanRebook, CanCancel bool
	Child                string // the child's name, a guardian's child's booking
}

type dayRow struct {
	Day   string
	Times []timeRow
}

type requestRow struct {
	Kind               wire.BookingKind
	Pending, Confirmed bool
	Reason             string // the decline's Swedish text
	Time               timeRow
	Alternatives       []timeRow
}

func newTimeRow(t wire.BookingTime) timeRow {
	at := t.Start.In(workday.Stockholm())
	return timeRow{ID: t.ID, Day: swedishDay(at), Clock: at.Format("15:04"), Type: t.Type, Clinician: t.Clinician,
		Minutes: strconv.Itoa(t.Minutes), Rebook: t.Rebook, Cancel: t.Cancel}
}

var weekdaysSV = [...]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
var monthsSV = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
	"september", "oktober", "november", "december"}

// swedishDay is "måndag 7 december 2026".
func swedishDay(t time.Time) string {
	return weekdaysSV[t.Weekday()] + " " + strconv.Itoa(t.Day()) + " " + monthsSV[t.Month()-1] + " " + strconv.Itoa(t.Year())
}

func (w *web) bookingFailure(rw http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, ErrNoBooking) {
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.page.booking.unavailable"))
		return
	}
	if ie, ok := errors.AsType[*InputError](err); ok {
		w.errorPage(rw, r, http.StatusConflict, ie.Swedish)
		return
	}
	w.failure(rw, r, op, err)
}

func (w *web) bookingPage(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit := r.PathValue("unit")
	bv := &bookingView{TypeID: r.URL.Query().Get("typ"), From: r.URL.Query().Get("fran")}
	v := view{Title: swedish("central.page.booking.heading"), User: sess.name, Unit: w.unitRow(unit), Booking: bv}
	all, err := w.s.FreeBookingTimes(r.Context(), unit, "")
	switch {
	case errors.Is(err, ErrNoBooking):
		bv.Unavailable = true
		w.render(rw, http.StatusOK, "booking", v)
		return
	case err != nil:
		w.bookingFailure(rw, r, "booking", err)
		return
	}
	mine, err := w.s.PatientBookings(r.Context(), unit, sess.pnr)
	if err != nil {
		w.failure(rw, r, "booking", err)
		return
	}
	for _, b := range mine {
		bv.Mine = append(bv.Mine, bookedRow{timeRow: newTimeRow(b.Time), CanRebook: b.Time.Rebook, CanCancel: b.Time.Cancel, Child: b.Child})
	}
	if bv.Pending, err = w.pendingRows(r.Context(), unit, sess.pnr); err != nil { // bookingpending.go
		w.failure(rw, r, "booking", err)
		return
	}
	gone, err := w.s.CanceledBookings(r.Context(), unit, sess.pnr)
	if err != nil {
		w.failure(rw, r, "booking", err)
		return
	}
	for _, b := range gone {
		bv.Canceled = append(bv.Canceled, newTimeRow(b.Time))
	}
	if bv.From != "" { // rebooking: only the booked time's type
		i := slices.IndexFunc(mine, func(b Booked) bool { return b.Time.ID == bv.From })
		if i < 0 {
			w.errorPage(rw, r, http.StatusNotFound, swedish("central.page.booking.notYours"))
			return
		}
		bv.TypeID = mine[i].Time.TypeID
	}
	seen := map[string]bool{}
	var ofType []wire.BookingTime
	for _, t := range all {
		if !seen[t.TypeID] {
			seen[t.TypeID] = true
			bv.Types = append(bv.Types, typeRow{ID: t.TypeID, Name: t.Type})
		}
		if t.TypeID == bv.TypeID {
			ofType = append(ofType, t)
		}
	}
	status := http.StatusOK
	if bv.TypeID != "" && !seen[bv.TypeID] {
		// A link from before types went by opaque ids (?typ=psykolog-30),
		// or a type with no free times now: say so, show the types.
		v.Error, bv.TypeID, status = swedish("central.page.booking.oldTypeLink"), "", http.StatusNotFound
	}
	for _, t := range bv.week(ofType, r.URL.Query().Get("vecka")) {
		row := newTimeRow(t)
		if n := len(bv.Days); n == 0 || bv.Days[n-1].Day != row.Day {
			bv.Days = append(bv.Days, dayRow{Day: row.Day})
		}
		bv.Days[len(bv.Days)-1].Times = append(bv.Days[len(bv.Days)-1].Times, row)
	}
	w.render(rw, status, "booking", v)
}

func (w *web) bookingConfirm(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit, id := r.PathValue("unit"), r.PathValue("id")
	free, err := w.s.FreeBookingTimes(r.Context(), unit, "")
	if err != nil {
		w.bookingFailure(rw, r, "bookingConfirm", err)
		return
	}
	i := slices.IndexFunc(free, func(t wire.BookingTime) bool { return t.ID == id })
	if i < 0 {
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.page.booking.gone"))
		return
	}
	row := newTimeRow(free[i])
	v := view{Title: swedish("central.page.booking.confirmHeading"), User: sess.name, Unit: w.unitRow(unit),
		Booking: &bookingView{Confirm: &row, From: r.URL.Query().Get("fran")}}
	w.render(rw, http.StatusOK, "booking", v)
}

func (w *web) bookingRequest(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit, id := r.PathValue("unit"), r.PathValue("id")
	kind, from := wire.BookingBook, r.PostFormValue("fran")
	if from != "" {
		kind = wire.BookingRebook
	} else if r.PostFormValue("guardian") != "" {
		w.sendChildBooking(rw, r, sess, unit, id) // bookingguardian.go
		return
	}
	w.sendBooking(rw, r, sess, unit, kind, id, from)
}

func (w *web) bookingCancel(rw http.ResponseWriter, r *http.Request, sess *session) {
	w.sendBooking(rw, r, sess, r.PathValue("unit"), wire.BookingCancel, r.PathValue("id"), "")
}

func (w *web) sendBooking(rw http.ResponseWriter, r *http.Request, sess *session, unit string, kind wire.BookingKind, id, from string) {
	req, err := w.s.RequestBooking(r.Context(), unit, sess.pnr, kind, id, from)
	if err != nil {
		w.bookingFailure(rw, r, "bookingRequest", err)
		return
	}
	w.s.waitBookingDecision(r.Context(), unit, sess.pnr, req)
	http.Redirect(rw, r, "/boka/"+unit+"/begaran/"+req, http.StatusSeeOther)
}

func (w *web) bookingRequestPage(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit, id := r.PathValue("unit"), r.PathValue("req")
	st, err := w.s.BookingRequestOf(r.Context(), unit, sess.pnr, id)
	if err != nil {
		w.failure(rw, r, "bookingRequestPage", err)
		return
	}
	rr := &requestRow{Kind: st.Kind, Pending: st.State == RequestPending, Confirmed: st.State == RequestConfirmed,
		Time: newTimeRow(st.Time)}
	if st.State == RequestDeclined {
		rr.Reason = i18n.T("sv", "booking.declined."+st.Reason)
		if rr.Reason == "booking.declined."+st.Reason { // a code this release does not know
			rr.Reason = swedish("central.page.booking.declined")
		}
		if st.Kind != wire.BookingCancel {
			alts, err := w.s.Alternatives(r.Context(), unit, st.Time, 5)
			if err != nil && !errors.Is(err, ErrNoBooking) {
				w.failure(rw, r, "bookingRequestPage", err)
				return
			}
			for _, a := range alts {
				rr.Alternatives = append(rr.Alternatives, newTimeRow(a))
			}
		}
	}
	title := swedish("central.page.booking.heading")
	v := view{Title: title, User: sess.name, Unit: w.unitRow(unit), Booking: &bookingView{Request: rr}}
	w.render(rw, http.StatusOK, "booking", v)
}
