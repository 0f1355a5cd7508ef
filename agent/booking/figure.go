package booking

import (
	"context"
	"time"
)

// Figure is the unit administrator's figure of online booking: of the
// unit's times that have not begun, how many there are, how many are of a
// type patients may book online, that share, and how many whole weeks
// ahead the online times reach (from now to the start of the last one).
// The regions' aim is "80% of times open for booking, at least eight
// weeks ahead": MeetsAim.
type Figure struct {
	Times, Online int
	Share         float64 // Online / Times; 0 without times
	WeeksAhead    int
	MeetsAim      bool
}

// The regions' aim.
const (
	AimShare = 0.8
	AimWeeks = 8
)

// TimeOfType is a time as the figure needs it.
type TimeOfType struct {
	Start  time.Time
	TypeID string
}

// OnlineFigureOf computes the Figure of times at now.
func OnlineFigureOf(times []TimeOfType, types map[string]TimeType, now time.Time) Figure {
	var f Figure
	var last time.Time
	for _, t := range times {
		if !now.Before(t.Start) {
			continue
		}
		f.Times++
		if types[t.TypeID].Online {
			f.Online++
			if t.Start.After(last) {
				last = t.Start
			}
		}
	}
	if f.Times > 0 {
		f.Share = float64(f.Online) / float64(f.Times)
	}
	if !last.IsZero() {
		f.WeeksAhead = int(last.Sub(now) / (7 * 24 * time.Hour))
	}
	f.MeetsAim = f.Times > 0 && f.Share >= AimShare && f.WeeksAhead >= AimWeeks
	return f
}

// OnlineFigure is the Figure of the diary now, read from the clear index
// of times without opening a sealed time.
func (d *Diary) OnlineFigure(ctx context.Context) (Figure, error) {
	var f Figure
	err := d.st.View(ctx, func(tx Tx) error {
		now := d.clock.Now()
		types, err := loadAll[TimeType](tx, bTypes)
		if err != nil {
			return err
		}
		var times []TimeOfType
		if err := tx.IndexScan(iTimes, startKey(now), nil, func(k, v []byte) bool {
			if it, ok := parseIndexed(k, v); ok {
				times = append(times, TimeOfType{it.Start, it.TypeID})
			}
			return true
		}); err != nil {
			return err
		}
		f = OnlineFigureOf(times, types, now)
		return nil
	})
	return f, err
}
