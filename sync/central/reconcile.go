package central

import (
	"fmt"
	"net/http"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// serveReconcile answers POST wire.PathReconcile2: events the unit's
// gateway applied and this store lost (it went back to an older copy of
// its file, or is another store). Each is applied in order, idempotently
// (see wire.ReconcileBatch), and what applies is appended to the unit's
// stream again under its own id, so that the case is on the patient's
// pages again and the stream holds every case the store accepted.
func (s *Store) serveReconcile(w http.ResponseWriter, r *http.Request, unit string) {
	batch, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeReconcileBatch)
	if err != nil {
		s.writeError(w, "reconcile", unit, err)
		return
	}
	var res wire.ReconcileResult
	var head uint64
	var counts [3]int // accepted, duplicate, rejected
	err = s.db.Update(func(tx *bolt.Tx) error {
		res.Results, head, counts = res.Results[:0], 0, [3]int{}
		for _, ev := range batch.Events {
			st, p, err := s.reinsert(tx, unit, ev)
			if err != nil {
				return err
			}
			x := wire.EventResult{ID: ev.ID, Status: st, Problem: p}
			res.Results = append(res.Results, x)
			switch st {
			case wire.ItemAccepted:
				counts[0]++
			case wire.ItemDuplicate:
				counts[1]++
			default:
				counts[2]++
				s.log.Warn("reconcile event rejected", "unit", unit, "eventId", ev.ID, "caseId", ev.CaseID, "problem", p.Type)
			}
		}
		head = unitBucket(tx, unit).Bucket([]byte(bucketEvents)).Sequence()
		return nil
	})
	if err != nil {
		s.writeError(w, "reconcile", unit, fmt.Errorf("reconcile: %w", err))
		return
	}
	s.log.Info("reconcile applied", "unit", unit, "accepted", counts[0], "duplicates", counts[1], "rejected", counts[2])
	if counts[0] > 0 {
		s.hub.publish(unit, head)
	}
	if err := wire.WriteJSON(w, http.StatusOK, res); err != nil {
		s.log.Error("reconcile response", "unit", unit, "err", err)
	}
}

// reinsert applies one given-back event in tx: accepted (applied and
// appended to the stream again), duplicate, or rejected with a problem.
func (s *Store) reinsert(tx *bolt.Tx, unit string, ev wire.Event) (wire.ItemStatus, *wire.Problem, error) {
	c, err := s.getCase(tx, ev.CaseID)
	if err != nil {
		return "", nil, err
	}
	if c != nil && c.Unit != unit {
		return wire.ItemRejected, wire.Conflict("The case id names a case of another care unit in this central store."), nil
	}
	if c != nil && c.forgotten { // its patient was forgotten (forget.go): nothing to take back
		return wire.ItemDuplicate, nil, nil
	}
	if ev.Sealed != "" { // taken back unopened, by its route (sealedreconcile.go)
		return s.reinsertSealed(tx, unit, ev, c)
	}
	switch ev.Kind {
	case wire.EventCaseCreated:
		nc := ev.Case
		if c != nil {
			if c.Type == nc.Type && c.Patient == nc.Patient && samePerson(c.Guardian, nc.Guardian) &&
				slices.Equal(c.Fields, nc.Fields) && c.Text == nc.Text {
				return wire.ItemDuplicate, nil, nil
			}
			return wire.ItemRejected, wire.Conflict("The case id names a case with another submission in this central store."), nil
		}
		title := nc.Type
		set, err := formsOf(unitBucket(tx, unit))
		if err != nil {
			return "", nil, err
		}
		if f, ok := findForm(set, nc.Type); ok {
			title = f.Title.SV
		}
		c = &caseRecord{ID: ev.CaseID, Unit: unit, Type: nc.Type, Title: title, Patient: nc.Patient,
			Guardian: nc.Guardian, Fields: nc.Fields, Text: nc.Text, Status: wire.StatusReceived,
			CreatedAt: ev.At, UpdatedAt: ev.At}
		idx := tx.Bucket([]byte(bucketPatients))
		if err := idx.Put(patientKey(s.pnrKey(nc.Patient.PNR), c.ID), []byte(rolePatient)); err != nil {
			return "", nil, err
		}
		if g := nc.Guardian; g != nil {
			if err := idx.Put(patientKey(s.pnrKey(g.PNR), c.ID), []byte(roleGuardian)); err != nil {
				return "", nil, err
			}
		}
	case wire.EventCaseFollowUp:
		if c == nil {
			return wire.ItemRejected, wire.NotFound("The case of the follow-up is not in this central store."), nil
		}
		for _, m := range c.Messages {
			if m.ID == ev.Message.ID {
				if m.Kind == kindPatient && m.Text == ev.Message.Text {
					return wire.ItemDuplicate, nil, nil
				}
				return wire.ItemRejected, wire.Conflict("The message id names another message of the case in this central store."), nil
			}
		}
		c.Messages = append(c.Messages, messageRecord{ID: ev.Message.ID, Kind: kindPatient, Text: ev.Message.Text, At: ev.At})
		c.Status, c.UpdatedAt = afterFollowUp(c.Status), ev.At
	case wire.EventCaseWithdrawn:
		if c == nil {
			return wire.ItemRejected, wire.NotFound("The withdrawn case is not in this central store."), nil
		}
		if c.Status == wire.StatusWithdrawn {
			return wire.ItemDuplicate, nil, nil
		}
		c.Status, c.UpdatedAt = wire.StatusWithdrawn, ev.At
	}
	again := ev // the same id and content; appendEvent gives it this store's next seq
	if err := s.appendEvent(tx, unit, &again); err != nil {
		return "", nil, err
	}
	return wire.ItemAccepted, nil, s.putCase(tx, c)
}

// samePerson reports whether two optional persons are the same.
func samePerson(a, b *wire.Person) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
