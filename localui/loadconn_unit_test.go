package localui_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestConnTimesCountsRequests: the load test's server-side timing counts
// one time per request on a kept-alive TLS connection, of the kind its
// client's transport named, and not the TLS handshake's exchanges (Go's
// TLS 1.3 server writes its session ticket after the client's Finished:
// two exchanges before the first request).
func TestConnTimesCountsRequests(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "svar")
	}))
	timed := timeConns(srv.Listener)
	srv.Listener = timed
	srv.StartTLS()
	defer srv.Close()
	var kinds connKinds
	page := &http.Client{Transport: kinds.transport(srv.Client().Transport.(*http.Transport), "page")}
	other := &http.Client{Transport: kinds.transport(srv.Client().Transport.(*http.Transport), "refresh")}
	get := func(c *http.Client) {
		req, _ := http.NewRequestWithContext(kinds.count(t.Context()), http.MethodGet, srv.URL, nil)
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	for range 3 {
		get(page)
	}
	get(other)
	page.CloseIdleConnections()
	other.CloseIdleConnections()
	srv.Close() // every connection closed: every request ended
	if n := len(timed.of(&kinds, "page")); n != 3 {
		t.Errorf("%d page requests timed, want 3", n)
	}
	if n := len(timed.of(&kinds, "refresh")); n != 1 {
		t.Errorf("%d refresh requests timed, want 1", n)
	}
}
