package agent_test

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// TestStoredFormsWinAtStart: the gateway publishes central.forms_file
// until the form designer stored a set; after a restart the stored set is
// published instead of the file's. A stored set that breaks the protocol's
// rules is not published: the central store keeps what it had, and the
// log says why.
func TestStoredFormsWinAtStart(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	file := casetype.DefaultForms()
	file.Forms[0].Title.SV = "Boka tid (från filen)"
	cfg := gatewayDir(t, p, c.url, &file)
	published := func(want wire.FormSet) func() bool {
		return func() bool {
			got, err := c.store.Forms(t.Context(), unit)
			return err == nil && reflect.DeepEqual(got, want)
		}
	}

	a, err := agent.New(cfg, agent.Options{Uplink: fast})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file's forms published", published(file))
	designed := casetype.DefaultForms()
	designed.Forms[0].Title.SV = "Boka tid (från designern)"
	designed.Forms[0].Version = 2
	b, err := wire.Marshal(designed)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().PutSetting(t.Context(), agent.FormsSetting, b); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	waitFor(t, "the stored forms published after the restart", published(designed))
	// The restart migrated the stored forms into the catalogue, which
	// wins from then on: break that.
	cat, err := a.Store().Setting(t.Context(), agent.CatalogSetting)
	if err != nil {
		t.Fatalf("the stored forms were not migrated to a catalogue: %v", err)
	}
	bad := strings.Replace(string(cat), `"kind": "textarea"`, `"kind": "essay"`, 1)
	if bad == string(cat) {
		t.Fatal("no textarea in the stored catalogue")
	}
	if err := a.Store().PutSetting(t.Context(), agent.CatalogSetting, []byte(bad)); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	logs := &logtest.Buffer{}
	a = startAgent(t, cfg, agent.Options{Uplink: fast, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	waitFor(t, "connected", func() bool { st, ok := a.Uplink(); return ok && st.Connected })
	if st, _ := a.Uplink(); st.FormsPending || !st.FormsPublishedAt.IsZero() {
		t.Errorf("the uplink was given forms to publish after a broken stored set: %+v", st)
	}
	if !strings.Contains(logs.String(), "the catalogue stored by the designer breaks a rule") {
		t.Errorf("the log does not say the stored forms are broken:\n%s", logs)
	}
	if got, _ := c.store.Forms(t.Context(), unit); !reflect.DeepEqual(got, designed) {
		t.Error("the central store lost the designed forms to the file's after a broken stored set")
	}
}
