package wire

import "reflect"

// Sealed confirmed items (issue 22). For a unit that switched sealing on,
// the central store seals each confirmed item it gives back at GET
// PathConfirmed2 (the whole OutboxItem: the staff message, the status,
// a started case with the patient's name and personnummer) to the unit's
// current key: ConfirmedItem.Sealed holds it as a SealedOutboxItem (the
// item's key, case and kind in the clear, the envelope bound to the unit,
// the key and the kind by seal.ConfirmedContext) and Item is absent. The
// gateway opens it with its key ring (OpenedItem checks the opened item
// is the one the clear members name); one that does not open is not put
// back, and the recovery says it is incomplete. A central store of the
// previous release, or a unit with sealing off, gives plain items.

// checkItem checks the item, plain or sealed, and returns its key and
// kind.
func (c ConfirmedItem) checkItem(path string) (key string, kind OutboxKind, err error) {
	if c.Sealed == nil {
		return c.Item.IdempotencyKey, c.Item.Kind, c.Item.check(member(path, "item"))
	}
	if !reflect.ValueOf(c.Item).IsZero() {
		return "", "", fail(member(path, "item"), "must be absent when sealed is present")
	}
	return c.Sealed.IdempotencyKey, c.Sealed.Kind, c.Sealed.check(member(path, "sealed"))
}

// check checks a sealed item's form.
func (it SealedOutboxItem) check(path string) error {
	if err := checkItemHead(path, it.IdempotencyKey, it.CaseID, it.Kind); err != nil {
		return err
	}
	if len(it.Sealed) > MaxSealedItemLen {
		return failf(member(path, "sealed"), "must be at most %d characters", MaxSealedItemLen)
	}
	if !isSealedB64(it.Sealed) {
		return fail(member(path, "sealed"), "must be padded base64 (RFC 4648 section 4)")
	}
	return nil
}
