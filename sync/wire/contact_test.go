package wire

import (
	"strings"
	"testing"
)

// The rules of a unit's contact details: the phone number, the website,
// and each text by the text rule within its length.
func TestCheckPhone(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"08-123 456 78", true},
		{"+46 8 123 456 78", true},
		{"0771-11 22 33", true},
		{"010-1234567", true},
		{"1234567", true},
		{"123456", false},           // six digits
		{"1234567890123456", false}, // sixteen digits
		{"", false},
		{"08--123 456", false},   // two separators
		{"08 -123 456", false},   // two separators
		{" 08-123 456", false},   // a separator first
		{"08-123 456 ", false},   // a separator last
		{"08-123+456 78", false}, // + not first
		{"++46 8 123 45", false},
		{"08/123 456 78", false},
		{"08-123 456 78 ext", false},
		{"０８-123 456 78", false}, // full-width digits
		{"08-123\u00a0456 78", false},
		{"+46 (0)8 123 456", false},
		{strings.Repeat("1 ", 10) + "1", false}, // 21 characters
	} {
		if err := CheckPhone(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckPhone(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestCheckWebsite(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"https://www.1177.se/", true},
		{"https://vardcentralen.example.se/kontakt?x=1", true},
		{"https://xn--smstad-bua.se", true},
		{"http://www.example.se", false},
		{"javascript:alert(1)", false},
		{"https:///path", false},
		{"https://user@www.example.se", false},
		{"https://www.example.se/#top", false},
		{"//www.example.se", false},
		{"www.example.se", false},
		{"https://www.exämple.se", false},
		{"https://www.example.se/a b", false},
		{"https://www.example.se/\n", false},
		{"", false},
		{"https://" + strings.Repeat("a", 300) + ".se", false},
		{"HTTPS://www.example.se", false}, // url.Parse lowers the scheme, but the rule is the written form
	} {
		if err := CheckWebsite(tc.in); (err == nil) != tc.ok {
			t.Errorf("CheckWebsite(%q) = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestUnitContactValidate(t *testing.T) {
	good := canonicalUnitContact()
	for _, tc := range []struct {
		name string
		mod  func(*UnitContact)
		ok   bool
	}{
		{"canonical", func(*UnitContact) {}, true},
		{"empty", func(c *UnitContact) { *c = UnitContact{} }, true},
		{"address too long", func(c *UnitContact) { c.Address = strings.Repeat("å", MaxContactAddressLen+1) }, false},
		{"address at its limit", func(c *UnitContact) { c.Address = strings.Repeat("å", MaxContactAddressLen) }, true},
		{"address with a control character", func(c *UnitContact) { c.Address = "Storgatan\x001" }, false},
		{"bad phone", func(c *UnitContact) { c.Phone = "ring oss" }, false},
		{"http website", func(c *UnitContact) { c.Website = "http://www.example.se" }, false},
		{"hours too long", func(c *UnitContact) { c.Hours.EN = strings.Repeat("x", MaxContactHoursLen+1) }, false},
		{"English hours without Swedish", func(c *UnitContact) { c.Hours = Text{EN: "Mon–Fri"} }, false},
		{"text too long", func(c *UnitContact) { c.Text.SV = strings.Repeat("x", MaxContactTextLen+1) }, false},
		{"text with a line separator", func(c *UnitContact) { c.Text.SV = "a\u2028b" }, false},
		{"text not UTF-8", func(c *UnitContact) { c.Text.SV = "a\xffb" }, false},
	} {
		c := good
		tc.mod(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
