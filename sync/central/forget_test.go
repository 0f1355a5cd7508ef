package central

import (
	"bytes"
	"errors"
	"os"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestForgetPatient: forgetting a patient ("delete my account") removes
// their data key from the key ring: on the real file, reopened, all their
// cases, messages, bookings and reminder choice read as nothing, the
// patient index holds nothing under their keyed hash, the case records
// they owned do not open, the ring file no longer names them; another
// patient's case, and the child's case the adult wrote as guardian (the
// child's, under the child's key), still open. A unit's answer to a
// forgotten case is accepted and kept nowhere; the same person starts
// afresh with a new key.
func TestForgetPatient(t *testing.T) {
	e := newEnv(t)
	e.sealUnit(unitA)
	id, child := e.liveRun(unitA)
	other, err := e.store.Submit(e.ctx, unitA, Submission{PatientPNR: otherPNR, PatientName: "Annan Person",
		FormID: string(casetype.AdviceNurse), Fields: []wire.Field{{Name: "question", Value: "Annat"}}, Text: "Annan patients text"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RequestBooking(e.ctx, unitA, adultPNR, wire.BookingBook, "t3", ""); err != nil {
		t.Fatal(err)
	}
	owner := e.store.pnrKey(adultPNR)
	ring, err := os.ReadFile(e.path + ".keyring")
	if err != nil || !bytes.Contains(ring, []byte(owner)) {
		t.Fatalf("the key ring does not name the adult's key before (%v): the check proves nothing", err)
	}

	n, err := e.store.ForgetPatient(e.ctx, adultPNR)
	if err != nil || n != 3 {
		t.Fatalf("forget: %d cases, %v; want 3 (own, the unit's, the child's as guardian)", n, err)
	}
	e.reopen()

	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 0 {
		t.Errorf("the forgotten patient's list: %+v, %v", list, err)
	}
	for _, c := range []string{id, initiatedID, child} {
		if _, err := e.store.PatientCase(e.ctx, adultPNR, c); !errors.Is(err, ErrNotFound) {
			t.Errorf("case %s of the forgotten patient: %v, want not found", c, err)
		}
	}
	if r, err := e.store.ReminderChoice(e.ctx, adultPNR); err != nil || r != nil {
		t.Errorf("the reminder choice after forgetting: %+v, %v", r, err)
	}
	if bk, err := e.store.PatientBookings(e.ctx, unitA, adultPNR); err != nil || len(bk) != 0 {
		t.Errorf("the bookings after forgetting: %+v, %v", bk, err)
	}
	if bk, err := e.store.CanceledBookings(e.ctx, unitA, adultPNR); err != nil || len(bk) != 0 {
		t.Errorf("the cancelled bookings after forgetting: %+v, %v", bk, err)
	}
	if bk, err := e.store.PatientBookings(e.ctx, unitA, childPNR); err != nil || len(bk) != 1 || bk[0].Time.ID != "t3" {
		t.Errorf("the child's own booking after the guardian was forgotten: %+v, %v", bk, err)
	}
	if pc, err := e.store.PatientCase(e.ctx, otherPNR, other); err != nil || pc.Text != "Annan patients text" {
		t.Errorf("another patient's case: %+v, %v", pc, err)
	}
	if pc, err := e.store.PatientCase(e.ctx, childPNR, child); err != nil || pc.Fields[0].Value != restChildField {
		t.Errorf("the child's case, by the child: %+v, %v", pc, err)
	}
	// The file itself: nothing under the adult's keyed hash in the index,
	// and every case record the adult owned does not open.
	err = e.store.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte(bucketPatients)).Cursor()
		for k, _ := c.Seek([]byte(owner)); k != nil && bytes.HasPrefix(k, []byte(owner)); k, _ = c.Next() {
			t.Errorf("the patient index still holds %s", k)
		}
		for _, cid := range []string{id, initiatedID} {
			cr, err := e.store.getCase(tx, cid)
			if err != nil || cr == nil || !cr.forgotten || cr.Text != "" || len(cr.Messages) != 0 || cr.Owner != owner {
				t.Errorf("case %s opens after forgetting: %+v, %v", cid, cr, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ring, _ := os.ReadFile(e.path + ".keyring"); bytes.Contains(ring, []byte(owner)) || !bytes.Contains(ring, []byte(e.store.pnrKey(otherPNR))) {
		t.Errorf("the key ring after forgetting:\n%s", ring)
	}
	// The request still pending is gone: the gateway is never asked.
	if got := e.gatewayDecides(unitA, func(r wire.BookingRequest) wire.BookingDecision {
		return wire.BookingDecision{Request: r.ID, Outcome: wire.BookingConfirmed}
	}); len(got) != 0 {
		t.Errorf("the gateway was served a forgotten patient's requests: %+v", got)
	}
	// The unit answers the forgotten case: accepted, nothing kept, no notice.
	before := len(e.notifier.Notices())
	if res := e.outbox(unitA, answer("late", id, "Sent svar")); res.Results[0].Status != wire.ItemAccepted {
		t.Errorf("an answer to a forgotten case: %+v", res.Results[0])
	}
	if len(e.notifier.Notices()) != before {
		t.Error("a forgotten patient was notified")
	}
	// The same person comes back: a new key, a new list.
	again := e.submit(unitA, "Ny början")
	if list, err := e.store.PatientCases(e.ctx, adultPNR); err != nil || len(list) != 1 || list[0].ID != again {
		t.Errorf("after coming back: %+v, %v", list, err)
	}
	if _, err := e.store.PatientCase(e.ctx, adultPNR, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("the old case opens under the new key: %v", err)
	}
	if got := e.fileHas(restCanaries()...); len(got) != 0 {
		t.Errorf("the store's file holds %q", got)
	}
}
