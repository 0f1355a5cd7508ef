package agent_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// TestAgentNotices: a gateway with [notify] pointing at a real SMTP server
// (STARTTLS, AUTH PLAIN, its CA in a file) tells the unit's notice
// address of new cases from the central store in one digest, and the
// clinician who chose e-mail of an assignment. No personnummer, name or
// case text of the patients is in any mail or log line (LG3).
func TestAgentNotices(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	mail := notifytest.Start(t, "127.0.0.1:0", false)
	cfg := gatewayDir(t, p, c.url, nil)
	dir := filepath.Dir(cfg.Path())
	if err := os.WriteFile(filepath.Join(dir, "smtp.pw"), []byte(mail.Pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "smtp-ca.pem"), mail.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Notify = agent.NotifyConfig{SMTPAddr: mail.Addr, SMTPUsername: mail.User, SMTPPasswordFile: "smtp.pw",
		SMTPFrom: "clinicgw <noreply@vc.example.se>", SMTPCAFile: "smtp-ca.pem", Digest: "1m"}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	if cfg, err = agent.LoadConfig(cfg.Path()); err != nil {
		t.Fatal(err)
	}

	// Two patients write before the gateway starts: its first page brings
	// both, one notice.
	ctx := t.Context()
	var ids []string
	for i, pnr := range []string{patientPNR, string(personnummer.Synthetic(time.Date(1990, 8, 9, 0, 0, 0, 0, time.UTC), 985))} {
		id, err := c.store.Submit(ctx, unit, central.Submission{PatientPNR: pnr, PatientName: patientName,
			FormID: string(casetype.ContactMe), Text: caseText, Fields: []wire.Field{{Name: "phone", Value: "070-000 00 0" + string(rune('0'+i))}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The unit administrator and the clinician set their addresses earlier
	// (in the web UI, which keeps them so: localui/settings.go).
	putSettings(t, cfg, map[string]any{
		"unit/settings":                         map[string]any{"noticeEmail": "enhet@vc.example.se"},
		"staff/" + clinician.HSAID + "/prefs":   map[string]any{"notifyEmail": true, "email": "doris@vc.example.se"},
		"staff/" + distributor.HSAID + "/prefs": map[string]any{"notifyEmail": false, "email": "dora@vc.example.se"},
	})

	logs := &logtest.Buffer{}
	a := startAgent(t, cfg, agent.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Uplink: fast})
	waitFor(t, "the new-case notice", func() bool { return len(mail.Messages()) == 1 })
	if _, err := a.Cases().Do(ctx, distributor, cases.ID(ids[0]), cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the assignment notice", func() bool { return len(mail.Messages()) == 2 })
	msgs := mail.Messages()
	if msgs[0].To[0] != "enhet@vc.example.se" || !strings.Contains(msgs[0].Data, "2 nya =C3=A4renden") {
		t.Errorf("new-case notice to %q:\n%s", msgs[0].To, msgs[0].Data)
	}
	if msgs[1].To[0] != "doris@vc.example.se" || !strings.Contains(msgs[1].Data, "tilldelats dig") {
		t.Errorf("assignment notice to %q:\n%s", msgs[1].To, msgs[1].Data)
	}
	all := logs.String()
	for _, m := range msgs {
		all += m.Data
	}
	for _, canary := range []string{patientPNR, strings.ReplaceAll(patientPNR, "-", ""), patientName, caseText, "Kanarie", "070-000", string(casetype.ContactMe)} {
		if strings.Contains(all, canary) {
			t.Errorf("a notice or log line carries %q", canary)
		}
	}
}

// putSettings writes UI settings (as JSON) into the store cfg names, with
// the gateway stopped, as the web UI keeps them (localui/settings.go).
func putSettings(t *testing.T, cfg *agent.Config, settings map[string]any) {
	t.Helper()
	ctx := context.Background()
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID})
	if err != nil {
		t.Fatal(err)
	}
	for key, v := range settings {
		b, _ := json.Marshal(v)
		if err := db.PutSetting(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
