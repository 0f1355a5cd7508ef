package hsaid

import (
	"errors"
	"fmt"
	"regexp"
)

// MaxLen is the longest HSA-ID, all of it.
const MaxLen = 31

// ErrMalformed is wrapped by every error Check returns.
var ErrMalformed = errors.New("not an HSA-ID")

// Check returns nil if s is an HSA-ID, else an error wrapping ErrMalformed
// that says what is wrong (without repeating s, which may hold anything).
func Check(s string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrMalformed, why) }
	if len(s) > MaxLen {
		return bad(fmt.Sprintf("it is %d characters long; an HSA-ID has at most %d", len(s), MaxLen))
	}
	if len(s) < 2 || s[:2] != "SE" {
		return bad(`it does not start with the country code "SE"`)
	}
	rest := s[2:]
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if !(digits == 10 || digits == 12 && rest[:2] == "16") {
		return bad(`"SE" must be followed by the 10-digit organisation number (or 16 and the 10 digits), then "-"`)
	}
	rest = rest[digits:]
	if rest == "" || rest[0] != '-' {
		return bad(`the organisation number must be followed by "-"`)
	}
	rest = rest[1:]
	if rest == "" {
		return bad(`nothing follows the "-"; at least one letter or digit must`)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return bad(`after the "-" only the letters A–Z, a–z and the digits 0–9 are allowed`)
		}
	}
	return nil
}

// Valid reports whether s is an HSA-ID (see Check).
func Valid(s string) bool { return Check(s) == nil }

// inText finds something shaped like an HSA-ID anywhere in a text, in
// either case: "SE", 10 digits or 16 and 10, "-", a letter or digit.
var inText = regexp.MustCompile(`(?i)SE(16)?[0-9]{10}-[A-Z0-9]`)

// Contains reports whether the text s holds something shaped like an
// HSA-ID, in upper or lower case: a staff member's identifier, which a
// title or a subject a patient reads must never carry.
func Contains(s string) bool { return inText.MatchString(s) }
