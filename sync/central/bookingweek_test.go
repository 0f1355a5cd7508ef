package central

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// TestBookingPagesByWeek: the free-times page shows one week of the
// type's times, from the first free day or from ?vecka=; "Senare tider"
// leads to the next week that has a free time (an empty week skipped),
// "Tidigare tider" back a week; a vecka that is no date shows the first
// week.
func TestBookingPagesByWeek(t *testing.T) {
	e := newEnv(t)
	at := func(day, h int) time.Time { return time.Date(2026, 3, day, h-1, 0, 0, 0, time.UTC) }
	bt := wire.BookingTimes{Times: []wire.BookingTime{}}
	for i, s := range []time.Time{at(5, 9), at(11, 9), at(20, 9), at(26, 10)} {
		bt.Times = append(bt.Times, wire.BookingTime{ID: "w" + string(rune('1'+i)), Start: s, Minutes: 30, TypeID: "besok-30", Type: "Besök"})
	}
	body, _ := wire.Marshal(bt)
	if st, _, out := e.do(e.api, unitA, http.MethodPut, wire.PathBookingTimes2, wire.ContentTypeJSON, body); st != http.StatusNoContent {
		t.Fatalf("publish: %d %s", st, out)
	}
	b := e.browser()
	b.login(adultPNR, adultName)
	tests := []struct {
		query          string
		shown, hidden  []string
		earlier, later string
	}{
		{"", []string{"/tid/w1", "/tid/w2"}, []string{"/tid/w3", "/tid/w4"}, "", "2026-03-20"},
		{"&vecka=2026-03-20", []string{"/tid/w3", "/tid/w4"}, []string{"/tid/w1", "/tid/w2"}, "2026-03-13", ""},
		{"&vecka=2026-03-13", nil, []string{"/tid/w1", "/tid/w2", "/tid/w3", "/tid/w4"}, "2026-03-06", "2026-03-20"},
		{"&vecka=igår", []string{"/tid/w1", "/tid/w2"}, []string{"/tid/w3"}, "", "2026-03-20"},
	}
	for _, tt := range tests {
		p := b.get("/boka/" + unitA + "?typ=besok-30" + tt.query)
		if p.status != http.StatusOK {
			t.Fatalf("%q: %d", tt.query, p.status)
		}
		for _, s := range tt.shown {
			if !strings.Contains(p.body, s) {
				t.Errorf("%q: the page lacks %s", tt.query, s)
			}
		}
		for _, s := range tt.hidden {
			if strings.Contains(p.body, s) {
				t.Errorf("%q: the page shows %s, of another week", tt.query, s)
			}
		}
		for word, week := range map[string]string{"Tidigare tider": tt.earlier, "Senare tider": tt.later} {
			link := "typ=besok-30&amp;vecka=" + week + `">` + word
			if has := strings.Contains(p.body, link); has != (week != "") || (week == "" && strings.Contains(p.body, word)) {
				t.Errorf("%q: link %q shown %v; want %v:\n%s", tt.query, link, has, week != "", p.body)
			}
		}
	}
}
