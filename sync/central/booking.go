package central

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// Online booking (wire.PathBookingTimes2, …Requests2, …Decisions2). The
// unit's gateway is the authority over its diary; this store shows the
// free times the gateway published, forwards patients' requests and shows
// a booking only after the gateway confirmed it.
//
// Per unit: the published times (keyBookingTimes), every request by id
// (bucketBookingReqs: its state pending, confirmed or declined), the ids
// still pending (bucketBookingPending, served to the gateway until it
// decides them) and the confirmed bookings by time id
// (bucketBookings). A time with a pending request is busy-tentative: no
// other patient sees it as free until the decision comes; a request that
// raced for it anyway is still forwarded, and the gateway declines it.

const (
	keyBookingTimes      = "booking-times"   // in a unit bucket: the published wire.BookingTimes JSON
	bucketBookingReqs    = "booking-reqs"    // in a unit bucket: request id → bookingRecord JSON
	bucketBookingPending = "booking-pending" // in a unit bucket: seq (8 BE) → request id, in arrival order
	bucketBookings       = "bookings"        // in a unit bucket: time id → bookedRecord JSON
)

// Request states as the patient pages see them.
const (
	RequestPending   = "pending"
	RequestConfirmed = "confirmed"
	RequestDeclined  = "declined"
)

// ErrNoBooking: the unit has published no times (its gateway has no
// online booking, or an older release).
var ErrNoBooking = errors.New("central: the care unit takes no online bookings")

// bookingRecord is one patient request and its outcome.
type bookingRecord struct {
	Req wire.BookingRequest `json:"req"`
	// Seq is its key in bucketBookingPending while pending.
	Seq    uint64 `json:"seq"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Time is the requested time as published when asked (for the
	// alternatives when declined).
	Time wire.BookingTime `json:"time"`
	// Guardian is the guardian who asked for the child (Req.Patient).
	Guardian string `json:"guardian,omitempty"`
}

// Booked is a confirmed booking as the patient pages show it.
type Booked struct {
	Time    wire.BookingTime `json:"time"`
	Patient string           `json:"patient"`
	// Child is the child's name when the booking is a guardian's child's
	// (set when read for the guardian, not stored).
	Child string `json:"-"`
}

// BookingRequestState is a request as its patient sees it.
type BookingRequestState struct {
	ID     string
	Kind   wire.BookingKind
	State  string // RequestPending, RequestConfirmed, RequestDeclined
	Reason string // the gateway's code when declined
	Time   wire.BookingTime
}

// busyTimes are the time ids with a pending request or a confirmed
// booking.
func (s *Store) busyTimes(ub *bolt.Bucket) (map[string]bool, error) {
	busy := map[string]bool{}
	if b := ub.Bucket([]byte(bucketBookings)); b != nil {
		_ = b.ForEach(func(k, _ []byte) error { busy[string(k)] = true; return nil })
	}
	pend, reqs := ub.Bucket([]byte(bucketBookingPending)), ub.Bucket([]byte(bucketBookingReqs))
	if pend == nil || reqs == nil {
		return busy, nil
	}
	err := pend.ForEach(func(_, id []byte) error {
		var rec bookingRecord
		if err := s.openJSON(bookingReqWhere(id), reqs.Get(id), &rec); errors.Is(err, errForgotten) {
			return nil // a forgotten patient's request frees its time
		} else if err != nil {
			return fmt.Errorf("read a booking request: %w", err)
		}
		if rec.Req.Kind != wire.BookingCancel {
			busy[rec.Req.Time] = true
		}
		return nil
	})
	return busy, err
}

// TakesBookings reports whether the unit's gateway has published booking
// times (a failure to read says no, logged).
func (s *Store) TakesBookings(ctx context.Context, unit string) bool {
	if !s.unitSet[unit] || ctx.Err() != nil {
		return false
	}
	ok := false
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = unitBucket(tx, unit).Get([]byte(keyBookingTimes)) != nil
		return nil
	})
	if err != nil {
		s.log.Error("read whether the unit takes bookings", "unit", unit, "err", err)
	}
	return ok
}

// FreeBookingTimes returns the unit's published free times of the type
// (typeID "" any), less the busy-tentative and booked ones, from now on,
// in start order.
func (s *Store) FreeBookingTimes(ctx context.Context, unit, typeID string) ([]wire.BookingTime, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var out []wire.BookingTime
	err := s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		bt, ok, err := s.bookingTimesOf(ub, unit)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNoBooking
		}
		busy, err := s.busyTimes(ub)
		if err != nil {
			return err
		}
		for _, t := range bt.Times {
			if busy[t.ID] || !t.Start.After(now) || (typeID != "" && t.TypeID != typeID) {
				continue
			}
			out = append(out, t)
		}
		return nil
	})
	if cmp := func(a, b wire.BookingTime) int { return a.Start.Compare(b.Start) }; !slices.IsSortedFunc(out, cmp) {
		slices.SortFunc(out, cmp) // bookingTimesOf keeps them sorted: not sorted again
	}
	return out, err
}

// RequestBooking records a patient's request and queues it for the
// gateway: book or cancel timeID, or rebook from fromID to timeID. It
// returns the request's id; its outcome comes with the gateway's
// decision (BookingRequestOf). pnr is the logged-in patient; a guardian
// rebooks or cancels their child's booking as the child's
// (bookingguardian.go).
func (s *Store) RequestBooking(ctx context.Context, unit, pnr string, kind wire.BookingKind, timeID, fromID string) (string, error) {
	return s.requestBooking(ctx, unit, pnr, nil, kind, timeID, fromID)
}

// requestBooking is RequestBooking; child, when set, is the child a
// guardian (pnr) books for, checked by the caller.
func (s *Store) requestBooking(ctx context.Context, unit, pnr string, child *wire.Person, kind wire.BookingKind, timeID, fromID string) (string, error) {
	if !s.unitSet[unit] {
		return "", ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now := s.now()
	id, err := s.newID(now)
	if err != nil {
		return "", err
	}
	req := wire.BookingRequest{ID: id, Kind: kind, Patient: pnr, Time: timeID, From: fromID, At: now}
	if kind != wire.BookingCancel { // the patient's choice goes with it (reminders.go)
		if req.Reminder, err = s.ReminderChoice(ctx, pnr); err != nil {
			return "", err
		}
	}
	if child != nil {
		req.Patient = child.PNR
	}
	if err := req.Validate(); err != nil {
		return "", inputError("time", "not a valid booking request", swedish("central.page.booking.bad"))
	}
	err = s.batchRefusable(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		bt, ok, err := s.bookingTimesOf(ub, unit)
		if err != nil {
			return err
		}
		if !ok {
			return ErrNoBooking
		}
		rec := bookingRecord{Req: req, State: RequestPending}
		if child != nil {
			rec.Guardian = pnr
			if err := s.addChild(ub, pnr, *child); err != nil {
				return err
			}
		}
		// forPatient makes the request the booking's patient's when pnr
		// is their guardian.
		forPatient := func(b *Booked) error {
			ok, err := s.actsFor(ub, pnr, b, now)
			if err != nil || !ok {
				return errors.Join(err, inputError("time", "no such booking of the patient", swedish("central.page.booking.notYours")))
			}
			if b.Patient != pnr {
				rec.Req.Patient, rec.Guardian = b.Patient, pnr
			}
			return nil
		}
		// A guardian's request is the child's (req.Patient).
		if err := s.heldAlready(ub, kind, timeID, req.Patient); err != nil {
			return err
		}
		if kind == wire.BookingCancel {
			b, err := s.bookedOf(ub, timeID)
			if err != nil {
				return err
			}
			if err := forPatient(b); err != nil {
				return err
			}
			rec.Time = b.Time
			if err := checkCancel(b.Time, now); err != nil { // bookingcheck.go
				return err
			}
		} else if i := slices.IndexFunc(bt.Times, func(t wire.BookingTime) bool { return t.ID == timeID }); i >= 0 {
			rec.Time = bt.Times[i]
			if err := checkTake(rec.Time, now); err != nil {
				return err
			}
		} else {
			return inputError("time", "not a published time", swedish("central.page.booking.gone"))
		}
		if kind == wire.BookingRebook {
			b, err := s.bookedOf(ub, fromID)
			if err != nil {
				return err
			}
			if err := forPatient(b); err != nil {
				return err
			}
			if err := checkRebook(b.Time, rec.Time, now); err != nil {
				return err
			}
		}
		reqs, err := ub.CreateBucketIfNotExists([]byte(bucketBookingReqs))
		if err != nil {
			return err
		}
		pend, err := ub.CreateBucketIfNotExists([]byte(bucketBookingPending))
		if err != nil {
			return err
		}
		if rec.Seq, err = pend.NextSequence(); err != nil {
			return err
		}
		v, err := s.sealJSON(s.pnrKey(rec.Req.Patient), bookingReqWhere([]byte(id)), rec)
		if err != nil {
			return err
		}
		if err := reqs.Put([]byte(id), v); err != nil {
			return err
		}
		return pend.Put(seqKey(rec.Seq), []byte(id))
	})
	if err != nil {
		return "", err
	}
	s.log.Info("booking request queued", "unit", unit, "kind", string(kind))
	s.hub.announceBooking(unit)
	return id, nil
}

func (s *Store) bookedOf(ub *bolt.Bucket, timeID string) (*Booked, error) {
	b := ub.Bucket([]byte(bucketBookings))
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(timeID))
	if v == nil {
		return nil, nil
	}
	var bk Booked
	if err := s.openJSON(bookedWhere([]byte(timeID)), v, &bk); errors.Is(err, errForgotten) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read a booking: %w", err)
	}
	return &bk, nil
}

// BookingRequestOf returns the patient's request by id; another patient's
// request is not found.
func (s *Store) BookingRequestOf(ctx context.Context, unit, pnr, id string) (BookingRequestState, error) {
	if !s.unitSet[unit] {
		return BookingRequestState{}, ErrUnknownUnit
	}
	var st BookingRequestState
	err := s.db.View(func(tx *bolt.Tx) error {
		reqs := unitBucket(tx, unit).Bucket([]byte(bucketBookingReqs))
		var v []byte
		if reqs != nil {
			v = reqs.Get([]byte(id))
		}
		if v == nil {
			return ErrNotFound
		}
		var rec bookingRecord
		if err := s.openJSON(bookingReqWhere([]byte(id)), v, &rec); errors.Is(err, errForgotten) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("read a booking request: %w", err)
		}
		if rec.Req.Patient != pnr && rec.Guardian != pnr {
			return ErrNotFound
		}
		st = BookingRequestState{ID: id, Kind: rec.Req.Kind, State: rec.State, Reason: rec.Reason, Time: rec.Time}
		return nil
	})
	return st, err
}

// PatientBookings returns the patient's confirmed bookings with the unit,
// in start order.
func (s *Store) PatientBookings(ctx context.Context, unit, pnr string) ([]Booked, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	var out []Booked
	now := s.now()
	err := s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		b := ub.Bucket([]byte(bucketBookings))
		if b == nil {
			return nil
		}
		kids, err := s.childrenOf(ub, pnr, now)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var bk Booked
			if err := s.openJSON(bookedWhere(k), v, &bk); errors.Is(err, errForgotten) {
				return nil
			} else if err != nil {
				return fmt.Errorf("read a booking: %w", err)
			}
			if name, ok := kids[bk.Patient]; ok {
				bk.Child = name
				out = append(out, bk)
			} else if bk.Patient == pnr {
				out = append(out, bk)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Booked) int { return a.Time.Start.Compare(b.Time.Start) })
	return out, err
}

// Alternatives are the free times of the same type nearest to t, at most
// n, in start order.
func (s *Store) Alternatives(ctx context.Context, unit string, t wire.BookingTime, n int) ([]wire.BookingTime, error) {
	free, err := s.FreeBookingTimes(ctx, unit, t.TypeID)
	if err != nil {
		return nil, err
	}
	dist := func(x wire.BookingTime) time.Duration { return max(x.Start.Sub(t.Start), t.Start.Sub(x.Start)) }
	slices.SortStableFunc(free, func(a, b wire.BookingTime) int { return int(dist(a) - dist(b)) })
	free = free[:min(n, len(free))]
	slices.SortFunc(free, func(a, b wire.BookingTime) int { return a.Start.Compare(b.Start) })
	return free, nil
}

// servePutBookingTimes answers PUT wire.PathBookingTimes2.
func (s *Store) servePutBookingTimes(w http.ResponseWriter, r *http.Request, unit string) {
	bt, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeBookingTimes)
	if err != nil {
		s.writeError(w, "bookingTimes", unit, err)
		return
	}
	b, err := wire.Marshal(bt)
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error { return unitBucket(tx, unit).Put([]byte(keyBookingTimes), b) })
	}
	if err != nil {
		s.writeError(w, "bookingTimes", unit, err)
		return
	}
	s.log.Info("booking times published", "unit", unit, "times", len(bt.Times))
	noContent(w)
}

// serveBookingRequests answers GET wire.PathBookingRequests2: the pending
// requests, oldest first (ids are time-ordered).
func (s *Store) serveBookingRequests(w http.ResponseWriter, r *http.Request, unit string) {
	pg := wire.BookingRequestPage{Requests: []wire.BookingRequest{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		pend, reqs := ub.Bucket([]byte(bucketBookingPending)), ub.Bucket([]byte(bucketBookingReqs))
		if pend == nil || reqs == nil {
			return nil
		}
		c := pend.Cursor()
		for k, id := c.First(); k != nil && len(pg.Requests) < wire.MaxBookingRequests; k, id = c.Next() {
			var rec bookingRecord
			if err := s.openJSON(bookingReqWhere(id), reqs.Get(id), &rec); errors.Is(err, errForgotten) {
				continue
			} else if err != nil {
				return fmt.Errorf("read a booking request: %w", err)
			}
			pg.Requests = append(pg.Requests, rec.Req)
		}
		return s.sealBookingRequests(tx, unit, pg.Requests) // bookingseal.go
	})
	if err != nil {
		s.writeError(w, "bookingRequests", unit, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, pg); err != nil {
		s.log.Error("booking requests response", "unit", unit, "err", err)
	}
}

// servePostBookingDecisions answers POST wire.PathBookingDecisions2: each
// pending request gets its outcome, and a confirmed one changes the
// bookings; a decision for a request decided before or unknown changes
// nothing.
func (s *Store) servePostBookingDecisions(w http.ResponseWriter, r *http.Request, unit string) {
	ds, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeBookingDecisions)
	if err != nil {
		s.writeError(w, "bookingDecisions", unit, err)
		return
	}
	applied := 0
	var decided []string
	err = s.db.Update(func(tx *bolt.Tx) error {
		decided = decided[:0]
		ub := unitBucket(tx, unit)
		pend, reqs := ub.Bucket([]byte(bucketBookingPending)), ub.Bucket([]byte(bucketBookingReqs))
		if pend == nil || reqs == nil {
			return nil
		}
		bookings, err := ub.CreateBucketIfNotExists([]byte(bucketBookings))
		if err != nil {
			return err
		}
		for _, d := range ds.Decisions {
			k := []byte(d.Request)
			v := reqs.Get(k)
			if v == nil {
				continue
			}
			var rec bookingRecord
			if err := s.openJSON(bookingReqWhere(k), v, &rec); errors.Is(err, errForgotten) {
				continue
			} else if err != nil {
				return fmt.Errorf("read a booking request: %w", err)
			}
			if rec.State != RequestPending {
				continue
			}
			rec.State, rec.Reason = RequestDeclined, d.Reason
			if d.Outcome == wire.BookingConfirmed {
				rec.State = RequestConfirmed
				if err := s.applyConfirmed(bookings, rec); err != nil {
					return err
				}
			}
			v, err := s.sealJSON(s.pnrKey(rec.Req.Patient), bookingReqWhere(k), rec)
			if err != nil {
				return err
			}
			if err := reqs.Put(k, v); err != nil {
				return err
			}
			if err := pend.Delete(seqKey(rec.Seq)); err != nil {
				return err
			}
			decided = append(decided, d.Request)
			applied++
		}
		return nil
	})
	if err != nil {
		s.writeError(w, "bookingDecisions", unit, err)
		return
	}
	s.hub.decided(decided)
	s.log.Info("booking decisions taken", "unit", unit, "decisions", len(ds.Decisions), "applied", applied)
	noContent(w)
}

// applyConfirmed changes the bookings by a confirmed request.
func (s *Store) applyConfirmed(bookings *bolt.Bucket, rec bookingRecord) error {
	switch rec.Req.Kind {
	case wire.BookingCancel:
		return bookings.Delete([]byte(rec.Req.Time))
	case wire.BookingRebook:
		if err := bookings.Delete([]byte(rec.Req.From)); err != nil {
			return err
		}
	}
	v, err := s.sealJSON(s.pnrKey(rec.Req.Patient), bookedWhere([]byte(rec.Req.Time)), Booked{Time: rec.Time, Patient: rec.Req.Patient})
	if err != nil {
		return err
	}
	return bookings.Put([]byte(rec.Req.Time), v)
}
