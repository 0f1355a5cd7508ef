package config

import (
	"strings"
	"testing"
)

// TestRuntimeMemoryLimit: runtime.memory_limit is a size as GOMEMLIMIT
// writes it ("64MiB", bytes without a suffix) or "off"; its default is
// DefaultMemoryLimit; a value that is not one, or one too small for the
// gateway to run in, is an error naming the key and what is expected.
func TestRuntimeMemoryLimit(t *testing.T) {
	for _, tc := range []struct {
		value   string
		want    int64 // bytes; -1: off
		wantErr string
	}{
		{"", DefaultMemoryLimit, ""},
		{"64MiB", 64 << 20, ""},
		{"1GiB", 1 << 30, ""},
		{"100000000", 100000000, ""},
		{"96MiB", 96 << 20, ""},
		{"524288KiB", 512 << 20, ""},
		{"off", -1, ""},
		{"16MiB", 0, "too small"},
		{"64MB", 0, "expected a size like \"64MiB\""},
		{"-64MiB", 0, "expected a size"},
		{"64 MiB", 0, "expected a size"},
		{"lots", 0, "expected a size"},
		{"99999999999TiB", 0, "expected a size"},
	} {
		content := validConfig
		if tc.value != "" {
			content += "[runtime]\nmemory_limit = \"" + tc.value + "\"\n"
		}
		c, err := Parse("/etc/clinicgw/clinicgw.toml", []byte(content))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), "runtime.memory_limit") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one naming runtime.memory_limit and %q", tc.value, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.value, err)
			continue
		}
		if got := c.Runtime.MemoryLimitBytes(); got != tc.want {
			t.Errorf("%q: %d bytes, want %d", tc.value, got, tc.want)
		}
	}
}
