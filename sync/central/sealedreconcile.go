package central

import (
	"strings"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// Taking sealed events back (issue 22). A sealed event's content opens
// only at the unit, so this store writes its route beside the envelope
// (wire.SealedRoute, sealEvent): the form id and the personnummer's keyed
// hash of a new case, a follow-up's message id — what the case record and
// the patient index of a sealed case hold anyway. When the unit's gateway
// gives back a sealed event this store lost (reconcile.go), it is taken
// back as sent, unopened: the case's routing record and the patient's and
// guardian's list entries are made again from the route, so the patient
// pages show the case as before the loss. The keyed hashes are under this
// store's index key (in its key ring, keyfiles.go): a store restored
// without its key ring makes a new key, and the patients' lists of the
// given-back cases stay empty until the ring is put back.

// routeOf is the route of ev, a plain case.created or case.followup event
// about to be sealed.
func (s *Store) routeOf(ev wire.Event) *wire.SealedRoute {
	switch {
	case ev.Case != nil:
		r := &wire.SealedRoute{Type: ev.Case.Type, Patient: s.pnrHash(ev.Case.Patient.PNR)}
		if g := ev.Case.Guardian; g != nil {
			r.Guardian = s.pnrHash(g.PNR)
		}
		return r
	case ev.Message != nil:
		return &wire.SealedRoute{MessageID: ev.Message.ID}
	}
	return nil
}

// pnrHash is the keyed hash of pnr as a route carries it (pnrKey's, hex).
func (s *Store) pnrHash(pnr string) string { return strings.TrimPrefix(s.pnrKey(pnr), "#") }

// reinsertSealed is reinsert for a sealed event ev of unit, c the case it
// names (nil if this store does not have it).
func (s *Store) reinsertSealed(tx *bolt.Tx, unit string, ev wire.Event, c *caseRecord) (wire.ItemStatus, *wire.Problem, error) {
	r := ev.Route
	if r == nil {
		return wire.ItemRejected, wire.Conflict("This sealed event was written before sealed events carried their route: this central store cannot take it back unopened."), nil
	}
	if p, err := heldEpoch(tx, unit, ev); p != nil || err != nil { // sealepochs.go
		return wire.ItemRejected, p, err
	}
	switch ev.Kind {
	case wire.EventCaseCreated:
		if c != nil {
			if c.Sealed && c.Type == r.Type && c.CreatedAt.Equal(ev.At) {
				return wire.ItemDuplicate, nil, nil
			}
			return wire.ItemRejected, wire.Conflict("The case id names a case with another submission in this central store."), nil
		}
		title := r.Type
		set, err := formsOf(unitBucket(tx, unit))
		if err != nil {
			return "", nil, err
		}
		if f, ok := findForm(set, r.Type); ok {
			title = f.Title.SV
		}
		c = &caseRecord{ID: ev.CaseID, Unit: unit, Type: r.Type, Title: title, Status: wire.StatusReceived,
			CreatedAt: ev.At, UpdatedAt: ev.At, Sealed: true, Owner: "#" + r.Patient}
		idx := tx.Bucket([]byte(bucketPatients))
		if err := idx.Put(patientKey("#"+r.Patient, c.ID), []byte(rolePatient)); err != nil {
			return "", nil, err
		}
		if r.Guardian != "" {
			if err := idx.Put(patientKey("#"+r.Guardian, c.ID), []byte(roleGuardian)); err != nil {
				return "", nil, err
			}
		}
	case wire.EventCaseFollowUp:
		if c == nil {
			return wire.ItemRejected, wire.NotFound("The case of the follow-up is not in this central store."), nil
		}
		for _, m := range c.Messages {
			if m.ID == r.MessageID {
				if m.Kind == kindPatient && m.Sealed {
					return wire.ItemDuplicate, nil, nil
				}
				return wire.ItemRejected, wire.Conflict("The message id names another message of the case in this central store."), nil
			}
		}
		c.Messages = append(c.Messages, messageRecord{ID: r.MessageID, Kind: kindPatient, At: ev.At, Sealed: true})
		c.Status, c.UpdatedAt = afterFollowUp(c.Status), ev.At
	}
	again := ev // as sent: the same id, envelope and route; appendEvent gives it this store's next seq
	if err := s.appendEvent(tx, unit, &again); err != nil {
		return "", nil, err
	}
	return wire.ItemAccepted, nil, s.putCase(tx, c)
}
