package archive

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// maxText is n characters of text with å, ä, ö.
func maxText(n int) string {
	r := []rune(strings.Repeat("Ont i halsen, feber och värk i öronen sedan i måndags. ", n/40+1))[:n]
	r[n-1] = '.'
	return string(r)
}

// An export holds a package's cases a chunk of at most exportBytes at a
// time (one case at least), not the whole batch, and the package still
// holds every case.
func TestExportHoldsChunksBoundedByBytes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 40 // about 4.4 MB of case text and answers: more than one chunk
	fields := make([]cases.Field, wire.MaxFields)
	for j := range fields {
		fields[j] = cases.Field{Name: fmt.Sprintf("q%02d", j), Label: "Fråga", Value: maxText(wire.MaxFieldValueLen)}
	}
	for i := range n {
		pnr := personnummer.Synthetic(time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 980+i%20)
		c, err := f.svc.Receive(ctx, cases.Submission{Type: casetype.All[i%len(casetype.All)],
			Patient: cases.Person{PNR: pnr, Name: fmt.Sprintf("%s-namn-%d", canary, i)},
			Text:    maxText(wire.MaxTextLen), SubmittedAt: f.clock.Now(), Fields: fields})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Do(ctx, dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClin}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Do(ctx, clin, c.ID, cases.Command{Action: cases.SendAnswer, Text: canary + "-svar", Signature: "Doris", AuthorTitle: "Läkare"}); err != nil {
			t.Fatal(err)
		}
	}
	for { // the central store confirmed every change long ago
		out, err := f.svc.PendingOutbound(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			break
		}
		keys := make([]string, len(out))
		for i, o := range out {
			keys[i] = o.Key
		}
		if err := f.svc.ConfirmOutbound(ctx, keys); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(DefaultAge + 24*time.Hour)
	a := f.archiver(t, DefaultBatch)
	chunks, total := 0, 0
	a.held = func(k, bytes int) {
		chunks++
		total += k
		if k > 1 && bytes > exportBytes {
			t.Errorf("a chunk of %d cases, %d bytes, held at once: more than %d", k, bytes, exportBytes)
		}
	}
	rep, err := a.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if total != n || rep.Cases != n {
		t.Errorf("%d cases read, %d exported, want %d", total, rep.Cases, n)
	}
	got := 0
	for _, ids := range f.packages(t) {
		got += len(ids)
	}
	if got != n {
		t.Errorf("%d cases in the packages, want %d", got, n)
	}
	t.Logf("%d chunks", chunks)
}
