package central

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// TestPlainOutboxAfterSealedRefused: once a unit's outbox items came
// sealed, a plain item for it — POST /v2/outbox or /v1/outbox, a new
// answer or a copy of one already taken — is refused with a conflict
// problem that says what to do, and changes nothing; so are plain
// bookings once the unit's bookings came sealed. The refusal holds across
// a restart of the central store, does not touch another unit, and only
// the unit switching its sealing off (PUT /v2/sealing false) lifts it.
func TestPlainOutboxAfterSealedRefused(t *testing.T) {
	e := newEnv(t)
	pub := e.centralKey()
	id := e.submit(unitA, "Kanarietext")
	first := answer("k-1", id, "Kanariesvar förseglat")
	if r := e.outboxSealed(unitA, sealItem(t, pub, unitA, first)); r.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("the sealed answer: %+v", r.Results[0])
	}
	plain := answer("k-2", id, "Kanariesvar i klartext")
	post := func(unit, path string, items ...wire.OutboxItem) (int, []byte) {
		t.Helper()
		var b []byte
		var err error
		if path == wire.PathOutbox2 {
			b, err = wire.Marshal(wire.OutboxBatch2{Items: items})
		} else {
			b, err = wire.Marshal(wire.OutboxBatch{Items: items})
		}
		if err != nil {
			t.Fatal(err)
		}
		st, _, body := e.do(e.api, unit, http.MethodPost, path, wire.ContentTypeJSON, b)
		return st, body
	}
	refused := func(when string) {
		t.Helper()
		for _, tc := range []struct {
			path string
			it   wire.OutboxItem
		}{{wire.PathOutbox2, plain}, {wire.PathOutbox, plain}, {wire.PathOutbox2, first}} {
			before := e.dump()
			st, body := post(unitA, tc.path, tc.it)
			if st != http.StatusConflict {
				t.Errorf("%s: plain %s at %s: %d %s, want 409", when, tc.it.IdempotencyKey, tc.path, st, body)
				continue
			}
			p, err := wire.DecodeProblem(bytes.NewReader(body))
			if err != nil || p.Type != wire.ProblemConflict || !strings.Contains(p.Detail, wire.PathOutboxSealed2) || !strings.Contains(p.Detail, "central.sealing") {
				t.Errorf("%s: the problem %+v (%v) does not say to seal the item or switch sealing off", when, p, err)
			}
			if after := e.dump(); after != before {
				t.Errorf("%s: a refused plain item changed the store", when)
			}
		}
	}
	refused("after a sealed item")
	// Another unit, still plain, is not touched.
	idB := e.submit(unitB, "Kanarietext B")
	if st, body := post(unitB, wire.PathOutbox2, answer("kb-1", idB, "Svar B")); st != http.StatusOK {
		t.Errorf("another unit's plain item: %d %s", st, body)
	}
	e.reopen()
	refused("after a restart")

	// Bookings: the plain PUT is refused once they came sealed.
	bt := bookingTimes()
	tb, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, tb); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	bb := wire.BookingBookings{Bookings: []wire.PatientBooking{{Patient: adultPNR, Time: bt.Times[1]}}, Canceled: []wire.PatientBooking{}}
	plainBookings, _ := wire.Marshal(bb)
	putPlain := func() int {
		st, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookings2, wire.ContentTypeJSON, plainBookings)
		return st
	}
	if st := putPlain(); st != http.StatusConflict {
		t.Errorf("plain bookings after sealed outbox items: %d, want 409", st)
	}
	pts, err := wire.BookingBookingsParts(bb)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := wire.Marshal(wire.SealedBookingBookings{Parts: sealBookingParts(t, pub, unitA, pts)})
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookingsSealed2, wire.ContentTypeJSON, sb); st != http.StatusNoContent {
		t.Fatalf("sealed bookings: %d %s", st, out)
	}

	// The unit switches its sealing off: plain items are taken again.
	sw, _ := wire.Marshal(wire.SealingSwitch{Sealed: false})
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathSealing2, wire.ContentTypeJSON, sw); st != http.StatusOK {
		t.Fatalf("switch sealing off: %d %s", st, out)
	}
	if st, body := post(unitA, wire.PathOutbox2, plain); st != http.StatusOK {
		t.Errorf("plain item after the unit switched sealing off: %d %s", st, body)
	}
	if st := putPlain(); st != http.StatusNoContent {
		t.Errorf("plain bookings after the unit switched sealing off: %d, want 204", st)
	}
	// Sealed bookings alone mark the unit too.
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingBookingsSealed2, wire.ContentTypeJSON, sb); st != http.StatusNoContent {
		t.Fatalf("sealed bookings: %d %s", st, out)
	}
	if st := putPlain(); st != http.StatusConflict {
		t.Errorf("plain bookings after sealed bookings: %d, want 409", st)
	}
	if st, body := post(unitA, wire.PathOutbox2, answer("k-3", id, "Kanariesvar tre")); st != http.StatusConflict {
		t.Errorf("a plain item after sealed bookings: %d %s, want 409", st, body)
	}
	e.checkLogs("Kanariesvar", "Kanarietext")
}

// sealBookingParts seals the parts of a unit's bookings as its gateway
// does.
func sealBookingParts(t *testing.T, to *seal.PublicKey, unit string, pts [][]byte) []string {
	t.Helper()
	out := make([]string, len(pts))
	for i, pt := range pts {
		env, err := seal.Seal(to, seal.BookingBookingsContext(unit, i, len(pts)), pt)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = base64.StdEncoding.EncodeToString(env)
	}
	return out
}
