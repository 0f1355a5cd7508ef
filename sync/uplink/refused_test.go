package uplink

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/tlsconf"
)

// TestRefused: a gateway the central store must not serve, or one that must
// not trust the server, gets no data: Status.LastError says why, nothing is
// stored, nothing is acknowledged.
func TestRefused(t *testing.T) {
	foreign, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	foreignUnit, err := foreign.Unit(unit, "Falska vårdcentralen")
	if err != nil {
		t.Fatal(err)
	}
	strangerUnit, err := testPKI().Unit(otherUnit, "Vårdcentralen Annanstans")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tls  func() *tls.Config
	}{
		{"client cert from a foreign CA", func() *tls.Config {
			return tlsconf.Client(foreignUnit, testPKI().RootPool(), "127.0.0.1", nil)
		}},
		{"no client cert", func() *tls.Config {
			// As from a token that holds no certificate: New refuses a
			// configuration that has no way to present one at all.
			cfg := tlsconf.Client(tls.Certificate{}, testPKI().RootPool(), "127.0.0.1", nil)
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &tls.Certificate{}, nil }
			return cfg
		}},
		{"a unit the central store does not serve", func() *tls.Config {
			return tlsconf.Client(strangerUnit, testPKI().RootPool(), "127.0.0.1", nil)
		}},
		{"server cert from a CA the gateway does not trust", func() *tls.Config {
			return tlsconf.Client(unitCert(t), foreign.RootPool(), "127.0.0.1", nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCentral(t)
			c.submit(0)
			g := newGateway(t, c.url(), unitCert(t), func(cfg *Config) { cfg.TLS = tc.tls() })
			g.start()
			waitFor(t, 10*time.Second, "a failure recorded", func() bool {
				return countLogged(g.logs.String(), "pull failed; will retry") >= 2 &&
					countLogged(g.logs.String(), "stream down; polling meanwhile") >= 1
			})
			g.stop()
			st := g.up.Status()
			if st.LastError == "" || st.Connected || st.Cursor != 0 || !st.LastPull.IsZero() {
				t.Errorf("status %+v", st)
			}
			t.Logf("last error: %s", st.LastError)
			if cur, err := g.svc.SyncCursor(context.Background()); err != nil || cur != 0 {
				t.Errorf("cursor %d, %v; want 0", cur, err)
			}
			if ids := g.ids(); len(ids) != 0 {
				t.Errorf("%d cases stored", len(ids))
			}
			if acked, err := c.store.Acked(context.Background(), unit); err != nil || acked != 0 {
				t.Errorf("central acked %d, %v; want 0", acked, err)
			}
		})
	}
}
