package uplink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Sealing epochs (envelope version 3, wire.PathSealingEpochs2). The
// uplink asks the central store for envelopes that name their epoch
// (PUT wire.PathSealing2?envelope=3; a central store of the previous
// release ignores it and seals version 2, which still opens). A sealed
// event that names an epoch the opener lacks is opened after the epoch's
// record is found: in memory, else in the gateway's store (SealingEpochs,
// *store.DB's settings, sealed under the KEK like the rest), else fetched
// once from the central store. Whatever its source, the record is taken
// only when its id binds the unit, the key and the encapsulated key
// (seal.ParseEpochRecord): one altered or swapped on the way makes the
// events that name it refused as "altered" and quarantined, never
// applied; one the central store does not hold (404) makes them refused
// as "unknown-epoch". A fetched record is kept in the store once an
// event opened with it, before the page that holds the event is applied,
// so the journal never holds an event whose epoch the gateway lacks:
// after a central restore the give-back puts each epoch its events name
// back first (PUT wire.PathSealingEpochs2), and a gateway restored from
// a backup holds the epochs of the events its backup holds.

// SealingEpochs keeps the epochs' records in the gateway's store
// (*store.DB); the uplink uses it when Config.SealingKeys is one.
type SealingEpochs interface {
	// SealingEpoch returns the stored record of the epoch id; false if
	// none is stored.
	SealingEpoch(ctx context.Context, id string) ([]byte, bool, error)
	// PutSealingEpoch stores the record of the epoch id durably.
	PutSealingEpoch(ctx context.Context, id string, rec []byte) error
}

// errEpochUnreachable: the record of an epoch could be neither read from
// the gateway's store nor fetched (the central store unreachable or
// failing): the run is not applied, the pull tries again.
var errEpochUnreachable = errors.New("a sealing epoch's record can be neither read nor fetched")

// maxEpochRecords bounds the records held in memory; when full they are
// dropped (read again from the store).
const maxEpochRecords = 1024

// epochCache is the records the uplink holds, and those fetched but not
// yet kept in the store.
type epochCache struct {
	mu      sync.Mutex
	records map[seal.EpochID]seal.EpochRecord
	unkept  map[seal.EpochID]bool
}

func (c *epochCache) get(id seal.EpochID) (seal.EpochRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[id]
	return r, ok
}

func (c *epochCache) put(rec seal.EpochRecord, unkept bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.records == nil || len(c.records) >= maxEpochRecords {
		c.records, c.unkept = map[seal.EpochID]seal.EpochRecord{}, map[seal.EpochID]bool{}
	}
	c.records[rec.ID()] = rec
	if unkept {
		c.unkept[rec.ID()] = true
	}
}

// takeUnkept reports whether id was fetched and not kept yet, marking it
// kept.
func (c *epochCache) takeUnkept(id seal.EpochID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.unkept[id] {
		return false
	}
	delete(c.unkept, id)
	return true
}

// giveEpoch finds the record of epoch id and gives it to o. An error is
// a refusal of the events that name it (a *seal error), or
// errEpochUnreachable.
func (u *Uplink) giveEpoch(ctx context.Context, o *seal.Opener, id seal.EpochID) error {
	rec, ok := u.epochs.get(id)
	if !ok {
		var err error
		if rec, ok, err = u.storedEpoch(ctx, o.Unit(), id); err != nil {
			return err
		}
	}
	if !ok {
		var err error
		if rec, err = u.fetchEpoch(ctx, o.Unit(), id); err != nil {
			return err
		}
		u.epochs.put(rec, true)
	}
	return o.AddEpoch(rec)
}

// storedEpoch reads the record of id from the gateway's store; false if
// it is not there (or no store keeps epochs). A stored record that does
// not bind is logged and not used (fetched again).
func (u *Uplink) storedEpoch(ctx context.Context, unit string, id seal.EpochID) (seal.EpochRecord, bool, error) {
	se, ok := u.cfg.SealingKeys.(SealingEpochs)
	if !ok {
		return seal.EpochRecord{}, false, nil
	}
	b, ok, err := se.SealingEpoch(ctx, id.String())
	if err != nil {
		u.log.Error("the gateway's store cannot read a sealing epoch", "epoch", id.String(), "err", err)
		return seal.EpochRecord{}, false, errEpochUnreachable
	}
	if !ok {
		return seal.EpochRecord{}, false, nil
	}
	rec, err := seal.ParseEpochRecord(unit, id, b)
	if err != nil {
		u.log.Error("a sealing epoch in the gateway's store is damaged; fetching it again", "epoch", id.String(), "err", err)
		return seal.EpochRecord{}, false, nil
	}
	u.epochs.put(rec, false)
	return rec, true, nil
}

// fetchEpoch asks the central store for the record of id and checks that
// it binds.
func (u *Uplink) fetchEpoch(ctx context.Context, unit string, id seal.EpochID) (seal.EpochRecord, error) {
	var e wire.SealingEpoch
	q := url.Values{wire.QueryEpochID: {id.String()}}.Encode()
	err := u.roundTrip(ctx, "sealing-epoch", http.MethodGet, wire.PathSealingEpochs2, q, nil, func(r io.Reader) error {
		var err error
		e, err = wire.DecodeSealingEpoch(r)
		return err
	})
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		return seal.EpochRecord{}, fmt.Errorf("%w (epoch %s, which the central store does not hold)", seal.ErrUnknownEpoch, id)
	}
	if _, ok := errors.AsType[*wire.Problem](err); ok { // not of the form: altered on the way
		return seal.EpochRecord{}, fmt.Errorf("%w: the central store's record of epoch %s: %v", seal.ErrAltered, id, err)
	}
	if err != nil {
		u.log.Warn("a sealing epoch cannot be fetched", "epoch", id.String(), "err", err)
		return seal.EpochRecord{}, errEpochUnreachable
	}
	rec, err := seal.EpochRecordOf(unit, e)
	if err != nil || rec.ID() != id {
		u.log.Error("the central store's record of a sealing epoch is not that epoch: altered or swapped on the way; its events are quarantined", "epoch", id.String())
		return seal.EpochRecord{}, fmt.Errorf("%w: the record of epoch %s does not bind", seal.ErrAltered, id)
	}
	return rec, nil
}

// keepEpoch stores the record of id if it was fetched and not kept yet:
// called once an event opened with it, before its page is applied.
func (u *Uplink) keepEpoch(ctx context.Context, id seal.EpochID) error {
	if !u.epochs.takeUnkept(id) {
		return nil
	}
	rec, ok := u.epochs.get(id)
	se, can := u.cfg.SealingKeys.(SealingEpochs)
	if !ok || !can {
		return nil
	}
	if err := se.PutSealingEpoch(ctx, id.String(), rec.Bytes()); err != nil {
		u.epochs.put(rec, true) // try again with the next event
		u.log.Error("the gateway's store cannot keep a sealing epoch", "epoch", id.String(), "err", err)
		return errEpochUnreachable
	}
	return nil
}

// putBackEpochs puts back at the central store the epochs the version-3
// events of a give-back name, each once, before the events themselves.
func (u *Uplink) putBackEpochs(ctx context.Context, events []wire.Event, put map[seal.EpochID]bool) error {
	for _, ev := range events {
		env, ok := ev.SealedBytes()
		if !ok {
			continue
		}
		e, err := seal.Decode(env)
		if err != nil || e.Version != seal.VersionEpochRef || put[e.Epoch] {
			continue
		}
		id := e.Epoch
		rec, held := u.epochs.get(id)
		if !held {
			if rec, held, err = u.storedEpoch(ctx, e.Unit, id); err != nil {
				return err
			}
		}
		if !held { // the central store refuses the event; logged there
			u.log.Error("an event to give back names a sealing epoch this gateway does not hold", "eventId", ev.ID, "epoch", id.String())
			put[id] = true
			continue
		}
		b, err := wire.Marshal(rec.Wire())
		if err != nil {
			return err
		}
		err = u.roundTrip(ctx, "sealing-epoch", http.MethodPut, wire.PathSealingEpochs2, "", b, nil)
		if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
			// a central store of the release before (put back to it
			// after serving version 3): the events go back all the same,
			// this gateway holds their epoch
			u.log.Warn("the central store takes no sealing epochs back (an older release); the events go back without them", "epoch", id.String())
			err = nil
		}
		if err != nil {
			return err
		}
		put[id] = true
	}
	return nil
}
