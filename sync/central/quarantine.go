package central

import (
	"context"
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// A gateway acknowledges a page even when it could not apply some of its
// events (it keeps them in its quarantine); it reports which with PUT
// wire.PathQuarantine2, the whole quarantine each time. The store keeps
// the unit's last report, durably, in place of the one before: an event
// in it was delivered and acknowledged but not handled at the unit; an
// event that leaves it was handled (or settled by region IT). The
// operators see it in the log (one line per event that enters or leaves
// the unit's set, event ids and reasons only, and one line when its count
// changes), in Quarantine, in the gauge clinicgw_central_unhandled_events
// (MetricsHandler) and at GET wire.PathQuarantine2.
//
// A report names events by id, and only events this store issued to the
// unit count: an id it never put in the unit's event stream (another
// unit's event, a made-up id, or an event a restore of this store from an
// older copy lost) is left out of what it keeps, and the report is taken
// all the same (204), with one warning per report that has such ids
// (their count and the first of them). The report is state: refusing it
// for one id would leave the store with an older report, and its gauge
// wrong, until the gateway's quarantine changes; a unit can name no
// other unit's event into its count.

// Quarantine returns the unit's last quarantine report: the events its
// gateway acknowledged and could not handle (an empty report if none
// came).
func (s *Store) Quarantine(ctx context.Context, unit string) (wire.QuarantineReport, error) {
	var rep wire.QuarantineReport
	err := s.viewUnit(ctx, unit, func(ub *bolt.Bucket) (err error) {
		rep, err = quarantineOf(ub)
		return err
	})
	return rep, err
}

// quarantineOf reads the unit's stored report.
func quarantineOf(ub *bolt.Bucket) (wire.QuarantineReport, error) {
	rep := wire.QuarantineReport{Events: []wire.QuarantinedEvent{}}
	err := unitValue(ub, keyQuarantine, "quarantine report", &rep)
	return rep, err
}

// servePutQuarantine answers PUT wire.PathQuarantine2: the report replaces
// the unit's previous one.
func (s *Store) servePutQuarantine(w http.ResponseWriter, r *http.Request, unit string) {
	rep, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeQuarantineReport)
	if err != nil {
		s.writeError(w, "quarantine", unit, err)
		return
	}
	b, err := wire.Marshal(rep)
	if err != nil {
		s.writeError(w, "quarantine", unit, err)
		return
	}
	var old wire.QuarantineReport
	var unissued []string
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		var err error
		if old, err = quarantineOf(ub); err != nil {
			return err
		}
		var kept wire.QuarantineReport
		if kept, unissued, err = s.issuedOnly(ub, unit, rep); err != nil {
			return err
		}
		if len(unissued) > 0 {
			if b, err = wire.Marshal(kept); err != nil {
				return err
			}
		}
		rep = kept
		return ub.Put([]byte(keyQuarantine), b)
	})
	if err != nil {
		s.writeError(w, "quarantine", unit, err)
		return
	}
	if len(unissued) > 0 {
		s.log.Warn("quarantine report names events this store never issued to the unit; left out",
			"unit", unit, "events", len(unissued), "firstEventId", unissued[0])
	}
	s.logQuarantine(unit, old, rep)
	noContent(w)
}

// issuedOnly returns rep without the events that are not in the unit's
// event stream (ub's events), and the ids it left out. It reads the
// stream from its newest event back, and stops once every id is found.
func (s *Store) issuedOnly(ub *bolt.Bucket, unit string, rep wire.QuarantineReport) (wire.QuarantineReport, []string, error) {
	if len(rep.Events) == 0 {
		return rep, nil, nil
	}
	want := make(map[string]bool, len(rep.Events))
	for _, e := range rep.Events {
		want[e.ID] = false
	}
	left := len(want)
	c := ub.Bucket([]byte(bucketEvents)).Cursor()
	for k, v := c.Last(); k != nil && left > 0; k, v = c.Prev() {
		var ev struct {
			ID string `json:"id"`
		}
		if err := s.openJSON(eventWhere(unit, k), v, &ev); err != nil {
			return rep, nil, fmt.Errorf("read an event of the unit: %w", err)
		}
		if found, ok := want[ev.ID]; ok && !found {
			want[ev.ID] = true
			left--
		}
	}
	if left == 0 {
		return rep, nil, nil
	}
	kept := wire.QuarantineReport{Events: []wire.QuarantinedEvent{}}
	var unissued []string
	for _, e := range rep.Events {
		if want[e.ID] {
			kept.Events = append(kept.Events, e)
		} else {
			unissued = append(unissued, e.ID)
		}
	}
	// The events a full report leaves unlisted cannot be checked; a list
	// that is no longer full must hold them all (wire.QuarantineReport), so
	// such a report counts its issued listed events only.
	kept.Total = len(kept.Events)
	return kept, unissued, nil
}

// logQuarantine logs the change from old to rep, by event id and reason.
func (s *Store) logQuarantine(unit string, old, rep wire.QuarantineReport) {
	was := make(map[string]bool, len(old.Events))
	for _, e := range old.Events {
		was[e.ID] = true
	}
	is := make(map[string]bool, len(rep.Events))
	for _, e := range rep.Events {
		is[e.ID] = true
		if !was[e.ID] {
			s.log.Warn("gateway could not handle an acknowledged event", "unit", unit, "eventId", e.ID, "reason", string(e.Reason))
		}
	}
	for _, e := range old.Events {
		if !is[e.ID] {
			s.log.Info("gateway now handled an event it had quarantined", "unit", unit, "eventId", e.ID)
		}
	}
	if rep.Total != old.Total {
		s.log.Info("gateway quarantine reported", "unit", unit, "quarantined", rep.Total)
	}
}

// serveGetQuarantine answers GET wire.PathQuarantine2.
func (s *Store) serveGetQuarantine(w http.ResponseWriter, r *http.Request, unit string) {
	rep, err := s.Quarantine(r.Context(), unit)
	if err != nil {
		s.writeError(w, "quarantine", unit, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, rep); err != nil {
		s.log.Error("quarantine response", "unit", unit, "err", err)
	}
}
