package agent

import (
	"errors"
	"testing"

	"clinicgw/agent/config"
)

// A notice channel's error names its key by type, not by its text: a
// body that is not a template is notify.sms_body's, a bad URL sms_url's.
func TestNotifyChannelsKey(t *testing.T) {
	for _, tt := range []struct {
		body, url, key string
	}{
		{`{"to":{{json .To}`, "https://sms.example.se/send", "notify.sms_body"},
		{"", "https://body template/", "notify.sms_url"}, // the URL in the error text holds "body template"
	} {
		cfg := config.Default("SE2321000016-15ZM", "Test")
		cfg.Notify = config.Notify{SMSURL: tt.url, SMSBody: tt.body}
		_, err := notifyChannels(cfg)
		var ke *config.KeyError
		if !errors.As(err, &ke) || ke.Key != tt.key {
			t.Errorf("body %q, url %q: %v, want a *config.KeyError of %s", tt.body, tt.url, err, tt.key)
		}
	}
}

// The log's fields for a refused file come from the error's structure.
func TestErrPlace(t *testing.T) {
	data := []byte("[unit]\nhsa_id = \"SE2321000016-15ZM\"\nname = \"x\"\n[store]\nkeyfile = \"k\"\n")
	_, err := config.Parse("c.toml", data)
	if line, key := errPlace(err); line != 5 || key != "store.keyfile" {
		t.Errorf("errPlace(%v) = %d, %q; want 5, store.keyfile", err, line, key)
	}
	_, err = config.Parse("c.toml", []byte("[unit]\nname = \"x\"\n"))
	if line, key := errPlace(err); line != 1 || key != "unit.hsa_id" {
		t.Errorf("errPlace(%v) = %d, %q; want 1, unit.hsa_id", err, line, key)
	}
	if line, key := errPlace(errors.New("config c.toml:3: unit.name: no")); line != 0 || key != "" {
		t.Errorf("errPlace of text = %d, %q; want nothing (text is not parsed)", line, key)
	}
}
