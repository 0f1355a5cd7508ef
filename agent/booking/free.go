package booking

import (
	"context"
	"encoding/binary"
	"strconv"
	"time"
)

// FreeTime is a free time as the free-times query tells it: no patient
// data.
type FreeTime struct {
	ID        SlotID
	Start     time.Time // UTC
	Minutes   int
	TypeID    string
	Clinician string
}

// FreeQuery narrows the free times.
type FreeQuery struct {
	From, To  time.Time
	TypeID    string // "" any
	Clinician string // "" any
	// Online: only times a patient may book now (types bookable online,
	// not released to staff).
	Online bool
}

// FreeTimes returns the free, unheld times that have not begun, in start
// order. It reads the clear index of free times and opens no sealed
// value but the time types (for Online).
func (d *Diary) FreeTimes(ctx context.Context, q FreeQuery) ([]FreeTime, error) {
	var out []FreeTime
	err := d.st.View(ctx, func(tx Tx) error {
		now := d.clock.Now()
		var types map[string]TimeType
		if q.Online {
			var err error
			if types, err = loadAll[TimeType](tx, bTypes); err != nil {
				return err
			}
		}
		from := q.From
		if from.Before(now) {
			from = now.Add(time.Second) // a time that has begun is not free
		}
		// The holds are few: the unexpired ones in the range first, so
		// that the walk of the free times looks each up in a map.
		held := map[string]bool{}
		err := tx.IndexScan(iHeld, startKey(from), startKey(q.To), func(k, v []byte) bool {
			if len(v) == 8 && now.Unix() < int64(binary.BigEndian.Uint64(v)) {
				held[string(k)] = true
			}
			return true
		})
		if err != nil {
			return err
		}
		return tx.IndexScan(iFree, startKey(from), startKey(q.To), func(k, v []byte) bool {
			it, ok := parseIndexed(k, v)
			if !ok || (q.TypeID != "" && it.TypeID != q.TypeID) || (q.Clinician != "" && it.Clinician != q.Clinician) {
				return true
			}
			if len(held) > 0 && held[string(k)] {
				return true
			}
			if q.Online {
				t, ok := types[it.TypeID]
				s := Slot{Start: it.Start}
				if !ok || !t.Online || released(t, &s, now) {
					return true
				}
			}
			out = append(out, FreeTime{ID: formatID(it), Start: it.Start, Minutes: it.Minutes, TypeID: it.TypeID, Clinician: it.Clinician})
			return true
		})
	})
	return out, err
}

// formatID is Slot.ID without fmt: the query makes thousands.
func formatID(it indexed) SlotID {
	b := strconv.AppendInt(make([]byte, 0, 32), it.Start.Unix(), 10)
	b = append(b, '-')
	return SlotID(append(b, it.Clinician...))
}
