package uplink

import (
	"context"
	"net/http"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/catalog"
)

// TestServicesToOldAndNewCentral: the unit's catalogue goes to a central
// store that serves protocol v2's services as a ServiceSet (its forms are
// then the catalogue's offered services, new ones included); a central
// store on the old protocol (404 on wire.PathServices2) keeps working with
// the old form set: only the forms of the case types it knows.
func TestServicesToOldAndNewCentral(t *testing.T) {
	cat := catalog.Catalog{Format: catalog.Format}
	for _, tp := range catalog.Templates() {
		cat.Enable(tp.Service.ID, nil)
	}
	for _, old := range []bool{false, true} {
		st, err := central.Open(context.Background(), filepath.Join(t.TempDir(), "central.db"), central.Options{
			Logger: newLogger(&logtest.Buffer{}), Units: []string{unit}, Notifier: &central.MemNotifier{}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		api := st.APIHandler()
		h := api
		if old {
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == wire.PathServices2 {
					http.NotFound(w, r)
					return
				}
				api.ServeHTTP(w, r)
			})
		}
		srv := serveTLS(t, h)
		g := newGateway(t, srv.URL, unitCert(t), func(cfg *Config) { cfg.PushInterval = time.Hour })
		g.start()
		if err := g.up.SetServices(cat.Published(), cat.Legacy()); err != nil {
			t.Fatal(err)
		}
		want := cat.Published().Forms()
		if old {
			want = cat.Legacy()
		}
		waitFor(t, 10*time.Second, "the set at the central store", func() bool {
			got, err := st.Forms(context.Background(), unit)
			return err == nil && reflect.DeepEqual(got, want)
		})
		rules, err := st.AnswerRules(context.Background(), unit)
		if err != nil || (len(rules) == 0) != old {
			t.Errorf("old=%v: %d answer rules at the central store, %v", old, len(rules), err)
		}
		if old && len(want.Forms) == len(cat.Offered()) {
			t.Error("the old set has every service")
		}
		g.stop()
	}
}
