package agent_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/booking"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
)

// TestAgentBookingReminder: a gateway with [notify] and notify.patient_url
// sends the reminder of a booking whose instant has come through its real
// mail server, with the unit's name, the visit's Stockholm time, the
// visiting address from the unit's contact details and the link to its
// patient pages; no personnummer, patient name, clinician or the time
// type's names in the mail or the log.
func TestAgentBookingReminder(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mail := notifytest.Start(t, "127.0.0.1:0", false)
	cfg := gatewayDir(t, p, "", nil)
	dir := filepath.Dir(cfg.Path())
	if err := os.WriteFile(filepath.Join(dir, "smtp.pw"), []byte(mail.Pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "smtp-ca.pem"), mail.CAPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Notify = agent.NotifyConfig{SMTPAddr: mail.Addr, SMTPUsername: mail.User, SMTPPasswordFile: "smtp.pw",
		SMTPFrom: "clinicgw <noreply@vc.example.se>", SMTPCAFile: "smtp-ca.pem", PatientURL: "https://e-tjanst.example.se/",
		ReminderQuietHours: "off"} // the test runs at any hour, its reminder due now
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	if cfg, err = agent.LoadConfig(cfg.Path()); err != nil {
		t.Fatal(err)
	}

	// Before the start: the unit's contact details, a type, and a booking
	// made yesterday of a time three hours from now: its reminder (24
	// hours before) is due, late, as the gateway starts.
	const clin, staff = "SE2321000016-C001", "SE2321000016-D001"
	visitAt := time.Now().Add(3 * time.Hour).Truncate(time.Hour)
	local := booking.Local(visitAt)
	ctx := context.Background()
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, cfg.StorePath(), kek, store.Options{Unit: cfg.Unit.HSAID})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := wire.Marshal(wire.UnitContact{Address: "Agentgatan 7\n123 45 Testby"})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.PutSetting(ctx, agent.ContactSetting, contact))
	d, err := booking.New(booking.OnStore(db), booking.Options{Clock: clocktest.New(time.Now().Add(-24 * time.Hour))})
	must(err)
	typ := booking.TimeType{ID: "kurator-30", StaffName: "Kuratorssamtal", PatientName: "Samtal om missbruk", Minutes: 30,
		Clinicians: []string{clin}, Online: true, Reminder: true, ReminderHours: 24}
	must(d.PutType(ctx, typ))
	must(d.PutTemplate(ctx, booking.Template{ID: "t1", Clinician: clin, TypeID: typ.ID, Weekday: local.Weekday(),
		Start: local.Format("15:04"), Count: 1, From: local.AddDate(0, 0, -2).Format(time.DateOnly)}))
	_, err = d.Generate(ctx, booking.MinWeeks)
	must(err)
	free, err := d.FreeTimes(ctx, booking.FreeQuery{From: visitAt, To: visitAt.Add(time.Minute)})
	must(err)
	if len(free) != 1 {
		t.Fatalf("free times at %v: %+v", visitAt, free)
	}
	_, err = d.Book(ctx, free[0].ID, booking.Actor{Staff: staff}, booking.BookRequest{Patient: patientPNR,
		Remind: &booking.ReminderContact{Email: "patient@example.se"}})
	must(err)
	must(db.Close())

	logs := &logtest.Buffer{}
	startAgent(t, cfg, agent.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	waitFor(t, "the reminder", func() bool { return len(mail.Messages()) == 1 })
	m := mail.Messages()[0]
	if m.To[0] != "patient@example.se" {
		t.Errorf("reminder to %q", m.To)
	}
	flat := strings.ReplaceAll(m.Data, "=\r\n", "")
	for _, want := range []string{"Vårdcentralen Agenttest", "kl. " + local.Format("15:04"), "Agentgatan 7, 123 45 Testby",
		"https://e-tjanst.example.se/boka/" + unit} {
		if !strings.Contains(flat, want) && !strings.Contains(flat, strings.NewReplacer("å", "=C3=A5").Replace(want)) {
			t.Errorf("the reminder lacks %q:\n%s", want, m.Data)
		}
	}
	all := logs.String() + m.Data
	for _, canary := range []string{patientPNR, strings.ReplaceAll(patientPNR, "-", ""), patientName, clin, staff,
		typ.StaffName, typ.PatientName, "missbruk", "urator"} {
		if strings.Contains(all, canary) {
			t.Errorf("the reminder or a log line carries %q", canary)
		}
	}
	if strings.Contains(logs.String(), "patient@example.se") {
		t.Error("a log line carries the patient's address")
	}
}
