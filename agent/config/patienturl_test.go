package config

import (
	"strings"
	"testing"
)

// TestNotifyPatientURL: notify.patient_url, the patients' e-service the
// booking reminders link to, is an https URL with a host and nothing a
// link to the patient pages must not carry.
func TestNotifyPatientURL(t *testing.T) {
	notifyTable := "[notify]\nsmtp_addr = \"smtp.example.se:587\"\nsmtp_from = \"noreply@vc.example.se\"\npatient_url = "
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{`"https://e-tjanst.example.se"`, true},
		{`"https://e-tjanst.example.se/"`, true},
		{`""`, true},
		{`"http://e-tjanst.example.se"`, false},
		{`"https://"`, false},
		{`"https://user:pw@e-tjanst.example.se"`, false},
		{`"https://e-tjanst.example.se/?pnr=1"`, false},
		{`"e-tjanst.example.se"`, false},
	} {
		p := writeFile(t, t.TempDir(), "clinicgw.toml", validConfig+notifyTable+tc.value+"\n")
		c, err := Load(p)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.value, err)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "notify.patient_url") || !strings.Contains(err.Error(), "expected https://host")):
			t.Errorf("%s: got %v, want a notify.patient_url error", tc.value, err)
		case tc.ok && c.Notify.PatientURL != strings.Trim(tc.value, `"`):
			t.Errorf("%s: read %q", tc.value, c.Notify.PatientURL)
		}
	}
}

// TestNotifyReminderQuietHours: notify.reminder_quiet_hours is read with
// booking.ParseQuietHours's rule; a wrong one names the key.
func TestNotifyReminderQuietHours(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{{`""`, true}, {`"22:00-07:00"`, true}, {`"off"`, true}, {`"22-07"`, false}, {`"07:00-07:00"`, false}} {
		p := writeFile(t, t.TempDir(), "clinicgw.toml", validConfig+"[notify]\nreminder_quiet_hours = "+tc.value+"\n")
		_, err := Load(p)
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "notify.reminder_quiet_hours")) {
			t.Errorf("%s: %v", tc.value, err)
		}
	}
}
