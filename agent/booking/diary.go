package booking

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"clinicgw/sync/clock"
)

// HoldFor is how long a hold lasts unless Options say otherwise.
const HoldFor = 5 * time.Minute

// Options configure a Diary.
type Options struct {
	Clock   clock.Clock // required
	Rand    io.Reader   // booking ids and hold tokens; crypto/rand by default
	HoldFor time.Duration
}

// Diary is the unit's booking diary and its authority.
type Diary struct {
	st      Store
	clock   clock.Clock
	rand    io.Reader
	holdFor time.Duration
	pub     publicIDs                // the published time ids (publicid.go)
	changed atomic.Pointer[[]func()] // OnChange (changes.go)
}

// New returns the diary kept in st.
func New(st Store, opts Options) (*Diary, error) {
	if st == nil || opts.Clock == nil {
		return nil, errors.New("new booking diary: a store and a clock are needed")
	}
	d := &Diary{clock: opts.Clock, rand: opts.Rand, holdFor: opts.HoldFor}
	d.st = notifying{Store: st, fns: &d.changed}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.holdFor <= 0 {
		d.holdFor = HoldFor
	}
	return d, nil
}

func (d *Diary) newID() (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(d.rand, b); err != nil {
		return "", fmt.Errorf("booking id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// PutType adds or replaces a time type. Times already made keep their
// length; the new one applies to times made after.
func (d *Diary) PutType(ctx context.Context, t TimeType) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return d.st.Update(ctx, func(tx Tx) error { return putJSON(tx, bTypes, []byte(t.ID), t) })
}

// PutTemplate adds or replaces a template; Generate applies it.
func (d *Diary) PutTemplate(ctx context.Context, t Template) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return d.st.Update(ctx, func(tx Tx) error {
		if v, err := tx.Get(bTypes, []byte(t.TypeID)); err != nil || v == nil {
			return errors.Join(err, fmt.Errorf("template %s: no time type %q", t.ID, t.TypeID))
		}
		return putJSON(tx, bTemplates, []byte(t.ID), t)
	})
}

// PutException adds or replaces an exception; Generate applies it.
func (d *Diary) PutException(ctx context.Context, e Exception) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return d.st.Update(ctx, func(tx Tx) error { return putJSON(tx, bExceptions, []byte(e.ID), e) })
}

// DeleteTemplate removes a template; the next Generate removes its free
// times and reports its booked ones.
func (d *Diary) DeleteTemplate(ctx context.Context, id string) error {
	return d.st.Update(ctx, func(tx Tx) error { return tx.Delete(bTemplates, []byte(id)) })
}

// DeleteException removes an exception; the next Generate makes the times
// it closed.
func (d *Diary) DeleteException(ctx context.Context, id string) error {
	return d.st.Update(ctx, func(tx Tx) error { return tx.Delete(bExceptions, []byte(id)) })
}

// Schedule returns the templates and exceptions by id.
func (d *Diary) Schedule(ctx context.Context) (map[string]Template, map[string]Exception, error) {
	var tm map[string]Template
	var ex map[string]Exception
	err := d.st.View(ctx, func(tx Tx) error {
		var err error
		if tm, err = loadAll[Template](tx, bTemplates); err != nil {
			return err
		}
		ex, err = loadAll[Exception](tx, bExceptions)
		return err
	})
	return tm, ex, err
}

// Types returns the time types by id.
func (d *Diary) Types(ctx context.Context) (map[string]TimeType, error) {
	var out map[string]TimeType
	err := d.st.View(ctx, func(tx Tx) error {
		var err error
		out, err = loadAll[TimeType](tx, bTypes)
		return err
	})
	return out, err
}

// Slot returns one time, with its booking.
func (d *Diary) Slot(ctx context.Context, id SlotID) (*Slot, error) {
	key, err := keyOf(id)
	if err != nil {
		return nil, decline(NotFound)
	}
	var s *Slot
	err = d.st.View(ctx, func(tx Tx) error {
		s, err = loadSlot(tx, key)
		return err
	})
	return s, err
}

// Slots returns the times starting in [from, to), with their bookings, in
// start order.
func (d *Diary) Slots(ctx context.Context, from, to time.Time) ([]*Slot, error) {
	var out []*Slot
	err := d.st.View(ctx, func(tx Tx) error {
		return tx.Scan(bTimes, startKey(from), startKey(to), func(_, v []byte) (bool, error) {
			var s Slot
			if err := json.Unmarshal(v, &s); err != nil {
				return false, fmt.Errorf("diary time: %w", err)
			}
			out = append(out, &s)
			return true, nil
		})
	})
	return out, err
}

func putJSON(tx Tx, bucket string, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, key, b)
}

func loadAll[T any](tx Tx, bucket string) (map[string]T, error) {
	out := map[string]T{}
	err := tx.Scan(bucket, nil, nil, func(k, v []byte) (bool, error) {
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return false, fmt.Errorf("diary %s %s: %w", bucket, k, err)
		}
		out[string(k)] = t
		return true, nil
	})
	return out, err
}

// loadSlot reads a time; a missing one is the NotFound decline.
func loadSlot(tx Tx, key []byte) (*Slot, error) {
	v, err := tx.Get(bTimes, key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, decline(NotFound)
	}
	var s Slot
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("diary time: %w", err)
	}
	return &s, nil
}

func loadType(tx Tx, id string) (TimeType, error) {
	var t TimeType
	v, err := tx.Get(bTypes, []byte(id))
	if err != nil {
		return t, err
	}
	if v == nil {
		return t, fmt.Errorf("diary: the time type %q of a time is missing", id)
	}
	return t, json.Unmarshal(v, &t)
}

// saveSlot writes a time and keeps the clear indexes in step with it:
// every time in idx-diary-times, a free one in idx-diary-free, an
// unexpired hold's end in idx-diary-held.
func saveSlot(tx Tx, s *Slot) error {
	key := slotKey(s.Start, s.Clinician)
	before, err := slotAt(tx, key)
	if err != nil {
		return err
	}
	if err := noteStats(tx, before, s); err != nil { // stats.go
		return err
	}
	if err := putJSON(tx, bTimes, key, s); err != nil {
		return err
	}
	iv := indexValue(s)
	if err := tx.IndexPut(iTimes, key, iv); err != nil {
		return err
	}
	if s.State == Free {
		if err := tx.IndexPut(iFree, key, iv); err != nil {
			return err
		}
	} else if err := tx.Delete(iFree, key); err != nil {
		return err
	}
	if s.Hold != nil {
		return tx.IndexPut(iHeld, key, startKey(s.Hold.Until))
	}
	return tx.Delete(iHeld, key)
}

// removeSlot deletes a time and its index entries.
func removeSlot(tx Tx, key []byte) error {
	before, err := slotAt(tx, key)
	if err != nil {
		return err
	}
	if before != nil {
		if err := noteStats(tx, before, nil); err != nil { // stats.go
			return err
		}
	}
	for _, b := range []string{bTimes, iTimes, iFree, iHeld} {
		if err := tx.Delete(b, key); err != nil {
			return err
		}
	}
	return nil
}

// slotAt is the time under key as stored, nil if none.
func slotAt(tx Tx, key []byte) (*Slot, error) {
	s, err := loadSlot(tx, key)
	if _, ok := DeclineOf(err); ok {
		return nil, nil
	}
	return s, err
}
