package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
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

// BenchmarkDecodeRealisticPage: a full chained page (MaxInboxLimit new
// cases of about 2 KiB of Swedish text, distinct patients, the default
// forms' fields) as the uplink pulls it from a backlog, decoded
//
//   - strict: DecodeChainedPage, what the gateway runs (the encoding
//     checks, encoding/json, the walk, Validate);
//   - unmarshal: plain encoding/json, no checks, for comparison;
//   - validate: Validate alone on the decoded page.
func BenchmarkDecodeRealisticPage(b *testing.B) {
	in := realisticChainedPage(1)
	// perEvent reports the time and the process's CPU time per event,
	// from cpu0, the CPU time when the benchmark began.
	perEvent := func(b *testing.B, cpu0 time.Duration) {
		events := float64(b.N * MaxInboxLimit)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events/1000, "µs/event")
		b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/events/1000, "cpu-µs/event")
	}
	b.Run("strict", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		cpu0 := processCPU(b)
		for b.Loop() {
			if _, err := DecodeChainedPage(bytes.NewReader(in)); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b, cpu0)
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		cpu0 := processCPU(b)
		for b.Loop() {
			var p ChainedPage
			if err := json.Unmarshal(in, &p); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b, cpu0)
	})
	b.Run("validate", func(b *testing.B) {
		p, err := DecodeChainedPage(bytes.NewReader(in))
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(in)))
		cpu0 := processCPU(b)
		for b.Loop() {
			if err := p.Validate(); err != nil {
				b.Fatal(err)
			}
		}
		perEvent(b, cpu0)
	})
}
