package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/jsontext"
)

// fieldError is a broken rule at a position in a body. Its text names the
// position by the schema's member names and list indexes and states the
// rule; it never contains the value.
type fieldError struct {
	path   string // e.g. "items[3].message.text"; "" for the whole value
	reason string // e.g. "is longer than 10000 characters"
}

// Error names the position and the rule.
func (e *fieldError) Error() string {
	if e.path == "" {
		return "the body " + e.reason
	}
	return e.path + " " + e.reason
}

// invalid returns the error a Validate method returns for a broken rule: a
// 400 problem whose detail is the fieldError's text.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return BadRequest("The body breaks a rule of the sync protocol: " + err.Error() + ".")
}

func fail(path, reason string) error { return &fieldError{path: path, reason: reason} }

func failf(path, format string, args ...any) error {
	return &fieldError{path: path, reason: fmt.Sprintf(format, args...)}
}

// member returns the path of a member of the object at path.
func member(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// within returns err, a broken rule found in a value checked on its own
// (at the path ""), at the path of that value, so that paths are built
// only for an error.
func within(path string, err error) error {
	fe, ok := err.(*fieldError)
	if !ok {
		return err
	}
	switch {
	case fe.path == "":
		fe.path = path
	case fe.path[0] != '[':
		fe.path = member(path, fe.path)
	default:
		fe.path = path + fe.path
	}
	return fe
}

// index returns the path of the i-th element of the list at path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// checkLine checks single-line text: valid UTF-8, at most max characters,
// no control characters (not even tab) and no Unicode line or paragraph
// separators; if required, not blank.
func checkLine(path, s string, max int, required bool) error {
	return checkString(path, s, max, required, false)
}

// checkMultiline checks text that may have line breaks: as checkLine, but
// tab, line feed and carriage return are allowed — the same rule the
// gateway's case store applies, so that nothing it accepts is refused here.
func checkMultiline(path, s string, max int, required bool) error {
	return checkString(path, s, max, required, true)
}

// multilineCheck is checkMultiline, or for ruled texts (held to the text
// rule as they were decoded: the fast page decoder's, UnquoteText) only
// its check that a required text is not blank.
func multilineCheck(ruled bool) func(path, s string, max int, required bool) error {
	if ruled {
		return checkRuled
	}
	return checkMultiline
}

// checkRuled is checkMultiline for a text known to keep the text rule.
func checkRuled(path, s string, _ int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return fail(path, "is required and must not be blank")
	}
	return nil
}

func checkString(path, s string, max int, required, multiline bool) error {
	fault := textRule(s, max, multiline)
	if fault == textNotUTF8 {
		return fail(path, "is not valid UTF-8")
	}
	if required && strings.TrimSpace(s) == "" {
		return fail(path, "is required and must not be blank")
	}
	switch fault {
	case textControl:
		if multiline {
			return fail(path, "contains a control character other than tab or a line break")
		}
		return fail(path, "contains a control character or line break")
	case textTooLong:
		return failf(path, "is longer than %d characters", max)
	}
	return nil
}

// textRuled, set by tests only, is told of each text textRule reads.
var textRuled func(s string)

// textFault is what the text rule finds wrong with a text.
type textFault int

const (
	textOK textFault = iota
	textNotUTF8
	textControl // a control character, or U+2028/U+2029; tab, LF and CR only when multiline
	textTooLong
)

// textRule is the rule for every text a case holds, at both ends: valid
// UTF-8, no control characters and no Unicode line or paragraph
// separators (tab, line feed and carriage return allowed when multiline),
// at most max characters. Faults are found in that order.
func textRule(s string, max int, multiline bool) textFault {
	if textRuled != nil {
		textRuled(s)
	}
	// One pass that keeps the rule as the unicode package states it
	// (unicode.IsControl: U+0000–U+001F and U+007F–U+009F, nothing above
	// U+00FF; Zl and Zp: U+2028, U+2029) and the order of the faults, with
	// two fast paths for what patients write: printable ASCII and the
	// letters U+00C0–U+07FF (å, ä, ö, é) passed eight bytes at a time
	// (jsontext.Printable), and the other two-byte sequences of
	// U+0080–U+07FF decoded in place, a control only at C2 80–C2 9F. Only
	// three- and four-byte sequences, and invalid bytes, go through
	// utf8.DecodeRuneInString. Measured on 2 KiB of Swedish text in
	// BenchmarkTextRule; TestCheckStringEveryCodePoint and FuzzTextRule
	// hold it to the rule and to the form before the fast paths.
	n, control := len(s), false // n: characters, bytes less continuation bytes
	for i := 0; i < len(s); {
		j, pairs := jsontext.Printable(s, i)
		if n -= pairs; j == len(s) {
			break
		}
		i = j
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			if !multiline || c != '\n' && c != '\r' && c != '\t' {
				control = true
			}
			continue
		}
		if c >= 0xc2 && c <= 0xdf && i+1 < len(s) && s[i+1]&0xc0 == 0x80 {
			// U+0080–U+07FF: always valid (C0 and C1 would be overlong).
			if c == 0xc2 && s[i+1] < 0xa0 {
				control = true
			}
			i += 2
			n--
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size == 1 { // utf8.RuneError: a valid U+FFFD takes three bytes
			return textNotUTF8
		}
		i += size
		n -= size - 1
		// Above U+07FF only the two separators break the rule.
		if r == '\u2028' || r == '\u2029' {
			control = true
		}
	}
	switch {
	case control:
		return textControl
	case n > max:
		return textTooLong
	}
	return textOK
}

// CheckText returns why s is not acceptable text of at most max
// characters, or "". Line breaks and tabs are allowed only when multiline.
// It is the rule for every text a case holds, here and at both ends: the
// gateway's case service (agent/cases), its forms and settings (localui)
// and the reference central store's patient pages check with it, and the
// protocol's decoders apply the same rule (textRule), worded for the
// position.
func CheckText(s string, max int, multiline bool) string {
	switch textRule(s, max, multiline) {
	case textNotUTF8:
		return "not valid UTF-8"
	case textControl:
		return "contains a control character"
	case textTooLong:
		return fmt.Sprintf("longer than %d characters", max)
	}
	return ""
}

// checkToken checks an identifier: 1..MaxIDLen characters of A–Z a–z 0–9
// . _ -.
func checkToken(path, s string) error {
	if !validToken(s) {
		return failf(path, "must be 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-'", MaxIDLen)
	}
	return nil
}

func validToken(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// checkTypeName checks a case type (a form id): 1..MaxIDLen characters of
// a–z 0–9 and -, the first not -.
func checkTypeName(path, s string) error {
	ok := len(s) > 0 && len(s) <= MaxIDLen && s[0] != '-'
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		return failf(path, "must be 1 to %d characters of a-z, 0-9 and '-', not starting with '-'", MaxIDLen)
	}
	return nil
}

// checkCaseID checks a case id: CaseIDLen characters of lower-case
// Crockford base32, the first 0–7 (128 bits), as sync/wire/caseid makes
// them.
func checkCaseID(path, s string) error {
	if _, err := caseid.Parse(s); err != nil {
		return failf(path, "must be a case id: %d characters of lower-case Crockford base32, the first 0-7", CaseIDLen)
	}
	return nil
}

// checkPNR checks a personnummer's shape: PNRLen ASCII digits.
func checkPNR(path, s string) error {
	if len(s) != PNRLen || !allDigits(s) {
		return failf(path, "must be %d digits, YYYYMMDDNNNC", PNRLen)
	}
	return nil
}

// The window a timestamp must fall in. It is fixed, so Validate stays pure;
// it refuses the zero time and anything JSON or another implementation
// could not carry.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkTime checks a timestamp: from 2000 up to (not including) 3000, with
// a UTC offset of whole minutes under 24 hours, as RFC 3339 can write it.
func checkTime(path string, t time.Time) error {
	if t.IsZero() {
		return fail(path, "is required")
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		return fail(path, "must be from the year 2000 up to the year 3000")
	}
	if _, off := t.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return fail(path, "must have a UTC offset of whole minutes under 24 hours")
	}
	return nil
}

// checkSeq checks a sequence number or cursor: min..MaxSeq.
func checkSeq(path string, n, min uint64) error {
	if n < min || n > MaxSeq {
		return failf(path, "must be between %d and %d", min, uint64(MaxSeq))
	}
	return nil
}

// checkURIRef checks a problem's type or instance: printable ASCII without
// spaces, at most MaxURILen characters; if required, not empty.
func checkURIRef(path, s string, required bool) error {
	if s == "" {
		if required {
			return fail(path, "is required")
		}
		return nil
	}
	if len(s) > MaxURILen {
		return failf(path, "is longer than %d characters", MaxURILen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fail(path, "must be a URI reference of printable ASCII without spaces")
		}
	}
	return nil
}

// check checks display text: Swedish required if required, English only
// beside Swedish, each at most max characters, single-line unless
// multiline.
func (t Text) check(path string, max int, required, multiline bool) error {
	check := checkLine
	if multiline {
		check = checkMultiline
	}
	if err := check(member(path, "sv"), t.SV, max, required || t.EN != ""); err != nil {
		return err
	}
	return check(member(path, "en"), t.EN, max, false)
}
