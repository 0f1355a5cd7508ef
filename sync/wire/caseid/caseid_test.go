package caseid

import (
	"bytes"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"
	"time"
)

// idFixedRand returns the same bytes, repeated, forever.
type idFixedRand byte

func (r idFixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestNewID(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		rand io.Reader
		want ID
	}{
		// All zero: 26 zeros.
		{"epoch, zero bits", time.Unix(0, 0), idFixedRand(0), "00000000000000000000000000"},
		// 1 ms sets bit 80 of 128; each character holds 5 bits, so it is
		// the lowest bit of the 17th character from the end.
		{"1 ms, zero bits", time.UnixMilli(1), idFixedRand(0), "00000000010000000000000000"},
		// Random bits all ones: the low 80 bits are 16 characters of 'z'.
		{"epoch, ones", time.Unix(0, 0), idFixedRand(0xff), "0000000000zzzzzzzzzzzzzzzz"},
		// The largest time: 48 ones, then 80 ones: 128 ones = "7" + 25 "z".
		{"last millisecond", time.UnixMilli(1<<48 - 1), idFixedRand(0xff), "7zzzzzzzzzzzzzzzzzzzzzzzzz"},
		// 2026-04-15T10:00:00Z is 1776247200000 ms = 0x019d_9095_5900 (worked out separately).
		{"2026", time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC), idFixedRand(0), "01kp89ap800000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := New(tt.now, tt.rand)
			if err != nil {
				t.Fatalf("NewID: %v", err)
			}
			if got != tt.want {
				t.Fatalf("NewID = %q, want %q", got, tt.want)
			}
			if _, err := Parse(string(got)); err != nil {
				t.Errorf("Parse(NewID) = %v", err)
			}
			if !got.Time().Equal(tt.now.Truncate(time.Millisecond)) {
				t.Errorf("Time() = %v, want %v", got.Time(), tt.now)
			}
		})
	}
}

func TestNewIDErrors(t *testing.T) {
	errRand := errors.New("entropy exhausted")
	tests := []struct {
		name    string
		now     time.Time
		rand    io.Reader
		wantErr error
	}{
		{"before 1970", time.Unix(-1, 0), idFixedRand(0), nil},
		{"after 48 bits", time.UnixMilli(1 << 48), idFixedRand(0), nil},
		{"short random", time.Unix(0, 0), bytes.NewReader(make([]byte, 9)), io.ErrUnexpectedEOF},
		{"failing random", time.Unix(0, 0), io.MultiReader(bytes.NewReader([]byte{1}), idErrReader{errRand}), errRand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := New(tt.now, tt.rand)
			if err == nil {
				t.Fatalf("NewID = %q, want error", id)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("NewID error %v does not wrap %v", err, tt.wantErr)
			}
		})
	}
}

type idErrReader struct{ err error }

func (r idErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestNewIDNilRandUsesCryptoRand(t *testing.T) {
	now := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	a, err := New(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two ids from crypto/rand are equal: %s", a)
	}
	if a[:10] != b[:10] {
		t.Errorf("ids of the same millisecond differ in the time part: %s %s", a, b)
	}
}

// TestIDsSortByTime checks that string order is time order, even when a
// later id has smaller random bits.
func TestIDsSortByTime(t *testing.T) {
	base := time.Date(2026, 4, 15, 10, 0, 0, 0, time.UTC)
	steps := []time.Duration{0, time.Millisecond, time.Second, time.Hour, 24 * time.Hour, 365 * 24 * time.Hour, 80 * 365 * 24 * time.Hour}
	var ids []string
	for i, d := range steps {
		r := idFixedRand(0xff)
		if i%2 == 1 {
			r = 0
		}
		id, err := New(base.Add(d), r)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, string(id))
	}
	if !sort.StringsAreSorted(ids) {
		t.Errorf("ids not in time order: %v", ids)
	}
}

func TestParseID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"zero", "00000000000000000000000000", true},
		{"max", "7zzzzzzzzzzzzzzzzzzzzzzzzz", true},
		{"typical", "01kp8812r0abcdefghjkmnpqrs", true},
		{"empty", "", false},
		{"25 characters", "0000000000000000000000000", false},
		{"27 characters", "000000000000000000000000000", false},
		{"first above 7 overflows 128 bits", "80000000000000000000000000", false},
		{"upper case", "01KP8812R0ABCDEFGHJKMNPQRS", false},
		{"i is not in the alphabet", "0000000000000000000000000i", false},
		{"l is not in the alphabet", "0000000000000000000000000l", false},
		{"o is not in the alphabet", "0000000000000000000000000o", false},
		{"u is not in the alphabet", "0000000000000000000000000u", false},
		{"hyphen", "00000000-00000000000000000", false},
		{"non-ASCII", "0000000000000000000000000é"[:26], false},
		{"NUL", "0000000000000\x00000000000000", false},
		{"path traversal", "../../../../../../../etc/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Parse(tt.in)
			if tt.ok {
				if err != nil || string(id) != tt.in {
					t.Fatalf("ParseID = %q, %v; want %q", id, err, tt.in)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error", tt.in, id)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if len(tt.in) > 2 && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q repeats the input", err)
			}
			if !ID(tt.in).Time().IsZero() {
				t.Errorf("Time() of a malformed id is %v, want zero", ID(tt.in).Time())
			}
		})
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("00000000000000000000000000")
	f.Add("7zzzzzzzzzzzzzzzzzzzzzzzzz")
	f.Add("01kp8812r0abcdefghjkmnpqrs")
	f.Add("80000000000000000000000000")
	f.Add("01KP8812R0ABCDEFGHJKMNPQRS")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if id != "" {
				t.Fatalf("ParseID returned %q with an error", id)
			}
			return
		}
		if string(id) != s {
			t.Fatalf("Parse(%q) = %q", s, id)
		}
		// One spelling: decoding and encoding again gives the same string.
		b, err := decodeID(s)
		if err != nil {
			t.Fatalf("decodeID after ParseID: %v", err)
		}
		if got := encodeID(b); got != id {
			t.Fatalf("encodeID(decodeID(%q)) = %q", s, got)
		}
		// The time part round-trips through NewID.
		tm := id.Time()
		again, err := New(tm, bytes.NewReader(b[6:]))
		if err != nil {
			t.Fatalf("New(%v): %v", tm, err)
		}
		if again != id {
			t.Fatalf("New(Time(), random part) = %q, want %q", again, id)
		}
	})
}

// TestNewFrom: NewFrom makes the id New makes when it reads the same
// bits, and refuses the same times.
func TestNewFrom(t *testing.T) {
	r := [10]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff}
	for _, now := range []time.Time{time.Date(2026, 12, 7, 16, 0, 0, 123e6, time.UTC), time.Unix(0, 0), time.Unix(-1, 0)} {
		want, werr := New(now, bytes.NewReader(r[:]))
		got, err := NewFrom(now, r)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%s: %q, %v; New: %q, %v", now, got, err, want, werr)
		}
	}
}
