package localui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth"
)

// stubs satisfy the interfaces New requires; the page rendered here calls
// none of them.
type (
	stubCases     struct{ Cases }
	stubLogin     struct{ loginIface }
	stubDirectory struct{ Directory }
	stubSettings  struct{ Settings }
)

// loginIface names Login so that a stub can embed it (its method Login
// would clash with a field named Login).
type loginIface = Login

// The sync banner: on every page of a session, in Swedish (and English),
// while the central store's chain is broken and after a reconciliation
// that could not give everything back; never on a page without a session,
// never while the sync is in order.
func TestSyncBanner(t *testing.T) {
	var st SyncState
	since := time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: "SE2321000016-15ZM",
		Cases: stubCases{}, Login: stubLogin{}, Directory: stubDirectory{}, Settings: stubSettings{},
		Sync: func() SyncState { return st }})
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
	for _, tc := range []struct {
		st      SyncState
		session bool
		want    string // "" for no banner
	}{
		{SyncState{}, true, ""},
		{SyncState{Broken: "behind", Since: since}, false, ""},
		{SyncState{Broken: "behind", Since: since}, true, "Centrallagret har gått tillbaka i tiden"},
		{SyncState{Broken: "diverged", Since: since}, true, "Synkroniseringen med centrallagret står still sedan"},
		{SyncState{Incomplete: true}, true, "kunde inte lämna tillbaka allt"},
	} {
		st = tc.st
		body := page(tc.session, "sv")
		if has := strings.Contains(body, `id="sync-state"`); has != (tc.want != "") || (tc.want != "" && !strings.Contains(body, tc.want)) {
			t.Errorf("%+v (session %v): banner %v, want %q", tc.st, tc.session, has, tc.want)
		}
	}
	st = SyncState{Broken: "diverged", Since: since}
	if body := page(true, "en"); !strings.Contains(body, "The central store went back in time") {
		t.Error("no English banner")
	}
}
