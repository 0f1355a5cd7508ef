package config

import (
	"strings"
	"testing"
	"time"
)

// api.client_write_retention: a duration from 24h to 8760h, 720h when
// left out; a mistake names the key.
func TestClientWriteRetentionConfig(t *testing.T) {
	for _, tt := range []struct {
		value   string // "" leaves the key out
		want    time.Duration
		wantErr string
	}{
		{"", DefaultClientWriteRetention, ""},
		{`"48h"`, 48 * time.Hour, ""},
		{`"23h"`, 0, "api.client_write_retention"},
		{`"8761h"`, 0, "from 24h to 8760h"},
		{`"a month"`, 0, "api.client_write_retention"},
	} {
		content := validConfig + "[api]\n"
		if tt.value != "" {
			content += "client_write_retention = " + tt.value + "\n"
		}
		c, err := Load(writeFile(t, t.TempDir(), FileName, content))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("client_write_retention = %s: %v, want an error with %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("client_write_retention = %s: %v", tt.value, err)
		}
		if got := c.API.ClientWrites(); got != tt.want {
			t.Errorf("client_write_retention = %s: %v, want %v", tt.value, got, tt.want)
		}
	}
}
