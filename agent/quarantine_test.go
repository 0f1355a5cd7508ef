package agent_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/metrics"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
)

// TestAdminQuarantine: a central event the gateway cannot apply is not a
// silent skip for region IT: /metrics counts it by reason
// (clinicgw_sync_quarantined_events) and /healthz fails on
// sync-quarantine with the reason, while /readyz stays up (staff work on);
// once region IT releases it, both are back to 0 and ok.
func TestAdminQuarantine(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	a := startAgent(t, cfg, agent.Options{})
	c := &adminClient{t: t, base: "http://" + a.AdminAddr(), http: &http.Client{}}
	if code, rep := c.health(metrics.PathHealth); code != http.StatusOK || rep.Checks["sync-quarantine"] != "ok" {
		t.Fatalf("/healthz before: %d %+v, want 200 with sync-quarantine ok", code, rep)
	}
	fams, _ := c.scrape()
	for _, r := range cases.QuarantineReasons {
		if got := value(t, fams, "clinicgw_sync_quarantined_events", "reason", string(r)); got != 0 {
			t.Errorf("quarantined{%s} = %v before, want 0", r, got)
		}
	}

	ctx := t.Context()
	id, err := caseid.New(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := &cases.Submission{Type: casetype.ContactMe, SubmittedAt: time.Now(), Text: canaryText,
		Patient: cases.Person{PNR: "19121212-1213", Name: canaryName}} // a wrong check digit
	rep, err := a.Cases().ApplyInbound(ctx, []cases.Inbound{{Kind: cases.InboundCreated, EventID: "ev-1", CaseID: id, At: sub.SubmittedAt, Submission: sub}}, 1)
	if err != nil || rep.Quarantined != 1 {
		t.Fatalf("apply: %+v %v, want 1 quarantined", rep, err)
	}
	code, hrep := c.health(metrics.PathHealth)
	if code != http.StatusServiceUnavailable || hrep.Checks["sync-quarantine"] != "invalid" {
		t.Errorf("/healthz with a quarantined event: %d %+v, want 503 with sync-quarantine invalid", code, hrep)
	}
	if code, rrep := c.health(metrics.PathReady); code != http.StatusOK {
		t.Errorf("/readyz with a quarantined event: %d %+v, want 200", code, rrep)
	}
	fams, body := c.scrape()
	if got := value(t, fams, "clinicgw_sync_quarantined_events", "reason", "invalid"); got != 1 {
		t.Errorf("clinicgw_sync_quarantined_events{reason=invalid} = %v, want 1", got)
	}
	_, healthBody := c.get(metrics.PathHealth, false)
	for _, canary := range []string{canaryName, canaryText, "19121212", "121212"} {
		if strings.Contains(body, canary) || strings.Contains(healthBody, canary) {
			t.Errorf("/metrics or /healthz carries %q", canary)
		}
	}

	qs, err := a.Cases().Quarantine(ctx)
	if err != nil || len(qs) != 1 {
		t.Fatalf("quarantine %v %v", qs, err)
	}
	if err := a.Cases().ReleaseQuarantine(ctx, qs[0].Seq); err != nil {
		t.Fatal(err)
	}
	if code, hrep := c.health(metrics.PathHealth); code != http.StatusOK || hrep.Checks["sync-quarantine"] != "ok" {
		t.Errorf("/healthz after the release: %d %+v, want 200", code, hrep)
	}
	fams, _ = c.scrape()
	if got := value(t, fams, "clinicgw_sync_quarantined_events", "reason", "invalid"); got != 0 {
		t.Errorf("after the release: %v, want 0", got)
	}
}
