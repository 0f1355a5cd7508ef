package wire

import (
	"errors"
	"io"
	"net/url"
	"strings"
)

// A care unit shows its patients how to reach it other than by message:
// where to visit, whom to call, when it is open, its website and a short
// text (regions require every unit to show current contact details). The
// gateway publishes them with PUT PathContact2 together with the unit's
// forms: at once when the unit administrator changes them and again after
// every (re)connect of the stream. The central store shows them on the
// unit's patient pages. A PUT replaces what the central store had; GET
// answers the details it holds (all members empty: none published).
//
// The endpoint is new in v2, beside the form set rather than inside it: a
// central store of the release before answers it 404 (not-found), and
// the gateway then leaves the details unpublished and keeps publishing
// the forms as before; a new member of FormSet would have made such a
// store refuse the forms themselves (every decoder refuses unknown
// members).

// PathContact2 is the unit's contact details: PUT UnitContact → 204, GET →
// 200 UnitContact.
const PathContact2 = "/" + Version2 + "/contact"

// Limits of UnitContact, in characters.
const (
	MaxContactAddressLen = 300  // the visiting address (line breaks allowed)
	MaxContactPhoneLen   = 20   // the phone number as written
	MaxContactHoursLen   = 500  // the opening hours, each language (line breaks allowed)
	MaxContactWebsiteLen = 300  // the website's https URL
	MaxContactTextLen    = 1000 // the short text, each language (line breaks allowed)
	// MaxContactBytes bounds a UnitContact body: its texts at their
	// longest, each character escaped, fit.
	MaxContactBytes = 64 << 10
)

// UnitContact is a care unit's contact details for its patients. Every
// member is present in the body, and each may be empty ("", or a Text
// with an empty sv): an empty UnitContact says the unit shows none.
type UnitContact struct {
	// Address is the visiting address, e.g. "Storgatan 1\n123 45 Småstad".
	Address string `json:"address"`
	// Phone is the phone number as patients dial it (CheckPhone).
	Phone string `json:"phone"`
	// Hours are the opening hours, Swedish and optionally English.
	Hours Text `json:"hours"`
	// Website is the unit's web page: an https URL (CheckWebsite).
	Website string `json:"website"`
	// Text is a short text for patients, Swedish and optionally English.
	Text Text `json:"text"`
}

// IsZero reports whether c holds no contact details.
func (c UnitContact) IsZero() bool { return c == UnitContact{} }

// Errors of CheckPhone and CheckWebsite; the UI words them for people.
var (
	ErrPhone   = errors.New("a phone number is 7 to 15 digits, optionally starting with +, with single spaces or hyphens between digits")
	ErrWebsite = errors.New("a website is an https URL with a host, no user name and at most 300 characters")
)

// CheckPhone checks a phone number as patients dial it: at most
// MaxContactPhoneLen characters, 7 to 15 digits (E.164's length without
// the +), an optional leading +, and single spaces or hyphens only
// between digits ("08-123 456 78", "+46 8 123 456 78", "0771-11 22 33").
func CheckPhone(s string) error {
	if len(s) == 0 || len(s) > MaxContactPhoneLen {
		return ErrPhone
	}
	digits, prevSep := 0, true // a separator may not come first
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
			prevSep = false
		case c == '+' && i == 0:
		case (c == ' ' || c == '-') && !prevSep:
			prevSep = true
		default:
			return ErrPhone
		}
	}
	if prevSep || digits < 7 || digits > 15 {
		return ErrPhone
	}
	return nil
}

// CheckWebsite checks a website's address: an absolute URL written
// "https://…" with a
// host, no user information and no fragment, at most MaxContactWebsiteLen
// characters of printable ASCII (internationalised names in their
// xn-- form), so that a link on the patient pages goes where it says.
func CheckWebsite(s string) error {
	if len(s) > MaxContactWebsiteLen || !strings.HasPrefix(s, "https://") {
		return ErrWebsite
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return ErrWebsite
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Hostname() == "" || u.User != nil || u.Opaque != "" ||
		u.Fragment != "" || strings.HasPrefix(u.Host, ".") {
		return ErrWebsite
	}
	return nil
}

// Validate checks contact details: each member within its length by the
// text rule (CheckText), the phone number by CheckPhone and the website
// by CheckWebsite.
func (c UnitContact) Validate() error { return invalid(c.check()) }

func (c UnitContact) check() error {
	if err := checkMultiline("address", c.Address, MaxContactAddressLen, false); err != nil {
		return err
	}
	if c.Phone != "" && CheckPhone(c.Phone) != nil {
		return fail("phone", "must be 7 to 15 digits, optionally starting with +, with single spaces or hyphens between digits")
	}
	if err := c.Hours.check("hours", MaxContactHoursLen, false, true); err != nil {
		return err
	}
	if c.Website != "" && CheckWebsite(c.Website) != nil {
		return failf("website", "must be an https URL with a host, no user name or fragment, at most %d characters", MaxContactWebsiteLen)
	}
	return c.Text.check("text", MaxContactTextLen, false, true)
}

// DecodeUnitContact reads a UnitContact (the server, from PUT
// PathContact2; the gateway, from GET) within MaxContactBytes and validates
// it.
func DecodeUnitContact(r io.Reader) (UnitContact, error) { return decodeBody[UnitContact](r) }
