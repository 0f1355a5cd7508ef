package booking

import (
	"context"
	"encoding/binary"
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
		var err error
		scan := tx.IndexScan(iFree, startKey(from), startKey(q.To), func(k, v []byte) bool {
			it, ok := parseIndexed(k, v)
			if !ok || (q.TypeID != "" && it.TypeID != q.TypeID) || (q.Clinician != "" && it.Clinician != q.Clinician) {
				return true
			}
			var h []byte
			if h, err = tx.IndexGet(iHeld, k); err != nil {
				return false
			}
			if len(h) == 8 && now.Unix() < int64(binary.BigEndian.Uint64(h)) {
				return true
			}
			if q.Online {
				t, ok := types[it.TypeID]
				s := Slot{Start: it.Start}
				if !ok || !t.Online || released(t, &s, now) {
					return true
				}
			}
			out = append(out, FreeTime{ID: SlotID(formatID(it)), Start: it.Start, Minutes: it.Minutes, TypeID: it.TypeID, Clinician: it.Clinician})
			return true
		})
		if err != nil {
			return err
		}
		return scan
	})
	return out, err
}

func formatID(it indexed) string {
	s := Slot{Start: it.Start, Clinician: it.Clinician}
	return string(s.ID())
}
