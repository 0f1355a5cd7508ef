package central

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkBookingRush: 1000 patients' booking requests at once, as
// when a unit opens its times (four times fought over, so most are
// refused at the gateway later, none here): the wall time until all are
// queued (s/1000). load1 is the machine's load average.
func BenchmarkBookingRush(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 7, 0, 0, 0, workday.Stockholm())
	st, err := Open(ctx, filepath.Join(b.TempDir(), "c.db"), Options{Clock: clocktest.New(now), Logger: slog.New(slog.DiscardHandler), Units: []string{unitA}})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	bt := bookingTimes()
	v, _ := wire.Marshal(bt)
	st.db.Update(func(tx *bolt.Tx) error { return unitBucket(tx, unitA).Put([]byte(keyBookingTimes), v) })
	pnrs := make([]string, 1000)
	for i := range pnrs {
		pnrs[i] = string(personnummer.Synthetic(time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/20), 980+i%20))
	}
	for b.Loop() {
		start := time.Now()
		var wg sync.WaitGroup
		for i := range 1000 {
			wg.Go(func() {
				if _, err := st.RequestBooking(ctx, unitA, pnrs[i], wire.BookingBook, bt.Times[i%4].ID, ""); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		b.ReportMetric(time.Since(start).Seconds(), "s/1000")
	}
	b.ReportMetric(loadAvg(), "load1")
}
