package uplink

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

var testContact = wire.UnitContact{Address: "Storgatan 1\n123 45 Småstad", Phone: "08-123 456 78",
	Hours: wire.Text{SV: "Mån–fre 8–17"}, Website: "https://www.example.se/vc", Text: wire.Text{SV: "Ring vid akuta besvär."}}

// TestContactReachesCentral: the contact details SetContact gives go to a
// real central store over mutual TLS with the forms, details that break a
// rule are refused and the last good ones stay, emptied details are
// published too (they remove what the central store shows), and after the
// central store comes back without them they are published again.
func TestContactReachesCentral(t *testing.T) {
	ctx := context.Background()
	c := startCentral(t)
	forms := casetype.DefaultForms()
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Forms, cfg.PushInterval = &forms, time.Hour })
	if err := g.up.SetContact(testContact); err != nil { // before the start, as the gateway does
		t.Fatal(err)
	}
	g.start()
	has := func(want wire.UnitContact) func() bool {
		return func() bool {
			got, err := c.store.Contact(ctx, unit)
			if err != nil {
				t.Fatal(err)
			}
			return got == want
		}
	}
	waitFor(t, 10*time.Second, "contact details at the central store", has(testContact))
	waitFor(t, 10*time.Second, "status: published", func() bool { return !g.up.Status().ContactPending })

	bad := testContact
	bad.Website = "http://www.example.se"
	if err := g.up.SetContact(bad); err == nil {
		t.Fatal("details with an http website taken")
	}
	if err := g.up.SetContact(wire.UnitContact{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "emptied details at the central store", has(wire.UnitContact{}))
	if err := g.up.SetContact(testContact); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "details again", has(testContact))

	c.path = filepath.Join(t.TempDir(), "central-new.db")
	c.restart()
	waitFor(t, 10*time.Second, "details republished after reconnect", has(testContact))
	g.stop()
}

// TestContactOlderCentral: a central store of the release before, which
// has no /v2/contact (it answers 404, not-found, as its API does for every
// path it does not know), never gets a body it refuses: the forms are
// published as ever, the details are tried once at the start and
// at each connect, not at every push, the uplink
// says the central store does not take them, and nothing else fails.
func TestContactOlderCentral(t *testing.T) {
	var contactPuts, refusedBodies atomic.Int32
	c := startCentralWrapped(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case wire.PathStream2:
				h.ServeHTTP(w, r)
				return
			case wire.PathContact2:
				contactPuts.Add(1)
				wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
				return
			}
			rec := &statusRecorder{ResponseWriter: w}
			h.ServeHTTP(rec, r)
			if rec.status == http.StatusBadRequest || rec.status == http.StatusRequestEntityTooLarge {
				refusedBodies.Add(1)
			}
		})
	})
	forms := casetype.DefaultForms()
	forms.Forms[0].Title.SV = "Vårt eget formulär"
	g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.Forms, cfg.PushInterval = &forms, 100*time.Millisecond })
	if err := g.up.SetContact(testContact); err != nil {
		t.Fatal(err)
	}
	g.start()
	waitFor(t, 10*time.Second, "forms published", func() bool {
		set, err := c.store.Forms(context.Background(), unit)
		return err == nil && set.Forms[0].Title.SV == "Vårt eget formulär"
	})
	waitFor(t, 10*time.Second, "status: not taken", func() bool { return g.up.Status().ContactUnsupported })
	id := c.submit(0)
	waitFor(t, 10*time.Second, "a case still arrives", func() bool { return g.ids()[id] })
	g.answer(id)
	waitFor(t, 10*time.Second, "an answer still goes", func() bool { return g.pending() == 0 })
	// Once at the start and once at the stream's connect at most, not at
	// every push round (every 100 ms here).
	if n := contactPuts.Load(); n < 1 || n > 2 {
		t.Errorf("the details were tried %d times, want once or twice", n)
	}
	if n := refusedBodies.Load(); n != 0 {
		t.Errorf("the older central store refused %d bodies", n)
	}
	if st := g.up.Status(); strings.Contains(st.LastError, "contact") {
		t.Errorf("the uplink reports an error: %s", st.LastError)
	}
	g.stop()
}

// statusRecorder notes the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
