package localui

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// inboxRowsPage is an inbox page of n rows as list renders it: received
// cases, open, each with the buttons a distributor gets.
func inboxRowsPage(t testing.TB, n int) page {
	t.Helper()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	d := listData{Inbox: true, View: "open", More: "next"}
	for i := range n {
		c := &cases.Case{ID: cases.ID(fmt.Sprintf("c%023d", i)), Type: casetype.All[i%len(casetype.All)],
			Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1950+i%50, 1, 1, 0, 0, 0, 0, time.UTC), 980+i%20),
				Name: fmt.Sprintf("Patient Nummer %d", i)},
			Status: cases.Received, ReceivedAt: now, DueAt: now.Add(48 * time.Hour), Version: 1,
			History: []cases.Event{{Action: cases.Receive, At: now}}}
		d.Rows = append(d.Rows, row{C: c, IsNew: true})
	}
	return page{L: lang{Code: "sv"}, Title: "Inkorg", Data: d}
}

// varietyPage is a list page of rows of every kind a row shows: each
// status, with and without a guardian, overdue, new, an assignee on
// leave, and text to escape, in language code, on the inbox or my cases.
func varietyPage(t testing.TB, code string, inbox bool) page {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	p := inboxRowsPage(t, 12)
	p.L = lang{Code: code}
	d := p.Data.(listData)
	d.Inbox = inbox
	sts := []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered, cases.WaitingForPatient, cases.Answered, cases.Closed, cases.Withdrawn}
	for i := range d.Rows {
		c := *d.Rows[i].C
		c.Status = sts[i%len(sts)]
		if i%3 == 0 {
			c.Guardian = &cases.Person{Name: "Förälder <b>&\"x"}
		}
		c.Patient.Name = "Namn \"<script>\" ' &amp;"
		c.Assignee = "SE2321000016-X&Y"
		d.Rows[i].C = &c
		d.Rows[i].Overdue = i%2 == 0
		d.Rows[i].IsNew = i%4 == 0
		d.Rows[i].AssigneeName = "Dr <i>Who</i>"
		if i%5 == 0 {
			d.Rows[i].Leave = Member{OnLeave: true, LeaveUntil: now}
		}
	}
	d.Changed = d.Rows[2:5]
	p.Data = d
	return p
}

// renderVariety renders the rows and the rows delta of varietyPage in
// each language, on the inbox and on my cases, rows kept in s.rows.
func renderVariety(t testing.TB, s *Server) string {
	var out bytes.Buffer
	for _, code := range []string{"sv", "en"} {
		for _, inbox := range []bool{true, false} {
			p := varietyPage(t, code, inbox)
			d := p.Data.(listData)
			if err := s.rowsHTML(d.Rows, p.L, inbox); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "== %s inbox=%v\n", code, inbox)
			for _, block := range []string{"rows", "rowsdelta"} {
				if err := s.pages["list"].ExecuteTemplate(&out, block, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return out.String()
}

// TestListRowsGolden: the rows, rendered anew or kept, are what the list
// showed before rows were kept (testdata/listrows.golden, written by the
// template of 825b21f, which rendered every row in the page's template).
func TestListRowsGolden(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/listrows.golden")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{pages: pages}
	for _, run := range []string{"rendered", "kept"} {
		if got := renderVariety(t, s); got != string(want) {
			os.WriteFile(filepath.Join(t.TempDir(), "got.html"), []byte(got), 0o644)
			t.Errorf("%s rows differ from testdata/listrows.golden:\n%s", run, got)
		}
	}
	if s.rows.renders != 2*2*12 {
		t.Errorf("%d rows rendered for 2 × 2 × 12 distinct rows shown twice", s.rows.renders)
	}
}

// BenchmarkListRows renders the inbox's 200 rows, the block every page
// load and every live refresh of the whole list renders: "cold" each row
// anew, "kept" as a refresh finds them unchanged (rowcache.go).
func BenchmarkListRows(b *testing.B) {
	pages, err := parsePages()
	if err != nil {
		b.Fatal(err)
	}
	for _, kept := range []bool{false, true} {
		name := "cold"
		if kept {
			name = "kept"
		}
		b.Run(name, func(b *testing.B) {
			p := inboxRowsPage(b, listLimit)
			d := p.Data.(listData)
			s := &Server{pages: pages}
			var buf bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				if !kept {
					s.rows = rowCache{}
				}
				if err := s.rowsHTML(d.Rows, p.L, true); err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				if err := pages["list"].ExecuteTemplate(&buf, "rows", p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes")
		})
	}
}
