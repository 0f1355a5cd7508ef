package central

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealed confirmed items (issue 22; wire/confirmedsealed.go): for a unit
// whose sealing is on, each confirmed item served at GET
// wire.PathConfirmed2 is sealed to the unit's current key (the epochs of
// the unit's events), bound to the unit, the item's idempotency key and
// its kind (seal.ConfirmedContext), with its key, case and kind in the
// clear; a unit with sealing off gets them plain, as before.

// sealConfirmed seals items in place for unit when its sealing is on in
// tx.
func (s *Store) sealConfirmed(tx *bolt.Tx, unit string, items []wire.ConfirmedItem) error {
	pub, err := s.sealingKey(tx, unit)
	if err != nil || pub == nil || len(items) == 0 {
		return err
	}
	for i := range items {
		it := items[i].Item
		pt, err := wire.SealedItemContent(it)
		if err != nil {
			return fmt.Errorf("seal confirmed item %d: %w", items[i].Seq, err)
		}
		env, err := s.sealer.Seal(pub, seal.ConfirmedContext(unit, it.IdempotencyKey, it.Kind), pt)
		if err != nil {
			return fmt.Errorf("seal confirmed item %d: %w", items[i].Seq, err)
		}
		items[i].Item = wire.OutboxItem{}
		items[i].Sealed = &wire.SealedOutboxItem{IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: it.Kind,
			Sealed: encodeSealed(env)}
	}
	return nil
}
