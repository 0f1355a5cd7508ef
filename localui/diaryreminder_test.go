package localui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestDiaryAdminReminderHours: the time type form's reminder hours reach
// the diary: within 0–168 the type is saved, beyond it refused with
// nothing saved.
func TestDiaryAdminReminderHours(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	typ := func(id, hours string) url.Values {
		return url.Values{"op": {"type"}, "id": {id}, "staffName": {"Mottagningsbesök"}, "patientName": {"Besök"},
			"minutes": {"30"}, "online": {"on"}, "reminder": {"on"}, "reminderHours": {hours}}
	}
	if r, body := admin.form("/admin/diary", typ("besok-48", "48")); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("48 hours: %s\n%.400s", r.Status, body)
	}
	if r, _ := admin.form("/admin/diary", typ("besok-500", "500")); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("500 hours: %s, want 400", r.Status)
	}
	if r, body := admin.getBody("/admin/diary"); r.StatusCode != http.StatusOK || !strings.Contains(body, `id="type-besok-48"`) || strings.Contains(body, `id="type-besok-500"`) {
		t.Errorf("types after the two forms:\n%.2000s", body)
	}
}
