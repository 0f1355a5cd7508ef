package wire

import (
	"strings"
	"testing"
)

// TestCheckText: the text rule both ends check with says the same as the
// protocol's decoders (checkLine, checkMultiline) about every text.
func TestCheckText(t *testing.T) {
	for _, tt := range []struct {
		s         string
		multiline bool
		want      string // "" for acceptable
	}{
		{"Hosta", false, ""},
		{"Å–😀", false, ""},
		{"a\nb\r\n\tc", true, ""},
		{"a\nb", false, "contains a control character"},
		{"a\tb", false, "contains a control character"},
		{"a\x00", true, "contains a control character"},
		{"a\x7f", true, "contains a control character"},
		{"a\u0085", true, "contains a control character"},
		{"a\u2028", true, "contains a control character"},
		{"a\u2029", false, "contains a control character"},
		{"a\xffb", true, "not valid UTF-8"},
		{strings.Repeat("å", 11), false, "longer than 10 characters"},
		{strings.Repeat("å", 10), true, ""},
	} {
		if got := CheckText(tt.s, 10, tt.multiline); got != tt.want {
			t.Errorf("CheckText(%q, 10, %v) = %q, want %q", tt.s, tt.multiline, got, tt.want)
		}
		var err error
		if tt.multiline {
			err = checkMultiline("x", tt.s, 10, false)
		} else {
			err = checkLine("x", tt.s, 10, false)
		}
		if (err == nil) != (tt.want == "") {
			t.Errorf("%q: CheckText says %q, the decoders %v", tt.s, tt.want, err)
		}
	}
}
