package uplink

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// A central store that serves only v1 (a region's store not yet upgraded)
// is named as such in the uplink's error: the gateway speaks v2 and says
// what to do, instead of a bare 404.
func TestCentralWithoutV2(t *testing.T) {
	srv := serveTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, wire.PathPrefix2) {
			wire.WriteProblem(w, *wire.UnsupportedVersion())
			return
		}
		wire.WriteProblem(w, *wire.NotFound("No such endpoint."))
	}))
	g := newGateway(t, srv.URL, unitCert(t), nil)
	g.start()
	waitFor(t, 10*time.Second, "the error", func() bool {
		return strings.Contains(g.up.Status().LastError, "does not serve sync protocol v2")
	})
}
