package cases

import "errors"

// A sealed event sealed to a key the unit has retired no longer opens. It
// comes back after the unit's gateway gave it back to a central store
// restored from an older copy of its file (the store sends the events it
// took back again, under new seqs), after the key was retired because
// everything sealed to it was here. Such an event that names what is
// already here — a new case whose case id is here, a follow-up whose
// message id (its route's, in the clear) is in its case — changes nothing
// and counts as a duplicate, as its plain twin would; its content cannot
// be compared. Any other refused sealed event is quarantined.

// SealRetiredKey is Inbound.SealRefusal for an event sealed to a retired key.
const SealRetiredKey = "retired-key"

// retiredDuplicate reports whether ev, refused, is sealed to a retired key
// and names what is here already.
func retiredDuplicate(tx Tx, ev Inbound) (bool, error) {
	if ev.SealRefusal != SealRetiredKey {
		return false, nil
	}
	c, err := tx.Case(ev.CaseID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch ev.Kind {
	case InboundCreated:
		return true, nil
	case InboundFollowUp:
		for _, m := range c.Messages {
			if ev.MessageID != "" && m.ID == ev.MessageID {
				return true, nil
			}
		}
	}
	return false, nil
}
