package store

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire"
)

// TestSealCopiesWireTexts: a page of realistic new cases applied as the
// uplink applies it has its texts, answers and names copied into the
// case records from the central store's events, not quoted a second
// time by the sealing goroutine, and every record is byte for byte what
// appendCase writes of the case. A text, answer or name the encoders
// write apart (HTML characters, which the case record escapes and the
// wire does not; a value in a non-canonical form) is quoted as before.
func TestSealCopiesWireTexts(t *testing.T) {
	var quoted atomic.Int64
	quotedHook = func(n int) { quoted.Add(int64(n)) }
	defer func() { quotedHook = nil }()
	e := newJournalEnv(t)

	var events []wire.Event
	var raw [][]byte
	texts, apart := 0, 0 // the bytes of the texts, answers and names to copy, and of those quoted
	for n := range 70 {
		ev := jCase(uint64(n+1), n, backlogtest.SwedishText(n, 2048), true)
		ev.Case.Fields = append(ev.Case.Fields, wire.Field{Name: "symptoms", Label: "Symtom", Value: backlogtest.SwedishText(n+3, 300)})
		switch n {
		case 5:
			ev.Case.Text += " <b>fet</b>"
		case 6:
			ev.Case.Patient.Name = "Åsa & Öberg"
		case 7:
			ev.Case.Fields[1].Value += " 5 > 3"
		}
		b, err := wire.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		if n == 8 { // an escape the canonical encoding does not write
			b = bytes.Replace(b, []byte(`"Åsa Öberg"`), []byte(`"\u00c5sa Öberg"`), 1)
		}
		events, raw = append(events, ev), append(raw, b)
		k := len(ev.Case.Text) + len(ev.Case.Patient.Name)
		for _, f := range ev.Case.Fields {
			k += len(f.Name) + len(f.Label) + len(f.Value)
		}
		if n < 5 || n > 8 {
			texts += k
		} else {
			apart += k
		}
	}
	quoted.Store(0)
	e.apply(events, raw, nil)
	// Beside those quoted apart, a case's ids, unit, type, number,
	// status and history: a few hundred bytes.
	if q := quoted.Load(); q > int64(apart+400*len(events)) {
		t.Errorf("the sealing goroutine quoted %d bytes of strings for %d cases whose texts, answers and names are %d bytes (%d of them to quote): it encoded again what the central store's events hold encoded", q, len(events), texts+apart, apart)
	}

	// Each record is appendCase's encoding of its case.
	err := e.db.bolt.View(func(btx *bolt.Tx) error {
		for i, ev := range events {
			key := recordKey(btx, cases.ID(ev.CaseID))
			plain, err := e.db.sealer.Load().open(bucketCases, key, btx.Bucket([]byte(bucketCases)).Get(key))
			if err != nil {
				return err
			}
			c, err := get(e.db, cases.ID(ev.CaseID))
			if err != nil {
				return err
			}
			want, ok := appendCase(nil, c)
			if !ok || !bytes.Equal(plain, want) {
				return fmt.Errorf("case %d: the record is\n%s\nappendCase writes\n%s", i, plain, want)
			}
			if i == 5 && !strings.Contains(string(plain), `\u003cb\u003e`) {
				return fmt.Errorf("case %d: the record does not escape the HTML of its text", i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.checkGivenBack(e.svc)
}
