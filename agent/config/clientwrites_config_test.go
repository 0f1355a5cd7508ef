package config

import (
	"testing"
	"time"
)

// api.client_write_retention: a duration from 24h to 8760h, 720h when
// left out; a mistake names the key; it round-trips through Write.
func TestClientWriteRetentionConfig(t *testing.T) {
	checkDurationKey(t, "api", "client_write_retention", func(c *Config) time.Duration { return c.API.ClientWrites() }, []durationCase{
		{"", DefaultClientWriteRetention, ""},
		{`"48h"`, 48 * time.Hour, ""},
		{`"23h"`, 0, "api.client_write_retention"},
		{`"8761h"`, 0, "from 24h to 8760h"},
		{`"a month"`, 0, "api.client_write_retention"},
	})
}
