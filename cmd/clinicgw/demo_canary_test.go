package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/sync/logtest"
)

// TestDemoCanaryScan is the canary scan of make security after a full
// demo run (LG3, DP1): the demo clinic with notices to a real SMTP server
// (the unit's address and every clinician's e-mail set) and the admin
// listener on; patients write through the central store, staff assign and
// answer. Then the demo patients' names and personnummer (every form) are
// looked for in every mail, the technical log, the demo's output,
// /metrics, /healthz and, once the gateway has stopped, the store file,
// the central store's file and a backup of it: none may be there.
func TestDemoCanaryScan(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	mail := notifytest.Start(t, "127.0.0.1:0", false)
	dir := t.TempDir()
	var out, logs logtest.Buffer
	e := &env{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := startDemo(ctx, e, demoOptions{dir: dir, history: 40, web: "127.0.0.1:0", ui: "127.0.0.1:0",
		bridge: "127.0.0.1:0", cards: "127.0.0.1:0", admin: "127.0.0.1:0",
		configure: func(cfg *agent.Config) {
			for name, data := range map[string][]byte{"smtp.pass": []byte(mail.Pass), "smtp-ca.pem": mail.CAPEM} {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg.Notify = agent.NotifyConfig{SMTPAddr: mail.Addr, SMTPUsername: mail.User, SMTPPasswordFile: "smtp.pass",
				SMTPCAFile: "smtp-ca.pem", SMTPFrom: "clinicgw <noreply@demo.example.se>"}
		}})
	if err != nil {
		t.Fatalf("start the demo: %v\n%s", err, out.String())
	}
	defer d.close()
	// The unit's address for new cases, and e-mail for every clinician.
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if err := d.gw.Store().PutSetting(ctx, key, b); err != nil {
			t.Fatal(err)
		}
	}
	put("unit/settings", map[string]string{"noticeEmail": "enhet@demo.example.se"})
	for _, k := range demoClinicians {
		put("staff/"+k.actor.HSAID+"/prefs", map[string]any{"notifyEmail": true, "email": strings.ToLower(k.actor.HSAID) + "@demo.example.se"})
	}
	if err := demoLive(ctx, e, d.central.store, d.gw.Cases(), 5); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(mail.Messages()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d mails within 20 s; want the new-case notice and assignment notices", len(mail.Messages()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	scraped := map[string]string{}
	for _, path := range []string{"/metrics", "/healthz"} {
		r, err := http.Get("http://" + d.gw.AdminAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK || len(b) == 0 {
			t.Fatalf("GET %s: %d", path, r.StatusCode)
		}
		scraped[path] = string(b)
	}
	if !strings.Contains(scraped["/metrics"], `clinicgw_cases{status="received"}`) {
		t.Errorf("/metrics lacks the case counts:\n%.500s", scraped["/metrics"])
	}
	centralBackup := filepath.Join(t.TempDir(), "central-backup.db")
	if err := d.central.store.Backup(ctx, centralBackup); err != nil {
		t.Fatal(err)
	}
	d.close()

	texts := map[string]string{"technical log": logs.String(), "demo output": out.String(),
		"/metrics": scraped["/metrics"], "/healthz": scraped["/healthz"]}
	for i, m := range mail.Messages() {
		texts["mail "+string(rune('1'+i))] = m.Data
	}
	raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	texts["store file"] = string(raw)
	// The central store's file and a backup of it (issue 22, item 3).
	for where, path := range map[string]string{"central store file": filepath.Join(dir, "central", "central.db"), "central store backup": centralBackup} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		texts[where] = string(b)
	}
	for where, text := range texts {
		for _, canary := range []string{"Testperson", "Testförälder", "Livepatient"} {
			if strings.Contains(text, canary) {
				t.Errorf("%s holds the patient name %q", where, canary)
			}
		}
		if m := pnrLike.FindString(text); m != "" {
			t.Errorf("%s holds a personnummer: %q", where, m)
		}
	}
	t.Logf("scanned %d mails, %d log bytes, %d output bytes, /metrics (%d bytes), /healthz, the store file (%d bytes): no patient data",
		len(mail.Messages()), len(logs.String()), len(out.String()), len(scraped["/metrics"]), len(raw))
}
