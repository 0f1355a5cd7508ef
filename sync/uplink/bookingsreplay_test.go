package uplink

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestSealedBookingsReplayRefused (issue 22): a TLS-terminating proxy
// that kept an older sealed bookings state (a staff booking since
// cancelled) and puts it again is refused — the state's version is inside
// the sealed, authenticated payload — and the patient's page keeps the
// current state. A central store restored from a backup taken before the
// cancellation gets the current state from the gateway again, and a
// replay of the older state is refused by it too.
func TestSealedBookingsReplayRefused(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var bodies [][]byte
	c := startCentralWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == wire.PathBookingBookingsSealed2 {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	})
	g, d, free := sealedBookingGateway(t, c.url(), unitCert(t), c)
	d.OnChange(g.up.BookingChanged)
	pnr := string(personnummer.Synthetic(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), 981))
	booked := func() int {
		c.mu.RLock()
		defer c.mu.RUnlock()
		bs, err := c.store.PatientBookings(ctx, unit, pnr)
		if err != nil {
			return -1
		}
		return len(bs)
	}
	slot := slotOf(t, d, free[0].ID)
	_, err := d.Book(ctx, slot, booking.Actor{Staff: staffHSA}, booking.BookRequest{Patient: pnr})
	must(t, err)
	waitFor(t, 30*time.Second, "the staff booking on the patient's page", func() bool { return booked() == 1 })
	mu.Lock()
	older := bodies[len(bodies)-1]
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "central-backup.db")
	c.backupTo(backup)
	waitFor(t, 30*time.Second, "the booking still there after the backup", func() bool { return booked() == 1 })

	must(t, d.Cancel(ctx, slot, booking.Actor{Staff: staffHSA}, "Kanarieorsak"))
	waitFor(t, 30*time.Second, "the cancellation on the patient's page", func() bool { return booked() == 0 })

	replay := func() int {
		t.Helper()
		cl := &http.Client{Transport: &http.Transport{TLSClientConfig: g.cfg.TLS.Clone(), ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
		req, err := http.NewRequest(http.MethodPut, c.url()+wire.PathBookingBookingsSealed2, bytes.NewReader(older))
		must(t, err)
		req.Header.Set("Content-Type", wire.ContentTypeJSON)
		res, err := cl.Do(req)
		must(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	if st := replay(); st != http.StatusConflict {
		t.Errorf("the older sealed state replayed: %d, want 409", st)
	}
	if n := booked(); n != 0 {
		t.Fatalf("after the replay the patient has %d bookings, want the cancellation kept (0)", n)
	}

	// The central store goes back to the backup (the booking still there):
	// the gateway puts the current state again.
	c.restoreFrom(backup, nil)
	waitFor(t, 30*time.Second, "the current state again after the restore", func() bool { return booked() == 0 })
	if st := replay(); st != http.StatusConflict {
		t.Errorf("the older sealed state replayed to the restored store: %d, want 409", st)
	}
	if n := booked(); n != 0 {
		t.Errorf("after the replay to the restored store the patient has %d bookings, want 0", n)
	}
}
