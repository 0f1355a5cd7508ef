package audit

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestCheckTextASCIIOnePass: an entry whose fields are printable ASCII,
// as nearly every entry's are (an HSA-ID, a unit, an action, a case id, a
// personnummer), is checked in one pass over each field that decodes
// nothing: Next checks every entry on the one goroutine that applies a
// sync backlog, one per case. It was two passes that decode UTF-8 per
// field (utf8.ValidString, then a range over its runes). Any other text
// takes the full check, which FuzzCheckText holds to the reference.
func TestCheckTextASCIIOnePass(t *testing.T) {
	e := Entry{Time: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC), Actor: "SE2321000016-1234", Unit: "SE2321000016-ABCD",
		Action: "receive", CaseID: "01m8r6eeb80p5hav19zd3dc3pn", Patient: "194001019894", Outcome: Allowed}
	before := runePasses.Load()
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := runePasses.Load() - before; n != 0 {
		t.Errorf("validating an entry of printable ASCII fields made %d passes that decode UTF-8; want 0", n)
	}
	e.CaseID = "ärende-1"
	before = runePasses.Load()
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if n := runePasses.Load() - before; n == 0 {
		t.Error("a field with a non-ASCII letter was not decoded")
	}
}

// checkTextRef is checkText as it was before its ASCII pass, every text
// decoded (checkRunes): the reference FuzzCheckText holds it to.
func checkTextRef(s string, required bool) string {
	switch {
	case s == "" && required:
		return "empty"
	case len(s) > MaxFieldLen:
		return fmt.Sprintf("longer than %d bytes", MaxFieldLen)
	}
	return checkRunes(s)
}

// FuzzCheckText: checkText refuses exactly what the reference refuses,
// for the same reason.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"", "SE2321000016-1234", "ärende-å", "c\x00", "c\x7f", "c\u0085", "SE\u202e1",
		"read\u2028list", "c\xff", "\x01\xff", "a\tb\xc3", strings.Repeat("x", MaxFieldLen+1), "~\x7f", " "} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, required bool) {
		if got, want := checkText(s, required), checkTextRef(s, required); got != want {
			t.Errorf("checkText(%q, %v) = %q, want %q", s, required, got, want)
		}
	})
}
