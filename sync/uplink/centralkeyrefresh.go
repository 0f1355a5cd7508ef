package uplink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// The central store rotates its own sealing key with an overlap
// (sync/central's sealrotate.go): it opens items sealed to its older keys
// until it retires them, and publishes the current key's statement only.
// The uplink follows without losing an item:
//
//   - it fetches the statement again every Config.CentralKeyRefresh (on
//     its clock), so it moves to a new key well within the overlap;
//   - an item the store refuses as sealed to a key it does not hold
//     (wire.ProblemSealingKeyUnknown: retired, or never its) is sealed
//     anew to the key fetched at once and posted again in the same round,
//     not held back; if the store publishes the same key still, the item
//     is held back as any rejected one;
//   - it never goes back: a statement older (by its notBefore) than the
//     newest it verified — a TLS-terminating proxy or a central store's
//     backup replaying one — is refused with the key ids logged; the
//     uplink keeps the key it holds, or, when it holds none (a restart,
//     or the store refused that key), the items wait
//     (errCentralKeyOlder). The newest statement's key id and notBefore
//     are kept in the gateway's store (CentralKeyMark, *store.DB through
//     Config.SealingKeys) before anything is sealed to its key, so a
//     restart does not forget them.

// CentralKeyMark is where the gateway keeps the newest central key
// statement it verified: its key id and notBefore ("" when none).
type CentralKeyMark interface {
	NewestCentralKey(ctx context.Context) (keyID string, notBefore time.Time, err error)
	SetNewestCentralKey(ctx context.Context, keyID string, notBefore time.Time) error
}

// errCentralKeyOlder: the store publishes an older key than one verified.
var errCentralKeyOlder = errors.New("outbox items wait: the central store publishes an older sealing key than one it published before (a replay, or a central store restored from a backup: rotate its sealing key)")

// centralKeyDue reports whether the statement is to be fetched again;
// u.out.mu is held.
func (u *Uplink) centralKeyDue() bool {
	return !u.out.fetched.IsZero() && u.cfg.Clock.Now().Sub(u.out.fetched) >= u.cfg.CentralKeyRefresh
}

// refuseOlderCentralKey checks st (verified, of key) against the newest
// statement verified before: for an older one (or another key of the
// same time) it returns the key held, or errCentralKeyOlder when none is.
// Both nil: st may be taken.
func (u *Uplink) refuseOlderCentralKey(ctx context.Context, st wire.CentralSealingKeyStatement, key *seal.PublicKey) (*seal.PublicKey, error) {
	u.out.mu.Lock()
	defer u.out.mu.Unlock()
	if m, ok := u.cfg.SealingKeys.(CentralKeyMark); ok && !u.out.newestLoaded {
		id, nb, err := m.NewestCentralKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the newest central sealing key: %w", err)
		}
		if id != "" && (u.out.newest.KeyID == "" || nb.After(u.out.newest.NotBefore)) {
			u.out.newest = wire.CentralSealingKeyStatement{KeyID: id, NotBefore: nb}
		}
		u.out.newestLoaded = true
	}
	newest := u.out.newest
	if newest.KeyID == "" || newest.KeyID == st.KeyID || st.NotBefore.After(newest.NotBefore) {
		return nil, nil
	}
	u.out.fetched = u.cfg.Clock.Now() // asked again at the next refresh, not at every push
	u.log.Error("the central store publishes an older sealing key than it did before; refused, not sealed to",
		"centralKeyId", key.ID().String(), "newestCentralKeyId", newest.KeyID)
	if u.out.key != nil {
		return u.out.key, nil
	}
	return nil, errCentralKeyOlder
}

// keptCentralKey notes st as fetched now and, if newer, the newest, kept
// in the gateway's store; u.out.mu is held.
func (u *Uplink) keptCentralKey(ctx context.Context, st wire.CentralSealingKeyStatement) error {
	u.out.fetched = u.cfg.Clock.Now()
	if u.out.newest.KeyID != "" && !st.NotBefore.After(u.out.newest.NotBefore) {
		return nil
	}
	if m, ok := u.cfg.SealingKeys.(CentralKeyMark); ok {
		if err := m.SetNewestCentralKey(ctx, st.KeyID, st.NotBefore); err != nil {
			return fmt.Errorf("keep the newest central sealing key: %w", err)
		}
	}
	u.out.newest = st
	return nil
}

// resealRefused posts again, sealed to the key fetched anew, the items of
// batch that res says the store refused as sealed to a key it does not
// hold, and returns res with their new results. It does nothing when
// none was, or when the store still publishes key.
func (u *Uplink) resealRefused(ctx context.Context, key *seal.PublicKey, unit string, batch wire.OutboxBatch2, res wire.OutboxResult) (wire.OutboxResult, error) {
	var again wire.OutboxBatch2
	var at []int
	keys := map[string]bool{}
	for i, r := range res.Results {
		if r.Status == wire.ItemRejected && r.Problem != nil && r.Problem.Type == wire.ProblemSealingKeyUnknown {
			again.Items = append(again.Items, batch.Items[i])
			at = append(at, i)
			keys[batch.Items[i].IdempotencyKey] = true
		}
	}
	if len(at) == 0 {
		return res, nil
	}
	u.forgetCentralKey()
	current, err := u.centralKey(ctx)
	if err != nil {
		return wire.OutboxResult{}, err
	}
	if current.ID() == key.ID() {
		return res, nil
	}
	for _, st := range batch.Staff {
		if keys[st.IdempotencyKey] {
			again.Staff = append(again.Staff, st)
		}
	}
	u.log.Info("outbox items refused as sealed to a key the central store no longer holds; sealed anew to its current key",
		"items", len(at), "centralKeyId", current.ID().String(), "refusedKeyId", key.ID().String())
	res2, err := u.sealAndPost(ctx, current, unit, again)
	if err != nil {
		return wire.OutboxResult{}, err
	}
	for j, i := range at {
		res.Results[i] = res2.Results[j]
	}
	return res, nil
}
