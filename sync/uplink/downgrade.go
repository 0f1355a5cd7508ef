package uplink

import (
	"context"
	"sync"

	"clinicgw/sync/wire"
)

// A downgrade: once the central store has confirmed that it seals the
// unit's events from a sequence number on (PUT wire.PathSealing2 answered
// sealed, FromSeq), a case or follow-up it sends in plain text at or after
// that number is refused like a sealed event that does not open: its
// content is dropped, and it goes to the quarantine as "sealed.plain".
// Otherwise a central store that stopped sealing — or whatever answers in
// its name — would feed the gateway readable cases the patients' side
// should never have held in the clear, and nobody would notice. The mark
// is kept in the gateway's store (SealingMark), so it holds across
// restarts, while the central store cannot be reached, and when it
// answers as a release without sealing (404). Only the unit's own
// setting lifts it: with central.sealing = false the uplink clears the
// mark at start. Events without content (a withdrawal) and those before
// the mark apply as before.

// SealingMark is where the gateway keeps the mark (*store.DB); the uplink
// uses it when Config.SealingKeys is one.
type SealingMark interface {
	SealedFrom(ctx context.Context) (seq uint64, on bool, err error)
	SetSealedFrom(ctx context.Context, seq uint64) error
	ClearSealedFrom(ctx context.Context) error
}

// markCache is the mark as last read or written.
type markCache struct {
	mu     sync.Mutex
	loaded bool
	on     bool
	from   uint64
}

// set records the mark as written.
func (m *markCache) set(on bool, from uint64) {
	m.mu.Lock()
	m.loaded, m.on, m.from = true, on, from
	m.mu.Unlock()
}

// sealedFrom returns the mark, reading it from the store once. An error
// means the store could not be read: the run is not applied.
func (u *Uplink) sealedFrom(ctx context.Context) (uint64, bool, error) {
	sm, ok := u.cfg.SealingKeys.(SealingMark)
	if !ok {
		return 0, false, nil
	}
	m := &u.mark
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.loaded {
		from, on, err := sm.SealedFrom(ctx)
		if err != nil {
			return 0, false, err
		}
		m.loaded, m.on, m.from = true, on, from
	}
	return m.from, m.on, nil
}

// markSealed records that the central store seals from seq on, keeping
// the lower of seq and a mark already there.
func (u *Uplink) markSealed(ctx context.Context, seq uint64) error {
	sm, ok := u.cfg.SealingKeys.(SealingMark)
	if !ok {
		return nil
	}
	from, on, err := u.sealedFrom(ctx)
	if err != nil {
		return err
	}
	if on && from <= seq {
		return nil
	}
	if err := sm.SetSealedFrom(ctx, seq); err != nil {
		return err
	}
	u.mark.set(true, seq)
	return nil
}

// liftSealedMark clears the mark: the unit's setting says sealing is off.
func (u *Uplink) liftSealedMark(ctx context.Context) error {
	sm, ok := u.cfg.SealingKeys.(SealingMark)
	if !ok {
		return nil
	}
	if err := sm.ClearSealedFrom(ctx); err != nil {
		return err
	}
	u.mark.set(false, 0)
	return nil
}

// warnDowngrade logs, and reports, that the central store answers as a
// release without sealing while the mark says it sealed before.
func (u *Uplink) warnDowngrade(ctx context.Context) bool {
	if _, on, err := u.sealedFrom(ctx); err != nil || !on {
		return false
	}
	u.log.Error("the central store answers as a release without sealing, but it confirmed sealing the unit's events before: cases it sends in plain text are refused")
	return true
}

// plainAfterMark reports whether ev carries content in plain text where
// the mark says the central store seals.
func plainAfterMark(ev wire.Event, from uint64, on bool) bool {
	if !on || ev.Sealed != "" || ev.Seq < from {
		return false
	}
	return ev.Case != nil || ev.Message != nil
}
