package localui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"clinicgw/cardauth"
	"clinicgw/sync/wire"
)

// memContact is a ContactStore in memory; the agent's keeper is tested
// with the real store and central store (TestBrowserContactDetails).
type memContact struct {
	c     wire.UnitContact
	saves int
}

func (m *memContact) Contact(context.Context) (wire.UnitContact, error) { return m.c, nil }
func (m *memContact) PublishContact(_ context.Context, c wire.UnitContact) error {
	if err := c.Validate(); err != nil {
		return err
	}
	m.c, m.saves = c, m.saves+1
	return nil
}
func (m *memContact) ContactDelivery() ContactDelivery { return ContactDelivery{Online: true} }

// The contact page's rules, field by field, in Swedish: each bad value is
// refused at its field with its message (400) and nothing is saved; a good
// one is saved; only a unit administrator may save.
func TestContactPageRules(t *testing.T) {
	store := &memContact{}
	s, err := New(Config{Origin: "https://gw.example:8443", Bridge: "http://127.0.0.1:24727", Unit: "SE2321000016-15ZM",
		Cases: stubCases{}, Login: stubLogin{}, Directory: stubDirectory{}, Settings: stubSettings{}, Contact: store})
	if err != nil {
		t.Fatal(err)
	}
	post := func(roles []string, v url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/admin/contact", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, cardauth.Session{ID: "s1",
			Staff: cardauth.Staff{HSAID: "SE2321000016-ADM1", Name: "Eva", Roles: roles}}))
		w := httptest.NewRecorder()
		s.saveContact(w, r)
		return w
	}
	good := url.Values{"address": {"Storgatan 1\r\n123 45 Småstad"}, "phone": {"08-123 456 78"}, "hoursSv": {"Mån–fre 8–17"},
		"website": {"https://www.example.se"}, "textSv": {"Ring vid akuta besvär."}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for kk, vv := range good {
			out[kk] = vv
		}
		out.Set(k, v)
		return out
	}
	for _, tc := range []struct {
		name, field, want string
		v                 url.Values
	}{
		{"phone in words", "phone", "Telefonnumret ska ha 7–15 siffror", with("phone", "ring oss")},
		{"phone too short", "phone", "Telefonnumret ska ha 7–15 siffror", with("phone", "123 45")},
		{"http website", "website", "Webbadressen ska börja med https://", with("website", "http://www.example.se")},
		{"script website", "website", "Webbadressen ska börja med https://", with("website", "javascript:alert(1)")},
		{"address too long", "address", "högst 300 tecken", with("address", strings.Repeat("å", 301))},
		{"hours too long", "hoursEn", "högst 500 tecken", with("hoursEn", strings.Repeat("x", 501))},
		{"text too long", "textSv", "Texten är för lång: högst 1", with("textSv", strings.Repeat("x", 1001))},
		{"control character", "textSv", "tecken som inte kan visas", with("textSv", "Ring\x07 oss")},
		{"bidi-free line separator", "address", "tecken som inte kan visas", with("address", "Storgatan\u2028 1")},
		{"English only", "hoursSv", "Skriv den svenska texten också", with("hoursSv", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.v
			if tc.name == "English only" {
				v.Set("hoursEn", "Mon–Fri")
			}
			w := post([]string{"unit-admin"}, v)
			body := w.Body.String()
			if w.Code != http.StatusBadRequest || !strings.Contains(body, `id="`+tc.field+`-error"`) || !strings.Contains(body, tc.want) ||
				!strings.Contains(body, `id="`+tc.field+`" `) {
				t.Errorf("%d; want 400 with %q at %s:\n%.3000s", w.Code, tc.want, tc.field, body)
			}
			if !strings.Contains(body, "Uppgifterna sparades inte.") {
				t.Error("no summary")
			}
			if store.saves != 0 {
				t.Fatalf("bad input saved: %+v", store.c)
			}
		})
	}
	if w := post([]string{"clinician"}, good); w.Code != http.StatusForbidden || store.saves != 0 {
		t.Fatalf("a clinician: %d, saves %d", w.Code, store.saves)
	}
	if w := post([]string{"unit-admin"}, good); w.Code != http.StatusSeeOther || store.saves != 1 ||
		store.c.Address != "Storgatan 1\n123 45 Småstad" || store.c.Phone != "08-123 456 78" {
		t.Fatalf("good input: %d, %+v", w.Code, store.c)
	}
}
