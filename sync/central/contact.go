package central

import (
	"context"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// The unit's contact details (wire.PathContact2): its gateway publishes
// them with its forms, and the patient pages show them on the unit's page
// (the forms to write on) and on every case with the unit. A PUT replaces
// what the store had; details with every member empty show nothing.

// Contact returns the unit's contact details as its gateway last
// published them (empty if none came).
func (s *Store) Contact(ctx context.Context, unit string) (wire.UnitContact, error) {
	var c wire.UnitContact
	err := s.viewUnit(ctx, unit, func(ub *bolt.Bucket) (err error) {
		c, err = contactOf(ub)
		return err
	})
	return c, err
}

// contactOf reads the unit's stored contact details.
func contactOf(ub *bolt.Bucket) (wire.UnitContact, error) {
	var c wire.UnitContact
	if err := unitValue(ub, keyContact, "contact details", &c); err != nil {
		return wire.UnitContact{}, err
	}
	return c, nil
}

// serveGetContact answers GET wire.PathContact2.
func (s *Store) serveGetContact(w http.ResponseWriter, r *http.Request, unit string) {
	c, err := s.Contact(r.Context(), unit)
	if err != nil {
		s.writeError(w, "contact", unit, err)
		return
	}
	if err := wire.WriteJSON(w, http.StatusOK, c); err != nil {
		s.log.Error("contact response", "unit", unit, "err", err)
	}
}

// servePutContact answers PUT wire.PathContact2: the details replace the
// unit's previous ones.
func (s *Store) servePutContact(w http.ResponseWriter, r *http.Request, unit string) {
	c, err := decode(w, r, wire.MaxContactBytes, wire.DecodeUnitContact)
	if err != nil {
		s.writeError(w, "contact", unit, err)
		return
	}
	b, err := wire.Marshal(c)
	if err != nil {
		s.writeError(w, "contact", unit, err)
		return
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return unitBucket(tx, unit).Put([]byte(keyContact), b) })
	if err != nil {
		s.writeError(w, "contact", unit, err)
		return
	}
	s.log.Info("contact details published", "unit", unit, "empty", c.IsZero())
	noContent(w)
}
