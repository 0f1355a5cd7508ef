package personnummer

import (
	"bytes"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire/workday"
)

// Every number in these tests has födelsenummer 980–999, the range of
// Skatteverket's test personnummer. Check digits were worked out by hand
// (Luhn over YYMMDDNNN), not with the code under test.

func sthlmAt(t *testing.T, y int, m time.Month, d, hh, mm int) time.Time {
	t.Helper()
	return time.Date(y, m, d, hh, mm, 0, 0, workday.Stockholm())
}

func TestParsePersonnummer(t *testing.T) {
	now := sthlmAt(t, 2026, time.April, 15, 12, 0)
	// 00:30 on 15 April in Stockholm, still 14 April in UTC.
	justAfterMidnight := time.Date(2026, time.April, 14, 22, 30, 0, 0, time.UTC)

	tests := []struct {
		name   string
		in     string
		now    time.Time
		want   Personnummer
		reason string // empty for success
	}{
		{"12 digits with hyphen", "19811218-9876", now, "198112189876", ""},
		{"12 digits", "198112189876", now, "198112189876", ""},
		{"10 digits with hyphen", "811218-9876", now, "198112189876", ""},
		{"10 digits", "8112189876", now, "198112189876", ""},
		{"white space trimmed", " \t811218-9876\n", now, "198112189876", ""},
		{"plus: a hundred years or older", "811218+9876", now, "188112189876", ""},
		{"plus on a leap day", "480229+9968", now, "184802299968", ""},
		{"1990s", "9001019802", now, "199001019802", ""},
		{"last day of 1999", "991231-9937", now, "199912319937", ""},
		{"first day of 2000", "000101-9942", now, "200001019942", ""},
		{"born today is this century", "260415-9893", now, "202604159893", ""},
		{"today counted in Stockholm", "260415-9893", justAfterMidnight, "202604159893", ""},
		{"tomorrow is last century", "260416-9900", now, "192604169900", ""},
		{"yesterday", "20260414-9985", now, "202604149985", ""},
		{"a century ago", "270101-9974", now, "192701019974", ""},
		{"samordningsnummer", "850671-9858", now, "198506719858", ""},
		{"samordningsnummer 12 digits", "198506719858", now, "198506719858", ""},
		{"29 Feb 2000 (leap century)", "000229-9816", now, "200002299816", ""},
		{"29 Feb 2004", "0402299820", now, "200402299820", ""},
		{"29 Feb 2020 12 digits", "20200229-9911", now, "202002299911", ""},

		{"29 Feb 1900 (not leap)", "000229+9816", now, "", BadDate},
		{"29 Feb 2023", "230229-9843", now, "", BadDate},
		{"29 Feb 2023 12 digits", "202302299843", now, "", BadDate},
		{"month 13", "811318-9875", now, "", BadDate},
		{"month 00", "810018-9870", now, "", BadDate},
		{"day 00", "811200-9876", now, "", BadDate},
		{"samordningsnummer day 60", "850660-9851", now, "", BadDate},
		{"samordningsnummer 31 June", "850691-9862", now, "", BadDate},
		{"samordningsnummer day 92", "850692-9879", now, "", BadDate},
		{"future 12 digits", "20260416-9900", now, "", FutureDate},
		{"wrong check digit", "811218-9877", now, "", BadCheckDigit},
		{"wrong check digit 12 digits", "198112189875", now, "", BadCheckDigit},
		{"swapped digits", "811218-9786", now, "", BadCheckDigit},
		{"letter", "811218-98a6", now, "", BadCharacter},
		{"inner space", "811218 9876", now, "", BadCharacter},
		{"full-width digits", "８１１２１８-9876", now, "", BadCharacter},
		{"9 digits", "811218-987", now, "", BadLength},
		{"11 digits", "19811218987", now, "", BadLength},
		{"13 digits", "19811218-98760", now, "", BadLength},
		{"8 digits", "19811218", now, "", BadLength},
		{"empty", "", now, "", Empty},
		{"only space", "  \t ", now, "", Empty},
		{"hyphen misplaced", "8112-189876", now, "", BadSeparator},
		{"hyphen at the end", "8112189876-", now, "", BadSeparator},
		{"two hyphens", "811218--9876", now, "", BadSeparator},
		{"plus in 12 digits", "19811218+9876", now, "", BadSeparator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in, tt.now)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if got != tt.want {
					t.Fatalf("Parse = %q, want %q", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse = %q, want error %q", got, tt.reason)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *Error", err)
			}
			if pe.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", pe.Reason, tt.reason)
			}
			if got != "" {
				t.Errorf("Parse returned %q with an error", got)
			}
			assertNoPNRDigits(t, tt.in, err.Error())
			assertNoPNRDigits(t, tt.in, pe.Swedish())
		})
	}
}

var pnrDigitRun = regexp.MustCompile(`[0-9]{3,}`)

// assertNoPNRDigits fails if msg could carry any part of the number in: no
// run of three or more digits, and not the input's digits.
func assertNoPNRDigits(t *testing.T, in, msg string) {
	t.Helper()
	if msg == "" {
		t.Fatal("empty message")
	}
	if r := pnrDigitRun.FindString(msg); r != "" {
		t.Errorf("message %q contains the digits %q", msg, r)
	}
	var digits strings.Builder
	for _, c := range in {
		if c >= '0' && c <= '9' {
			digits.WriteRune(c)
		}
	}
	if d := digits.String(); len(d) >= 3 && strings.Contains(msg, d) {
		t.Errorf("message %q contains the input's digits", msg)
	}
}

func TestPersonnummerErrorMessages(t *testing.T) {
	reasons := []string{Empty, BadLength, BadCharacter, BadSeparator,
		BadDate, FutureDate, BadCheckDigit, "unknown"}
	seenEN, seenSV := map[string]bool{}, map[string]bool{}
	for _, r := range reasons {
		e := &Error{Reason: r}
		en, sv := e.Error(), e.Swedish()
		if seenEN[en] || seenSV[sv] {
			t.Errorf("reason %q shares its message with another reason", r)
		}
		seenEN[en], seenSV[sv] = true, true
		if !strings.HasPrefix(sv, "Person") && !strings.HasPrefix(sv, "Datumet") &&
			!strings.HasPrefix(sv, "Födelse") && !strings.HasPrefix(sv, "Bindestreck") {
			t.Errorf("Swedish(%q) = %q, does not say what is wrong first", r, sv)
		}
	}
	if got := (&Error{Reason: BadCheckDigit}).Swedish(); !strings.HasPrefix(got, "Personnumret har fel kontrollsiffra") {
		t.Errorf("Swedish() = %q", got)
	}
}

func TestPersonnummerMethods(t *testing.T) {
	tests := []struct {
		name   string
		p      Personnummer
		birth  time.Time
		coord  bool
		str    string
		ageAt  time.Time
		wantAg int
	}{
		{"day before birthday", "198112189876", sthlmAt(t, 1981, 12, 18, 0, 0), false, "19811218-9876",
			sthlmAt(t, 2025, 12, 17, 23, 59), 43},
		{"on birthday", "198112189876", sthlmAt(t, 1981, 12, 18, 0, 0), false, "19811218-9876",
			sthlmAt(t, 2025, 12, 18, 0, 0), 44},
		{"birthday already in Stockholm, not in UTC", "198112189876", sthlmAt(t, 1981, 12, 18, 0, 0), false, "19811218-9876",
			time.Date(2025, 12, 17, 23, 30, 0, 0, time.UTC), 44},
		{"samordningsnummer", "198506719858", sthlmAt(t, 1985, 6, 11, 0, 0), true, "19850671-9858",
			sthlmAt(t, 2026, 6, 10, 12, 0), 40},
		{"samordningsnummer birthday", "198506719858", sthlmAt(t, 1985, 6, 11, 0, 0), true, "19850671-9858",
			sthlmAt(t, 2026, 6, 11, 12, 0), 41},
		{"leap-day birth, 28 Feb of a common year", "200402299820", sthlmAt(t, 2004, 2, 29, 0, 0), false, "20040229-9820",
			sthlmAt(t, 2025, 2, 28, 12, 0), 20},
		{"leap-day birth, 1 March of a common year", "200402299820", sthlmAt(t, 2004, 2, 29, 0, 0), false, "20040229-9820",
			sthlmAt(t, 2025, 3, 1, 0, 0), 21},
		{"leap-day birth, 29 Feb", "200402299820", sthlmAt(t, 2004, 2, 29, 0, 0), false, "20040229-9820",
			sthlmAt(t, 2024, 2, 29, 0, 0), 20},
		{"newborn", "202604149985", sthlmAt(t, 2026, 4, 14, 0, 0), false, "20260414-9985",
			sthlmAt(t, 2026, 4, 15, 0, 0), 0},
		{"under 13 the day before", "201304149980", sthlmAt(t, 2013, 4, 14, 0, 0), false, "20130414-9980",
			sthlmAt(t, 2026, 4, 13, 23, 59), 12},
		{"malformed", "1981121898", time.Time{}, false, "1981121898", sthlmAt(t, 2026, 1, 1, 0, 0), 0},
		{"malformed date", "198113189875", time.Time{}, false, "19811318-9875", sthlmAt(t, 2026, 1, 1, 0, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.BirthDate(); !got.Equal(tt.birth) || (!got.IsZero() && got.Location() != workday.Stockholm()) {
				t.Errorf("BirthDate() = %v, want %v", got, tt.birth)
			}
			if got := tt.p.IsCoordination(); got != tt.coord {
				t.Errorf("IsCoordination() = %v, want %v", got, tt.coord)
			}
			if got := tt.p.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.p.AgeAt(tt.ageAt); got != tt.wantAg {
				t.Errorf("AgeAt(%v) = %d, want %d", tt.ageAt, got, tt.wantAg)
			}
		})
	}
}

func TestPersonnummerLogValue(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("case received", "patient", Personnummer("198112189876"))
	if strings.Contains(buf.String(), "9876") || strings.Contains(buf.String(), "19811218") {
		t.Errorf("log output carries the number: %s", buf.String())
	}
}

func TestSyntheticPersonnummer(t *testing.T) {
	now := sthlmAt(t, 2026, time.April, 15, 12, 0)
	births := []time.Time{
		time.Date(1981, 12, 18, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1926, 4, 16, 23, 0, 0, 0, workday.Stockholm()),
		time.Date(2026, 4, 15, 0, 0, 0, 0, workday.Stockholm()),
		time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, b := range births {
		for serial := 980; serial <= 999; serial++ {
			p := Synthetic(b, serial)
			y, m, d := b.Date()
			if got := p.BirthDate(); got.Year() != y || got.Month() != m || got.Day() != d {
				t.Errorf("Synthetic(%v, %d).BirthDate() = %v", b, serial, got)
			}
			for _, form := range []string{string(p), p.String(), string(p[2:])} {
				if form == string(p[2:]) && now.Year()-y >= 100 {
					continue // the short form of the very old needs a +
				}
				got, err := Parse(form, now)
				if err != nil || got != p {
					t.Errorf("Parse(Synthetic(%v, %d) as %d digits) = %q, %v; want %q", b, serial, len(form), got, err, p)
				}
			}
		}
	}
	// Hand-checked: 811218 987 has Luhn digit 6.
	if got := Synthetic(time.Date(1981, 12, 18, 0, 0, 0, 0, time.UTC), 987); got != "198112189876" {
		t.Errorf("Synthetic(1981-12-18, 987) = %q, want 198112189876", got)
	}
}

func TestSyntheticPersonnummerPanics(t *testing.T) {
	birth := time.Date(1981, 12, 18, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		birth  time.Time
		serial int
	}{
		{"below test range", birth, 979},
		{"above test range", birth, 1000},
		{"ordinary serial", birth, 123},
		{"zero", birth, 0},
		{"negative", birth, -985},
		{"five-digit year", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), 985},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Synthetic(%v, %d) did not panic", tt.birth, tt.serial)
				}
			}()
			Synthetic(tt.birth, tt.serial)
		})
	}
}
