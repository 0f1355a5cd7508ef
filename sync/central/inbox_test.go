package central

import (
	"net/http"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
)

// bigEvent is a valid case.created event of about 100 KB.
func bigEvent(i int) wire.Event {
	fields := make([]wire.Field, wire.MaxFields)
	for j := range fields {
		fields[j] = wire.Field{Name: "f" + string(rune('a'+j%26)) + string(rune('a'+j/26)), Label: "Fråga", Value: strings.Repeat("å", wire.MaxFieldValueLen)}
	}
	return wire.Event{
		ID: "big-" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Kind: wire.EventCaseCreated,
		CaseID: "01jq0000000000000000000000", At: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		Case: &wire.NewCase{Type: "advice-nurse", Patient: wire.Person{PNR: adultPNR, Name: adultName}, Fields: fields},
	}
}

// Pages are cut by bytes as well as by count, each within MaxBodyBytes, and
// every page is canonical (env.inbox checks that).
func TestInboxPagesCutBySize(t *testing.T) {
	e := newEnv(t)
	const n = 45 // about 9 MB of events: two pages
	err := e.store.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			ev := bigEvent(i)
			if err := e.store.appendEvent(tx, unitA, &ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, pages := 0, 0
	for cursor := uint64(0); ; pages++ {
		page := e.inbox(unitA, cursor, wire.MaxInboxLimit)
		got += len(page.Events)
		cursor = page.Cursor
		if !page.More {
			break
		}
	}
	if got != n || pages < 1 {
		t.Errorf("%d events in %d pages, want %d in more than one", got, pages+1, n)
	}
}

// A stored record that is not the event of its sequence number is never
// served.
func TestInboxRefusesDamagedEvent(t *testing.T) {
	e := newEnv(t)
	e.submit(unitA, "Ett ärende.")
	e.submit(unitA, "Ett till.")
	err := e.store.db.Update(func(tx *bolt.Tx) error {
		b := unitBucket(tx, unitA).Bucket([]byte(bucketEvents))
		v := append([]byte(nil), b.Get(seqKey(1))...)
		return b.Put(seqKey(2), v) // event 1's record under key 2
	})
	if err != nil {
		t.Fatal(err)
	}
	status, ct, _ := e.do(e.api, unitA, http.MethodGet, wire.PathInbox+"?after=0&limit=10", "", nil)
	if status != http.StatusInternalServerError || ct != wire.ContentTypeProblem {
		t.Errorf("damaged event: %d %s, want 500 problem", status, ct)
	}
	if page := e.inbox(unitA, 0, 1); len(page.Events) != 1 {
		t.Errorf("the page before the damaged event: %d events", len(page.Events))
	}
}
