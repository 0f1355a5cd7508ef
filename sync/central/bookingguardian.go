package central

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// Guardians book for a child under 13 as they write a case for one
// (patient.go's checkGuardian): on the confirm page they tick "Jag bokar
// för mitt barn" and give the child's personnummer and name in the form's
// body (never in an address). The request goes to the gateway as the
// child's (wire.BookingRequest.Patient is the child: a gateway of the
// release before decides it unchanged); the central store keeps who the
// guardian is, with the request and in the unit's list of guardians'
// children (keyBookingChildren), so the guardian sees, rebooks and cancels
// the child's bookings, staff's included, until the child turns 13.

// in a unit bucket: guardian pnr → []wire.Person JSON, sealed under the
// store's own key (atrest.go; ForgetPatient takes a forgotten person out)
const keyBookingChildren = "booking-children"

func (s *Store) readChildren(ub *bolt.Bucket) (map[string][]wire.Person, error) {
	all := map[string][]wire.Person{}
	if v := ub.Get([]byte(keyBookingChildren)); v != nil {
		if err := s.openJSON(keyBookingChildren, v, &all); err != nil {
			return nil, fmt.Errorf("read the guardians' children: %w", err)
		}
	}
	return all, nil
}

// addChild records that guardian booked for child.
func (s *Store) addChild(ub *bolt.Bucket, guardian string, child wire.Person) error {
	all, err := s.readChildren(ub)
	if err != nil {
		return err
	}
	kids := all[guardian]
	if i := slices.IndexFunc(kids, func(p wire.Person) bool { return p.PNR == child.PNR }); i >= 0 {
		kids[i] = child
	} else {
		kids = append(kids, child)
	}
	all[guardian] = kids
	v, err := s.sealJSON(ownerStore, keyBookingChildren, all)
	if err != nil {
		return err
	}
	return ub.Put([]byte(keyBookingChildren), v)
}

// childrenOf are guardian's children still under 13, personnummer → name.
func (s *Store) childrenOf(ub *bolt.Bucket, guardian string, now time.Time) (map[string]string, error) {
	all, err := s.readChildren(ub)
	out := map[string]string{}
	for _, c := range all[guardian] {
		if personnummer.Personnummer(c.PNR).AgeAt(now) < guardianMaxChildAge {
			out[c.PNR] = c.Name
		}
	}
	return out, err
}

// actsFor says whether pnr may change booking b: their own, or their
// child's under 13.
func (s *Store) actsFor(ub *bolt.Bucket, pnr string, b *Booked, now time.Time) (bool, error) {
	if b == nil {
		return false, nil
	}
	if b.Patient == pnr {
		return true, nil
	}
	kids, err := s.childrenOf(ub, pnr, now)
	_, ok := kids[b.Patient]
	return ok, err
}

// sendChildBooking is the confirm page's POST with "for my child" ticked.
func (w *web) sendChildBooking(rw http.ResponseWriter, r *http.Request, sess *session, unit, id string) {
	now := w.s.now()
	child, err := person("childPnr", r.PostFormValue("childPnr"), r.PostFormValue("childName"), now)
	if err == nil {
		err = checkGuardian(child, wire.Person{PNR: sess.pnr, Name: sess.name}, now)
	}
	if ie, ok := errors.AsType[*InputError](err); ok {
		ie.Swedish = swedish("central.childData", ie.Swedish)
		w.errorPage(rw, r, http.StatusConflict, ie.Swedish)
		return
	}
	if err != nil {
		w.failure(rw, r, "bookingRequest", err)
		return
	}
	req, err := w.s.requestBooking(r.Context(), unit, sess.pnr, &child, wire.BookingBook, id, "")
	if err != nil {
		w.bookingFailure(rw, r, "bookingRequest", err)
		return
	}
	http.Redirect(rw, r, "/boka/"+unit+"/begaran/"+req, http.StatusSeeOther)
}
