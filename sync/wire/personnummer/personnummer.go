package personnummer

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"clinicgw/sync/i18n"
	"clinicgw/sync/wire/workday"
)

// Personnummer is a validated Swedish personal identity number or
// samordningsnummer in its 12-digit form, YYYYMMDDNNNC, without separator.
// Construct it with Parse.
//
// A Personnummer is patient data: it must never reach a log, a notice, a
// URL or an error message. Its LogValue hides it from log/slog.
type Personnummer string

// The reasons Parse refuses a number: the Reason of a
// *Error, for callers that branch on it.
const (
	Empty         = "empty"       // nothing but white space
	BadLength     = "length"      // not 10 or 12 digits
	BadCharacter  = "character"   // something other than digits, - and +
	BadSeparator  = "separator"   // a second separator, one in the wrong place, or + in the 12-digit form
	BadDate       = "date"        // no such calendar date
	FutureDate    = "future"      // born after the reference time
	BadCheckDigit = "check-digit" // the Luhn check digit does not match
)

// Error says why Parse refused its input. It
// carries only the reason, never the input, so it is safe to log.
type Error struct {
	Reason string // one of the reasons above (Empty … BadCheckDigit)
}

// Error describes the problem in plain English, without the number.
func (e *Error) Error() string {
	msg, ok := pnrEnglish[e.Reason]
	if !ok {
		msg = "it is not valid"
	}
	return "invalid personnummer: " + msg
}

// Swedish describes the problem for the person who typed the number: what
// is wrong and what to do, in Swedish, without the number.
func (e *Error) Swedish() string { return e.In("sv") }

// In is Swedish's words in lang, from the one catalogue (sync/i18n's
// pnr.*, by reason; pnr.invalid for a reason without words of its own).
func (e *Error) In(lang string) string {
	if key := "pnr." + e.Reason; i18n.Has(key) {
		return i18n.T(lang, key)
	}
	return i18n.T(lang, "pnr.invalid")
}

var pnrEnglish = map[string]string{
	Empty:         "it is empty; enter 10 or 12 digits",
	BadLength:     "it must have 10 or 12 digits",
	BadCharacter:  "it may contain only digits and one - or +",
	BadSeparator:  "the - or + must stand before the last four digits, and + only in the 10-digit form",
	BadDate:       "the date in it does not exist",
	FutureDate:    "the date of birth in it is in the future",
	BadCheckDigit: "the check digit is wrong; check for a typing error",
}

func pnrError(reason string) error {
	return &Error{Reason: reason}
}

// Parse validates a personnummer or samordningsnummer and
// returns it in its 12-digit form. Surrounding white space is ignored. It
// accepts YYYYMMDD-NNNC, YYYYMMDDNNNC, YYMMDD-NNNC, YYMMDD+NNNC and
// YYMMDDNNNC.
//
// In the 10-digit forms the century is the latest one that puts the date of
// birth on or before now's date in Stockholm; with + (used from the year a
// person turns 100) it is the century before that. A 12-digit number born
// after now's date is refused.
//
// A samordningsnummer (day of month plus 60, days 61–91) is accepted; see
// IsCoordination. The date must exist (29 February only in leap years) and
// the last digit must be the Luhn check digit over the 10-digit form.
//
// The error is a *Error; it never contains the input.
func Parse(s string, now time.Time) (Personnummer, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", pnrError(Empty)
	}
	var digits [12]byte
	n := 0
	var sep byte
	sepAt := -1 // digits before the separator
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return "", pnrError(BadLength)
			}
			digits[n] = c
			n++
		case c == '-' || c == '+':
			if sep != 0 {
				return "", pnrError(BadSeparator)
			}
			sep, sepAt = c, n
		default:
			return "", pnrError(BadCharacter)
		}
	}
	if n != 10 && n != 12 {
		return "", pnrError(BadLength)
	}
	if sep != 0 && (sepAt != n-4 || (sep == '+' && n == 12)) {
		return "", pnrError(BadSeparator)
	}

	ten := digits[n-10 : n] // YYMMDDNNNC
	month := time.Month(pnrAtoi(ten[2:4]))
	day := pnrAtoi(ten[4:6])
	if day > 60 { // samordningsnummer
		day -= 60
	}
	ny, nm, nd := now.In(workday.Stockholm()).Date()
	var year int
	if n == 12 {
		year = pnrAtoi(digits[0:4])
	} else {
		yy := pnrAtoi(ten[0:2])
		year = ny - ((ny-yy)%100+100)%100 // the latest year ≤ now's ending in yy
		if dateAfter(year, month, day, ny, nm, nd) {
			year -= 100
		}
		if sep == '+' {
			year -= 100
		}
	}
	if !validDate(year, month, day) {
		return "", pnrError(BadDate)
	}
	if dateAfter(year, month, day, ny, nm, nd) {
		return "", pnrError(FutureDate)
	}
	if luhnDigit(ten[:9]) != ten[9] {
		return "", pnrError(BadCheckDigit)
	}
	if n == 12 && len(s) == 12 {
		return Personnummer(s), nil // written as it is returned already
	}
	if year < 0 || year > 9999 {
		return Personnummer(fmt.Sprintf("%04d%s", year, string(ten[2:]))), nil
	}
	var out [12]byte
	out[0], out[1], out[2], out[3] = '0'+byte(year/1000), '0'+byte(year/100%10), '0'+byte(year/10%10), '0'+byte(year%10)
	copy(out[4:], ten[2:])
	return Personnummer(out[:]), nil
}

// pnrAtoi converts ASCII digits, already checked, to an int.
func pnrAtoi(b []byte) int {
	v := 0
	for _, c := range b {
		v = v*10 + int(c-'0')
	}
	return v
}

// validDate reports whether year-month-day is a date of the Gregorian
// calendar.
func validDate(year int, month time.Month, day int) bool {
	if month < time.January || month > time.December || day < 1 {
		return false
	}
	// Day 0 of the next month is the last day of this one.
	last := time.Date(year, month+1, 0, 12, 0, 0, 0, time.UTC).Day()
	return day <= last
}

// dateAfter reports whether date a is after date b, comparing fields, so
// that it is defined for invalid dates too.
func dateAfter(ay int, am time.Month, ad int, by int, bm time.Month, bd int) bool {
	if ay != by {
		return ay > by
	}
	if am != bm {
		return am > bm
	}
	return ad > bd
}

// luhnDigit returns the Luhn check digit, as an ASCII digit, for the nine
// ASCII digits YYMMDDNNN.
func luhnDigit(nine []byte) byte {
	sum := 0
	for i, c := range nine {
		d := int(c - '0')
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// parts splits a 12-digit number into its date (day corrected for a
// samordningsnummer); ok is false for a value not made by
// Parse or Synthetic.
func (p Personnummer) parts() (year int, month time.Month, day int, coord, ok bool) {
	if len(p) != 12 {
		return 0, 0, 0, false, false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return 0, 0, 0, false, false
		}
	}
	b := []byte(p)
	year = pnrAtoi(b[0:4])
	month = time.Month(pnrAtoi(b[4:6]))
	day = pnrAtoi(b[6:8])
	if day > 60 {
		day -= 60
		coord = true
	}
	if !validDate(year, month, day) {
		return 0, 0, 0, false, false
	}
	return year, month, day, coord, true
}

// BirthDate returns midnight at the start of the date of birth in
// Stockholm time; for a samordningsnummer the day is corrected (day 61 is
// the 1st). It returns the zero Time for a malformed value.
func (p Personnummer) BirthDate() time.Time {
	y, m, d, _, ok := p.parts()
	if !ok {
		return time.Time{}
	}
	return time.Date(y, m, d, 0, 0, 0, 0, workday.Stockholm())
}

// IsCoordination reports whether p is a samordningsnummer (day of month
// plus 60), given to people who are not or have not been registered in
// Sweden.
func (p Personnummer) IsCoordination() bool {
	_, _, _, coord, ok := p.parts()
	return ok && coord
}

// AgeAt returns the age in whole years at t, counted on the calendar in
// Stockholm: the age goes up at midnight starting the birthday. Someone
// born on 29 February turns a year older on 1 March in common years. It is
// negative if t is before the birth year's birthday, and 0 for a
// malformed value.
func (p Personnummer) AgeAt(t time.Time) int {
	y, m, d, _, ok := p.parts()
	if !ok {
		return 0
	}
	ty, tm, td := t.In(workday.Stockholm()).Date()
	age := ty - y
	if tm < m || (tm == m && td < d) {
		age--
	}
	return age
}

// String returns the number as YYYYMMDD-NNNC, the form staff read. It is
// patient data: never log it.
func (p Personnummer) String() string {
	if len(p) != 12 {
		return string(p)
	}
	return string(p[:8]) + "-" + string(p[8:])
}

// LogValue keeps the number out of log/slog output.
func (p Personnummer) LogValue() slog.Value {
	return slog.StringValue("[personnummer]")
}

// Synthetic returns a valid personnummer for tests and the
// demo: the date of birth is birth's year, month and day in birth's own
// location, and serial is the födelsenummer (the three digits after the
// date). Only 980–999 are allowed, the range of Skatteverket's published
// test personnummer, never given to a real person; any other serial, or a
// year outside 1000–9999, panics. Test data in this repository uses only
// these numbers.
func Synthetic(birth time.Time, serial int) Personnummer {
	if serial < 980 || serial > 999 {
		panic(fmt.Sprintf("personnummer: Synthetic: serial %d is outside the test range 980-999", serial))
	}
	y, m, d := birth.Date()
	if y < 1000 || y > 9999 {
		panic(fmt.Sprintf("personnummer: Synthetic: year %d is not four digits", y))
	}
	nine := fmt.Sprintf("%02d%02d%02d%03d", y%100, int(m), d, serial)
	return Personnummer(fmt.Sprintf("%04d%s%c", y, nine[2:], luhnDigit([]byte(nine))))
}
