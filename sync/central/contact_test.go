package central

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestContactAPIAndPages: a unit's contact details, PUT and GET over the
// API (per unit, kept over a restart, bad bodies refused with 400 and
// nothing changed), shown on the unit's forms page and on its cases; an
// empty set shows nothing.
func TestContactAPIAndPages(t *testing.T) {
	e := newEnv(t)
	get := func(unit string) wire.UnitContact {
		t.Helper()
		status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathContact2, "", nil)
		if status != http.StatusOK {
			t.Fatalf("GET contact: %d %s", status, body)
		}
		c, err := wire.DecodeUnitContact(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	put := func(unit, body string) int {
		t.Helper()
		status, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathContact2, wire.ContentTypeJSON, []byte(body))
		return status
	}
	if c := get(unitA); !c.IsZero() {
		t.Errorf("before any: %+v", c)
	}
	const good = `{"address":"Storgatan 1\n123 45 Småstad","phone":"08-123 456 78","hours":{"sv":"Mån–fre 8–17","en":"Mon–Fri 8–17"},` +
		`"website":"https://www.example.se/vc","text":{"sv":"Ring vid akuta besvär."}}`
	if s := put(unitA, good); s != http.StatusNoContent {
		t.Fatalf("PUT: %d", s)
	}
	for _, bad := range []string{
		strings.Replace(good, `"08-123 456 78"`, `"ring oss"`, 1),
		strings.Replace(good, `"https://www.example.se/vc"`, `"http://www.example.se/vc"`, 1),
		strings.Replace(good, `"https://www.example.se/vc"`, `"javascript:alert(1)"`, 1),
		strings.Replace(good, `"Ring vid akuta besvär."`, `"`+strings.Repeat("x", wire.MaxContactTextLen+1)+`"`, 1),
		strings.Replace(good, `"phone"`, `"telefon"`, 1),
		`{"address":""}`,
		strings.Repeat(" ", wire.MaxContactBytes+1),
	} {
		if s := put(unitA, bad); s != http.StatusBadRequest && s != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT %.60s: %d, want 400 or 413", bad, s)
		}
	}
	e.reopen()
	c := get(unitA)
	if c.Phone != "08-123 456 78" || c.Website != "https://www.example.se/vc" || c.Hours.EN != "Mon–Fri 8–17" {
		t.Errorf("after a restart: %+v", c)
	}
	if c := get(unitB); !c.IsZero() {
		t.Errorf("another unit sees %+v", c)
	}

	b := e.browser()
	b.login(adultPNR, adultName)
	id := e.submit(unitA, "Fråga")
	for _, path := range []string{"/skriv/" + unitA, "/arenden/" + id} {
		p := b.get(path)
		for _, want := range []string{"Andra sätt att kontakta vårdenheten", "Storgatan 1\n123 45 Småstad", "08-123 456 78", "Mån–fre 8–17",
			`<a href="https://www.example.se/vc" rel="noopener noreferrer">`, "Ring vid akuta besvär."} {
			if !strings.Contains(p.body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	if p := b.get("/skriv/" + unitB); strings.Contains(p.body, "Andra sätt att kontakta vårdenheten") {
		t.Error("a unit without contact details shows the section")
	}
	if s := put(unitA, `{"address":"","phone":"","hours":{"sv":""},"website":"","text":{"sv":""}}`); s != http.StatusNoContent {
		t.Fatalf("PUT empty: %d", s)
	}
	if p := b.get("/skriv/" + unitA); strings.Contains(p.body, "Andra sätt att kontakta vårdenheten") {
		t.Error("emptied contact details still shown")
	}
}
