package localui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/workday"
)

// The header badge on every page of a session: connected to the central
// service, or since when there has been no contact, in Swedish time
// (HH:MM; the date too when it was not today), and how many answers
// wait — read on the fake clock, in Swedish and English. No badge without
// a session or without a central store.
func TestSyncBadge(t *testing.T) {
	sthlm := workday.Stockholm()
	clock := clocktest.New(time.Date(2026, 3, 2, 10, 0, 0, 0, sthlm)) // winter: UTC+1
	var st SyncState
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: "SE2321000016-15ZM",
		Cases: stubCases{}, Login: stubLogin{}, Directory: stubDirectory{}, Settings: stubSettings{},
		Sync: func() SyncState { return st }, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	page := func(session bool, lang string) string {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: langCookie, Value: lang})
		if session {
			r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, cardauth.Session{ID: "s1"}))
		}
		w := httptest.NewRecorder()
		s.render(w, r, http.StatusOK, "error", page{Title: "err.generic"})
		return w.Body.String()
	}
	badgeText := func(body string) (string, bool) {
		_, rest, ok := strings.Cut(body, `id="sync-badge"`)
		if !ok {
			return "", false
		}
		_, rest, _ = strings.Cut(rest, ">")
		text, _, _ := strings.Cut(rest, "</p>")
		return text, true
	}
	for _, tc := range []struct {
		name    string
		st      SyncState
		now     time.Time // zero: the clock's start
		session bool
		lang    string
		want    string // "" for no badge
	}{
		{"connected", SyncState{Online: true, Reached: true, LastContact: clock.Now()}, time.Time{}, true, "sv", "Ansluten till den centrala tjänsten"},
		{"connected en", SyncState{Online: true, Reached: true}, time.Time{}, true, "en", "Connected to the central service"},
		{"offline gateway", SyncState{}, time.Time{}, true, "sv", ""},
		{"no session", SyncState{Online: true}, time.Time{}, false, "sv", ""},
		{"waiting", SyncState{Online: true, LastContact: time.Date(2026, 3, 2, 9, 15, 0, 0, sthlm), Waiting: 3}, time.Time{}, true, "sv",
			"Ingen kontakt sedan 09:15 — 3 svar väntar på att skickas"},
		{"one waiting en", SyncState{Online: true, LastContact: time.Date(2026, 3, 2, 9, 15, 0, 0, sthlm), Waiting: 1}, time.Time{}, true, "en",
			"No contact since 09:15 — 1 answer waiting to be sent"},
		{"two waiting en", SyncState{Online: true, LastContact: time.Date(2026, 3, 2, 9, 15, 0, 0, sthlm), Waiting: 2}, time.Time{}, true, "en",
			"No contact since 09:15 — 2 answers waiting to be sent"},
		// 23:30 UTC on Sunday is 00:30 on Monday in Stockholm: today, and
		// in Swedish time.
		{"after midnight in Stockholm", SyncState{Online: true, LastContact: time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC), Waiting: 2}, time.Time{}, true, "sv",
			"Ingen kontakt sedan 00:30 — 2 svar väntar på att skickas"},
		{"yesterday", SyncState{Online: true, LastContact: time.Date(2026, 3, 1, 16, 45, 0, 0, sthlm)}, time.Time{}, true, "sv",
			"Ingen kontakt med den centrala tjänsten sedan 2026-03-01 16:45"},
		{"summer time", SyncState{Online: true, LastContact: time.Date(2026, 7, 1, 7, 5, 0, 0, time.UTC), Waiting: 4},
			time.Date(2026, 7, 1, 12, 0, 0, 0, sthlm), true, "sv", "Ingen kontakt sedan 09:05 — 4 svar väntar på att skickas"},
		{"never", SyncState{Online: true, Waiting: 1}, time.Time{}, true, "sv", "Ingen kontakt sedan start — ett svar väntar på att skickas"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st = tc.st
			if !tc.now.IsZero() {
				clock.Set(tc.now)
				defer clock.Set(time.Date(2026, 3, 2, 10, 0, 0, 0, sthlm))
			}
			got, shown := badgeText(page(tc.session, tc.lang))
			if shown != (tc.want != "") || got != tc.want {
				t.Errorf("badge %v %q, want %q", shown, got, tc.want)
			}
		})
	}
}
