package central

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// keyServices, in a unit bucket, holds the unit's published
// wire.ServiceSet JSON (protocol v2). Its forms are kept under keyForms
// too, so that everything that reads the forms (the patient pages, a new
// case's check, GET wire.PathForms) reads the catalogue's.
const keyServices = "services"

// serveGetServices answers GET wire.PathServices2 with the unit's
// published services (an empty set if it published none on that path).
func (s *Store) serveGetServices(w http.ResponseWriter, r *http.Request, unit string) {
	set := wire.ServiceSet{Services: []wire.PublishedService{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := unitBucket(tx, unit).Get([]byte(keyServices)); v != nil {
			return json.Unmarshal(v, &set)
		}
		return nil
	})
	if err != nil {
		s.writeError(w, "services", unit, err)
		return
	}
	if err := wire.WriteJSON(w, http.StatusOK, set); err != nil {
		s.log.Error("services response", "unit", unit, "err", err)
	}
}

// servePutServices answers PUT wire.PathServices2: the set replaces the
// unit's published services and its forms, unless it changes a published
// form without raising its version (409, as PUT wire.PathForms).
func (s *Store) servePutServices(w http.ResponseWriter, r *http.Request, unit string) {
	set, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeServiceSet)
	if err != nil {
		s.writeError(w, "services", unit, err)
		return
	}
	sb, err := wire.Marshal(set)
	if err != nil {
		s.writeError(w, "services", unit, err)
		return
	}
	forms := set.Forms()
	fb, err := wire.Marshal(forms)
	if err != nil {
		s.writeError(w, "services", unit, err)
		return
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		if err := keepsVersions(ub.Get([]byte(keyForms)), forms); err != nil {
			return err
		}
		if err := ub.Put([]byte(keyServices), sb); err != nil {
			return err
		}
		return ub.Put([]byte(keyForms), fb)
	})
	if err != nil {
		s.writeError(w, "services", unit, err)
		return
	}
	s.log.Info("services published", "unit", unit, "services", len(set.Services))
	noContent(w)
}

// AnswerRules returns, by service id, the answer rule of each service the
// unit published with protocol v2 (none for a unit that published forms
// only: their rule is wire.DefaultAnswerDays).
func (s *Store) AnswerRules(ctx context.Context, unit string) (map[string]wire.PublishedService, error) {
	if !s.unitSet[unit] {
		return nil, ErrUnknownUnit
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[string]wire.PublishedService{}
	err := s.db.View(func(tx *bolt.Tx) error {
		v := unitBucket(tx, unit).Get([]byte(keyServices))
		if v == nil {
			return nil
		}
		var set wire.ServiceSet
		if err := json.Unmarshal(v, &set); err != nil {
			return fmt.Errorf("read published services: %w", err)
		}
		for _, p := range set.Services {
			out[p.Form.ID] = p
		}
		return nil
	})
	return out, err
}
