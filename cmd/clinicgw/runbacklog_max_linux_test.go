package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"clinicgw/agent/democlinic"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// runBacklogMaxSize is BenchmarkRunBacklog's memory case: with
// CLINICGW_RUNBACKLOG_MAXSIZE=1 the central store holds cases at the
// wire's largest (backlogtest.MaxSubmission, about 220 KB each on the
// wire; 1,500 of them unless CLINICGW_RUNBACKLOG_CASES says) instead of
// realistic ones, as BenchmarkBurstRSS in sync/uplink has them, and the
// figure that counts is the real process's peak RssAnon (goal ≤ 64 MiB).
var runBacklogMaxSize = os.Getenv("CLINICGW_RUNBACKLOG_MAXSIZE") == "1"

// runBacklogCases is how many cases BenchmarkRunBacklog syncs by default.
func runBacklogCases() int {
	if runBacklogMaxSize {
		return 1500
	}
	return 100000
}

// submitBacklog puts n cases of the unit to the clinic's central store:
// realistic ones, or with CLINICGW_RUNBACKLOG_MAXSIZE=1 maximum-size ones,
// their form (backlogtest.MaxForm) published first and written to the
// clinic's forms file, which the gateway publishes at every connect.
func submitBacklog(ctx context.Context, b *testing.B, dc *democlinic.Clinic, cs *democlinic.Central, n int) {
	if !runBacklogMaxSize {
		if err := backlogtest.Submit(ctx, cs.Store, demoUnit, n); err != nil {
			b.Fatal(err)
		}
		return
	}
	forms, err := wire.Marshal(backlogtest.MaxForm())
	if err != nil {
		b.Fatal(err)
	}
	if err := atomicfile.Write(filepath.Join(dc.Dir, dc.Config.Central.FormsFile), forms, 0o640); err != nil {
		b.Fatal(err)
	}
	cl := unitClient(b, dc)
	defer cl.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, cs.APIURL+wire.PathForms2, bytes.NewReader(forms))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b.Fatalf("publishing the maximum-size form: %s: %s", resp.Status, body)
	}
	if err := backlogtest.SubmitMax(ctx, cs.Store, demoUnit, 0, n); err != nil {
		b.Fatal(err)
	}
}

// unitClient is an HTTP client to the central store as the clinic's
// gateway: its client certificate, the central store's CA.
func unitClient(b *testing.B, dc *democlinic.Clinic) *http.Client {
	c := dc.Config.Central
	at := func(p string) string { return filepath.Join(dc.Dir, p) }
	cert, err := tlsconf.LoadKeyPair(at(c.CertFile), at(c.KeyFile))
	if err != nil {
		b.Fatal(err)
	}
	roots, err := tlsconf.LoadPool(at(c.CAFile))
	if err != nil {
		b.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: tlsconf.Client(cert, roots, "127.0.0.1", nil)}}
}
