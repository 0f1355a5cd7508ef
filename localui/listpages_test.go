package localui_test

import (
	"context"
	"html"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

var (
	rowIDs   = regexp.MustCompile(`<tr id="case-([0-9a-z]+)"`)
	pageLink = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">([^<]+)</a>`)
)

// listPage is what one list page shows: its rows' case ids in order and
// its links to the pages before and after it.
type listPage struct {
	ids        []cases.ID
	prev, next string
	nav        bool
}

func readList(t *testing.T, b *browser, path string) listPage {
	t.Helper()
	resp, body := b.getBody(path)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	var p listPage
	for _, m := range rowIDs.FindAllStringSubmatch(body, -1) {
		p.ids = append(p.ids, cases.ID(m[1]))
	}
	p.nav = strings.Contains(body, `<nav class="pages" aria-label="Sidor i listan">`)
	for _, m := range pageLink.FindAllStringSubmatch(body, -1) {
		href := html.UnescapeString(m[1])
		switch {
		case m[2] == "prev" && m[3] == "Föregående sida":
			p.prev = href
		case m[2] == "next" && m[3] == "Nästa sida":
			p.next = href
		default:
			t.Errorf("GET %s: page link %q", path, m[0])
		}
	}
	return p
}

// TestListPagesDoneNewestFirst: the inbox's done view shows the newest
// answered case first, 200 to a page, with links (in a labelled nav) to
// the next page and back; the links carry the filter and a case id, and
// "my cases" lists a clinician's open cases, not their answered ones.
func TestListPagesDoneNewestFirst(t *testing.T) {
	c := startClinic(t)
	ctx := context.Background()
	svc := c.gw.Cases()
	distA := cases.Actor{Kind: cases.Staff, HSAID: hsaDist, Roles: []cases.Role{cases.Distributor}}
	clinA := cases.Actor{Kind: cases.Staff, HSAID: hsaClinA, Roles: []cases.Role{cases.Clinician}}
	const answered = 203
	var done []cases.ID // oldest first
	for range answered {
		c.clock.Advance(time.Second) // ids sort by time of arrival
		cs := c.receive(casetype.AdviceNurse, "Jag har ont i halsen.")
		if _, err := svc.Do(ctx, distA, cs.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA, Version: cs.Version}); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Do(ctx, clinA, cs.ID, cases.Command{Action: cases.SendAnswer, Text: "Drick varmt.", Version: cs.Version + 1}); err != nil {
			t.Fatal(err)
		}
		done = append(done, cs.ID)
	}
	var open []cases.ID
	for range 2 {
		c.clock.Advance(time.Second)
		cs := c.receive(casetype.AdviceNurse, "Jag har feber.")
		if _, err := svc.Do(ctx, distA, cs.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA, Version: cs.Version}); err != nil {
			t.Fatal(err)
		}
		open = append(open, cs.ID)
	}
	newest := slices.Clone(done)
	slices.Reverse(newest)

	dist := c.login(hsaDist)
	first := readList(t, dist, "/inbox?view=done")
	if !slices.Equal(first.ids, newest[:200]) {
		t.Fatalf("the done view's first page: %d rows starting %v, want 200 starting with the newest, %v", len(first.ids), first.ids[:min(2, len(first.ids))], newest[:2])
	}
	if !first.nav || first.prev != "" || first.next != "/inbox?sort=newest&view=done&after="+string(newest[199]) {
		t.Errorf("the first page's links: nav %v, prev %q, next %q", first.nav, first.prev, first.next)
	}
	second := readList(t, dist, first.next)
	if !slices.Equal(second.ids, newest[200:]) || second.next != "" || second.prev == "" {
		t.Errorf("the second page: %v (prev %q, next %q), want %v and a way back only", second.ids, second.prev, second.next, newest[200:])
	}
	if back := readList(t, dist, second.prev); !slices.Equal(back.ids, newest[:200]) || back.prev != "" || back.next == "" {
		t.Errorf("back from the second page: %d rows (prev %q, next %q), want the first page", len(back.ids), back.prev, back.next)
	}
	// The live refresh of a page keeps the page.
	if rows := readList(t, dist, first.next+"&part=rows"); !slices.Equal(rows.ids, newest[200:]) {
		t.Errorf("the second page's rows fragment: %v", rows.ids)
	}
	// A malformed cursor is the first page, not an error.
	if p := readList(t, dist, "/inbox?view=done&after=%3Cx%3E"); !slices.Equal(p.ids, newest[:200]) {
		t.Errorf("a malformed cursor: %d rows", len(p.ids))
	}

	mine := readList(t, c.login(hsaClinA), "/mine")
	if !slices.Equal(mine.ids, open) || mine.nav {
		t.Errorf("my cases: %v (nav %v), want the open ones %v and no page links", mine.ids, mine.nav, open)
	}
	minedone := readList(t, c.login(hsaClinA), "/mine?view=done")
	if len(minedone.ids) != 200 || minedone.ids[0] != newest[0] || minedone.next != "/mine?sort=newest&view=done&after="+string(newest[199]) {
		t.Errorf("my done cases: %d, first %v, next %q", len(minedone.ids), minedone.ids[:min(1, len(minedone.ids))], minedone.next)
	}
}
