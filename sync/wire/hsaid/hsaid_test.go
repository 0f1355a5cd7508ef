package hsaid

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		id  string
		why string // "" for valid
	}{
		{"SE2321000016-15ZM", ""},
		{"SE162321000255-O10951", ""},
		{"SE162321000016-efca", ""},
		{"SE2321000016-DEMO1", ""},
		{"SE165565594230-WEBCERT08113", ""},
		{"SE2321000016-a", ""},
		{"SE2321000016-" + strings.Repeat("A", 18), ""}, // 31 in all
		{"SE2321000016-" + strings.Repeat("A", 19), "32 characters"},
		{"", "country code"},
		{"SE", "organisation number"},
		{"se2321000016-15ZM", "country code"},
		{"2321000016-15ZM", "country code"},
		{"SE232100001-15ZM", "organisation number"},
		{"SE23210000161-15ZM", "organisation number"},
		{"SE172321000016-15ZM", "organisation number"},
		{"SE2321000016", "followed by \"-\""},
		{"SE2321000016_15ZM", "followed by \"-\""},
		{"SE2321000016-", "nothing follows"},
		{"SE2321000016-15ZM\n", "only the letters"},
		{"SE2321000016-15 ZM", "only the letters"},
		{"SE2321000016-15ÅM", "only the letters"},
		{"SE2321000016-15@M", "only the letters"},
		{"SE2321000016-15-ZM", "only the letters"},
		{"staff-1", "country code"},
	} {
		err := Check(tt.id)
		if tt.why == "" {
			if err != nil || !Valid(tt.id) || !Contains(tt.id) {
				t.Errorf("Check(%q) = %v, want valid (and Contains)", tt.id, err)
			}
			continue
		}
		if err == nil || Valid(tt.id) {
			t.Errorf("Check(%q) accepted it", tt.id)
			continue
		}
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("Check(%q) = %v, want ErrMalformed saying %q", tt.id, err, tt.why)
		}
		if len(tt.id) > 4 && strings.Contains(err.Error(), tt.id) {
			t.Errorf("Check(%q): the error repeats the value: %v", tt.id, err)
		}
	}
}

func TestContains(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"Läkare SE2321000016-15ZM", true},
		{"SE162321000255-O10951", true},
		{"dr se2321000016-abc", true},
		{"(SE2321000016-1)", true},
		{"Sjuksköterska", false},
		{"SE2321000016", false},
		{"SE2321000016- ", false},
		{"SE 2321000016-15ZM", false},
		{"SE172321000016-X", false},
	} {
		if got := Contains(tt.text); got != tt.want {
			t.Errorf("Contains(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// FuzzCheck: Check never panics, what it accepts is at most MaxLen bytes
// and found by Contains, and its errors never repeat the input.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"SE2321000016-15ZM", "SE162321000255-O10951", "SE", "", "SE2321000016-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Check(s)
		if err == nil {
			if len(s) > MaxLen || !Contains(s) {
				t.Fatalf("Check accepted %q", s)
			}
			return
		}
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("Check(%q) = %v, not ErrMalformed", s, err)
		}
		if len(s) > 8 && strings.Contains(err.Error(), s) {
			t.Fatalf("Check(%q): the error repeats the value", s)
		}
	})
}
