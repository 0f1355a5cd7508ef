package agent_test

import (
	"context"
	"crypto/rand"
	"io"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

const (
	unit     = "SE2321000016-A001"
	unitName = "Vårdcentralen Agenttest"
)

var (
	distributor = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-D001", Roles: []cases.Role{cases.Distributor}}
	clinician   = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-C001", Roles: []cases.Role{cases.Clinician}}
	patientPNR  = string(personnummer.Synthetic(time.Date(1975, 2, 3, 0, 0, 0, 0, time.UTC), 984))
)

const (
	patientName = "Kanarie Agentsson"
	caseText    = "Kanarietext: behöver förnya receptet"
	answerText  = "Kanariesvar: receptet är förnyat"
)

// testCentral is the reference central store over mutual TLS on loopback.
type testCentral struct {
	store   *central.Store
	url     string
	notices *central.MemNotifier // the patients' notices
}

func startCentral(t *testing.T, p *devpki.PKI) *testCentral {
	t.Helper()
	notices := &central.MemNotifier{}
	st, err := central.Open(context.Background(), filepath.Join(t.TempDir(), "central.db"), central.Options{
		Units: []string{unit}, UnitNames: map[string]string{unit: unitName}, Notifier: notices,
	})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := p.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(st.APIHandler())
	srv.TLS = tlsconf.Server(cert, p.FunctionCAPool(), st.VerifyUnit)
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		st.Close()
	})
	return &testCentral{store: st, url: srv.URL, notices: notices}
}

// gatewayDir makes a gateway's folder as `clinicgw init` and `pki dev`
// would: configuration, key file, the unit's certificate, the CA, forms.
func gatewayDir(t *testing.T, p *devpki.PKI, centralURL string, forms *wire.FormSet) *agent.Config {
	t.Helper()
	dir := t.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, agent.DefaultKeyFile), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	pkiDir := filepath.Join(dir, "pki")
	if err := p.WriteDir(pkiDir); err != nil {
		t.Fatal(err)
	}
	cert, err := p.Unit(unit, unitName)
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(pkiDir, "unit", cert); err != nil {
		t.Fatal(err)
	}
	cfg := agent.DefaultConfig(unit, unitName)
	if centralURL != "" {
		cfg.Central = agent.CentralConfig{URL: centralURL, CAFile: "pki/root.pem", CertFile: "pki/unit.pem", KeyFile: "pki/unit.key"}
	}
	if forms != nil {
		b, err := wire.Marshal(*forms)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "forms.json"), b, 0o640); err != nil {
			t.Fatal(err)
		}
		cfg.Central.FormsFile = "forms.json"
	}
	if err := cfg.Write(filepath.Join(dir, agent.ConfigFileName)); err != nil {
		t.Fatal(err)
	}
	loaded, err := agent.LoadConfig(filepath.Join(dir, agent.ConfigFileName))
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

// startAgent starts a gateway for the test and stops it when the test ends.
func startAgent(t *testing.T, cfg *agent.Config, opts agent.Options) *agent.Agent {
	t.Helper()
	a, err := agent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Stop() })
	return a
}

func fast(c *uplink.Config) {
	c.PollInterval, c.PushInterval, c.MaxBackoff = 100*time.Millisecond, 100*time.Millisecond, 200*time.Millisecond
}

// waitFor polls cond every 10 ms until it holds or 20 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAgentEndToEnd: a gateway made from a configuration file alone syncs
// with the central store: the unit's forms are published, a patient's case
// arrives once, the answer (kicked by the case service, not by the test)
// reaches the patient; after a restart nothing arrives twice.
func TestAgentEndToEnd(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	forms := casetype.DefaultForms()
	renew := -1
	for i, f := range forms.Forms {
		if f.ID == string(casetype.RenewPrescription) {
			renew = i
		}
	}
	forms.Forms[renew].Title.SV = "Förnya recept (agenttest)" // not the central store's default
	submission := central.Submission{PatientPNR: patientPNR, PatientName: patientName, FormID: string(casetype.RenewPrescription),
		Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin 5 mg"}}}
	cfg := gatewayDir(t, p, c.url, &forms)
	logs := &logtest.Buffer{}
	opts := agent.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Uplink: fast}

	a, err := agent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "forms published", func() bool {
		got, err := c.store.Forms(ctx, unit)
		return err == nil && reflect.DeepEqual(got, forms)
	})
	id, err := c.store.Submit(ctx, unit, submission)
	if err != nil {
		t.Fatal(err)
	}
	var got *cases.Case
	waitFor(t, "the case in the gateway", func() bool {
		got, err = a.Cases().Get(ctx, distributor, cases.ID(id))
		return err == nil
	})
	if got.Patient.PNR != personnummer.Personnummer(patientPNR) || got.Messages[0].Text != caseText {
		t.Fatalf("case in the gateway: %+v", got)
	}
	if _, err := a.Cases().Do(ctx, distributor, got.ID, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Cases().Do(ctx, clinician, got.ID, cases.Command{Action: cases.SendAnswer, Text: answerText,
		Signature: "Doris Doktor", AuthorTitle: "Distriktsläkare"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer at the central store", func() bool {
		pc, err := c.store.PatientCase(ctx, patientPNR, id)
		return err == nil && pc.StaffMessages() == 1
	})
	pc, _ := c.store.PatientCase(ctx, patientPNR, id)
	last := pc.Messages[len(pc.Messages)-1]
	if last.Text != answerText || last.AuthorTitle != "Distriktsläkare" {
		t.Errorf("the patient sees %+v", last)
	}
	// The central store has the answer before the gateway hears back and
	// empties its outbox: wait for that too.
	waitFor(t, "the outbox emptied", func() bool {
		st, ok := a.Uplink()
		return ok && st.Cursor > 0 && st.OutboxDepth == 0
	})
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	// A restart on the same folder: the cursor holds, nothing twice.
	b, err := agent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	id2, err := c.store.Submit(ctx, unit, submission)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the second case in the gateway", func() bool {
		_, err := b.Cases().Get(ctx, distributor, cases.ID(id2))
		return err == nil
	})
	all, err := b.Cases().List(ctx, distributor, cases.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("%d cases after a restart, want 2", len(all))
	}
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, canary := range []string{patientPNR, patientName, caseText, answerText, "Kanarie"} {
		if strings.Contains(logs.String(), canary) {
			t.Errorf("gateway logs carry patient data %q", canary)
		}
	}
}

// TestAgentOffline: without a central store the gateway starts, staff work
// on, and the answer waits in the outbox.
func TestAgentOffline(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := gatewayDir(t, p, "", nil)
	a := startAgent(t, cfg, agent.Options{})
	if _, ok := a.Uplink(); ok {
		t.Error("an offline gateway reports an uplink")
	}
	c, err := a.Cases().Receive(t.Context(), cases.Submission{Type: casetype.RenewPrescription,
		Patient: cases.Person{PNR: personnummer.Personnummer(patientPNR), Name: patientName}, Text: caseText, SubmittedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Cases().Do(t.Context(), distributor, c.ID, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
		t.Fatal(err)
	}
	out, err := a.Cases().PendingOutbound(t.Context(), 10)
	if err != nil || len(out) != 1 {
		t.Fatalf("outbox %v, %v: want the status change waiting", out, err)
	}
}

// TestAgentRefusesBadSetup: what cannot work is refused by New, naming the
// key and the cause, before anything is opened.
func TestAgentRefusesBadSetup(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, cfg *agent.Config)
		want  []string
	}{
		{"another unit's certificate", func(t *testing.T, cfg *agent.Config) {
			cert, err := p.Unit("SE2321000016-B002", "Annan enhet")
			if err != nil {
				t.Fatal(err)
			}
			if err := devpki.WriteTLS(filepath.Join(filepath.Dir(cfg.Path()), "pki"), "unit", cert); err != nil {
				t.Fatal(err)
			}
		}, []string{"central.cert_file", "not this unit's", unit}},
		{"missing CA", func(t *testing.T, cfg *agent.Config) {
			os.Remove(cfg.CentralFile(cfg.Central.CAFile))
		}, []string{"clinicgw.toml:", "central.ca_file", "expected an existing file"}},
		{"key missing", func(t *testing.T, cfg *agent.Config) {
			os.Remove(cfg.CentralFile(cfg.Central.KeyFile))
		}, []string{"central.cert_file, central.key_file", "key file"}},
		{"forms not JSON", func(t *testing.T, cfg *agent.Config) {
			cfg.Central.FormsFile = "forms.json"
			os.WriteFile(cfg.CentralFile("forms.json"), []byte("{\"forms\": [1,"), 0o640)
		}, []string{"central.forms_file", "forms.json"}},
		{"forms missing", func(t *testing.T, cfg *agent.Config) {
			cfg.Central.FormsFile = "nope.json"
		}, []string{"central.forms_file", "nope.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := gatewayDir(t, p, "https://127.0.0.1:1", nil)
			tt.setup(t, cfg)
			_, err := agent.New(cfg, agent.Options{})
			if err == nil {
				t.Fatal("New accepted it")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}
