package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// central.retention: a duration from 24h to 8760h, 720h when left out; a
// mistake names the key and says what is expected; it round-trips
// through Write.
func TestCentralRetentionConfig(t *testing.T) {
	checkDurationKey(t, "central", "retention", func(c *Config) time.Duration { return c.Central.RetentionOrDefault() }, []durationCase{
		{"", DefaultSyncRetention, ""},
		{`"48h"`, 48 * time.Hour, ""},
		{`"8760h"`, 8760 * time.Hour, ""},
		{`"23h"`, 0, "central.retention"},
		{`"8761h"`, 0, "from 24h to 8760h"},
		{`"a month"`, 0, "central.retention"},
		{`720`, 0, "expected a quoted string (a duration"},
	})
}

// durationCase is a value of a duration key ("" leaves the key out) and
// the duration it gives, or the error it makes.
type durationCase struct {
	value   string
	want    time.Duration
	wantErr string
}

// checkDurationKey loads a configuration with [section] key = each case's
// value: the duration get reads, or an error naming what is wrong; the
// value round-trips through Write.
func checkDurationKey(t *testing.T, section, key string, get func(*Config) time.Duration, cases []durationCase) {
	t.Helper()
	for _, tt := range cases {
		content := validConfig + "[" + section + "]\n"
		if tt.value != "" {
			content += key + " = " + tt.value + "\n"
		}
		c, err := Load(writeFile(t, t.TempDir(), FileName, content))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s = %s: %v, want an error with %q", key, tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s = %s: %v", key, tt.value, err)
		}
		if got := get(c); got != tt.want {
			t.Errorf("%s = %s: %v, want %v", key, tt.value, got, tt.want)
		}
		out := filepath.Join(t.TempDir(), FileName)
		if err := c.Write(out); err != nil {
			t.Fatal(err)
		}
		if back, err := Load(out); err != nil || get(back) != get(c) {
			t.Errorf("round trip of %s = %s: %v", key, tt.value, err)
		}
	}
}

// The retention never outlasts the archive's age: an exported and purged
// case leaves nothing behind in the journal.
func TestSyncRetentionWithinArchiveAge(t *testing.T) {
	for _, tt := range []struct {
		retention string
		archive   bool
		ageDays   int
		want      time.Duration
	}{
		{"", false, 0, DefaultSyncRetention},
		{"", true, 0, DefaultSyncRetention}, // 90 days' archive age
		{"", true, 7, 7 * 24 * time.Hour},
		{"2400h", true, 0, 90 * 24 * time.Hour},
		{"48h", true, 7, 48 * time.Hour},
	} {
		c := &Config{Central: Central{Retention: tt.retention}}
		if tt.archive {
			c.Archive = Archive{Dir: "arkiv", AgeDays: tt.ageDays}
		}
		if got := c.SyncRetention(); got != tt.want {
			t.Errorf("%+v: %v, want %v", tt, got, tt.want)
		}
	}
}
