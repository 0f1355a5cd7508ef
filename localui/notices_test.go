package localui_test

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/democlinic"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/casetype"
)

// TestUnitPageShowsWaitingNotices: with [notify] set and the mail server
// unreachable, the unit administrator sees the assignment notice waiting,
// its failed attempt and why, in Swedish, and never its recipient.
func TestUnitPageShowsWaitingNotices(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there: the mail server is down
	c := startClinicConfig(t, "", func(dc *democlinic.Clinic) map[string]*logtest.Buffer {
		dc.Config.Notify = agent.NotifyConfig{SMTPAddr: down, SMTPFrom: "clinicgw <noreply@vc.example.se>"}
		return nil
	})
	clin := c.login(hsaClinA)
	if r, body := clin.form("/settings", url.Values{"notifyEmail": {"on"}, "email": {"lars@vc.example.se"}}); r.StatusCode >= 400 {
		t.Fatalf("clinician's settings: %d %s", r.StatusCode, body)
	}
	cs := c.receive(casetype.ContactMe, "Ring mig.")
	c.login(hsaDist).form("/cases/"+string(cs.ID)+"/assign", url.Values{"assignee": {hsaClinA}})

	admin := c.login(hsaAdmin)
	var body string
	waitUntil(t, "the waiting notice on the unit page", func() bool {
		_, body = admin.getBody("/admin/unit")
		return strings.Contains(body, "Tilldelat ärende") && strings.Contains(body, "connect to the mail server")
	})
	for _, want := range []string{"Aviseringar som väntar", "E-post", "connect to the mail server"} {
		if !strings.Contains(body, want) {
			t.Errorf("unit page lacks %q", want)
		}
	}
	if strings.Contains(body, "lars@vc.example.se") {
		t.Error("the unit page shows the clinician's address")
	}
}

// waitUntil polls cond every 10 ms for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
