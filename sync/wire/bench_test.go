package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// fullPage is a page of MaxInboxLimit new cases like the canonical one.
func fullPage() []byte {
	var p InboxPage
	for i := 1; i <= MaxInboxLimit; i++ {
		p.Events = append(p.Events, Event{Seq: uint64(i), ID: fmt.Sprint("ev-", i), Kind: EventCaseCreated, CaseID: caseID1, At: t0, Case: canonicalNewCase()})
	}
	p.Cursor = MaxInboxLimit
	b, err := Marshal(p)
	if err != nil {
		panic(err)
	}
	return b
}

// BenchmarkDecodeInboxPage measures the strict decoder on a full page;
// BenchmarkUnmarshalInboxPage is plain encoding/json on the same bytes,
// for comparison.
func BenchmarkDecodeInboxPage(b *testing.B) {
	in := fullPage()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := DecodeInboxPage(bytes.NewReader(in)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxInboxLimit)/1000, "µs/event")
}

func BenchmarkUnmarshalInboxPage(b *testing.B) {
	in := fullPage()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var p InboxPage
		if err := json.Unmarshal(in, &p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxInboxLimit)/1000, "µs/event")
}
