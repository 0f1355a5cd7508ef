package uplink

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/store"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

var _ SealingKeys = (*store.DB)(nil)

// sealingGateway is newGateway with the store's sealing key made and
// given to the uplink.
func sealingGateway(t *testing.T, baseURL string) *gateway {
	t.Helper()
	g := newGateway(t, baseURL, unitCert(t), nil)
	if _, _, err := g.db.EnsureSealingKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.cfg.SealingKeys = g.db
	g.restartUplink()
	return g
}

func sealingState(g *gateway, want SealingKeyState) func() bool {
	return func() bool { return g.up.Status().SealingKey == want }
}

// TestSealingKeyPublication: over real mutual TLS with the reference
// central store, the gateway publishes its current sealing key at start,
// finds it published at the next start (and publishes nothing), and
// publishes the new key after a rotation. No key material in either log.
func TestSealingKeyPublication(t *testing.T) {
	c := startCentral(t)
	g := sealingGateway(t, c.url())
	current := func() string {
		pub, _, err := g.db.CurrentSealingPublicKey(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return pub.ID().String()
	}
	first := current()
	centralKey := func() string {
		st, ok, err := c.store.SealingKey(context.Background(), unit)
		if err != nil || !ok {
			t.Fatalf("the central store has no sealing key for the unit: %v", err)
		}
		return st.KeyID
	}
	for round := range 2 {
		g.start()
		waitFor(t, 10*time.Second, "published", sealingState(g, SealingKeyPublished))
		if st := g.up.Status(); st.SealingKeyID != first || st.SealingKeyRefusals != 0 {
			t.Fatalf("round %d: %+v", round, st)
		}
		if got := centralKey(); got != first {
			t.Fatalf("round %d: the central store publishes %s, want %s", round, got, first)
		}
		g.stop()
		g.restartUplink()
	}
	if n := strings.Count(g.logs.String(), "sealing key published to the central store"); n != 1 {
		t.Errorf("published %d times in two starts, want once", n)
	}

	if _, err := g.db.RotateSealingKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := current()
	g.start()
	waitFor(t, 10*time.Second, "the rotated key published", func() bool { return g.up.Status().SealingKeyID == second })
	if got := centralKey(); got != second {
		t.Fatalf("after rotation the central store publishes %s", got)
	}
	g.stop()

	// A renewed client certificate (a new key, the same unit): the
	// statement under the old one is signed again, nothing refused.
	before, _, _ := c.store.SealingKey(context.Background(), unit)
	g.cfg.TLS.Certificates = []tls.Certificate{unitCert(t)}
	g.restartUplink()
	g.start()
	waitFor(t, 10*time.Second, "signed again", func() bool {
		st, _, _ := c.store.SealingKey(context.Background(), unit)
		return st.Certificate != before.Certificate
	})
	waitFor(t, 10*time.Second, "published", sealingState(g, SealingKeyPublished))
	g.stop()
	if st := g.up.Status(); st.SealingKeyRefusals != 0 || st.SealingKeyID != second {
		t.Errorf("after a certificate renewal: %+v", st)
	}

	st, _, _ := c.store.SealingKey(context.Background(), unit)
	for _, logs := range []string{g.logs.String(), c.logs.String()} {
		for _, secret := range []string{st.PublicKey[:40], st.Signature[:20], st.Certificate[:40]} {
			if strings.Contains(logs, secret) {
				t.Errorf("a log holds key material %q", secret)
			}
		}
	}
}

// swapper sits in front of the central store's API (as a TLS-terminating
// proxy or a tampered central store would) and rewrites what GET
// sealing-key answers while swaps > 0 (each rewrite takes one).
type swapper struct {
	next  http.Handler
	swaps atomic.Int32
	swap  func(wire.SealingKeyStatement) wire.SealingKeyStatement
	old   bool // answer the sealing key's path as a central store of the previous release
}

func (s *swapper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == wire.PathSealingKey2 && s.old {
		wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
		return
	}
	if r.URL.Path != wire.PathSealingKey2 || r.Method != http.MethodGet || s.swaps.Load() <= 0 {
		s.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	s.next.ServeHTTP(rec, r)
	p, err := wire.DecodePublishedSealingKey(rec.Body)
	if err != nil || len(p.Statements) == 0 {
		s.next.ServeHTTP(w, r)
		return
	}
	s.swaps.Add(-1)
	p.Statements[0] = s.swap(p.Statements[0])
	wire.WriteJSON(w, http.StatusOK, p)
}

// TestSealingKeySwapDetected: what the central store publishes for the
// unit is changed between it and the gateway — the key swapped under the
// unit's signature, or a statement of another unit's certificate — and
// the gateway refuses it (counted, logged, not trusted), publishes its
// own, and trusts only what it signed. A swap that goes on after that
// leaves the key refused.
func TestSealingKeySwapDetected(t *testing.T) {
	attacker, _ := seal.GenerateKey(rand.Reader)
	otherUnit, err := testPKI().Unit("SE2321000016-C001", "Vårdcentralen Grannen")
	if err != nil {
		t.Fatal(err)
	}
	otherLeaf, _ := x509.ParseCertificate(otherUnit.Certificate[0])
	swaps := map[string]func(wire.SealingKeyStatement) wire.SealingKeyStatement{
		"the key swapped under the signature": func(st wire.SealingKeyStatement) wire.SealingKeyStatement {
			st.PublicKey, st.KeyID = base64.StdEncoding.EncodeToString(attacker.Public().Bytes()), attacker.ID().String()
			return st
		},
		"the key swapped, the id left as the unit's": func(st wire.SealingKeyStatement) wire.SealingKeyStatement {
			st.PublicKey = base64.StdEncoding.EncodeToString(attacker.Public().Bytes())
			return st
		},
		"another unit's certificate signs for this unit": func(wire.SealingKeyStatement) wire.SealingKeyStatement {
			st, err := seal.SignStatement(otherUnit.PrivateKey.(crypto.Signer), otherLeaf, unit, attacker.Public(), time.Now(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	}
	for name, swap := range swaps {
		t.Run(name, func(t *testing.T) {
			c := startCentral(t)
			sw := &swapper{next: c.store.APIHandler(), swap: swap}
			front := serveTLS(t, sw)
			g := sealingGateway(t, front.URL)
			pub, _, _ := g.db.CurrentSealingPublicKey(context.Background())
			g.start() // publishes through the front, nothing swapped yet
			waitFor(t, 10*time.Second, "published", sealingState(g, SealingKeyPublished))
			g.stop()

			// Swapped once: refused, published again, trusted after.
			sw.swaps.Store(1)
			g.restartUplink()
			g.start()
			waitFor(t, 10*time.Second, "the swap refused", func() bool { return g.up.Status().SealingKeyRefusals == 1 })
			waitFor(t, 10*time.Second, "published again", sealingState(g, SealingKeyPublished))
			g.stop()
			if st := g.up.Status(); st.SealingKeyID != pub.ID().String() {
				t.Errorf("trusted %s, the unit's key is %s", st.SealingKeyID, pub.ID())
			}
			if !strings.Contains(g.logs.String(), "did not sign; refused, not sealed to") || !strings.Contains(g.logs.String(), attacker.ID().String()) {
				t.Errorf("the refusal is not logged with the swapped key's id:\n%s", g.logs.String())
			}

			// Swapped for good: refused twice, never trusted.
			sw.swaps.Store(1000)
			g.restartUplink()
			g.start()
			waitFor(t, 10*time.Second, "refused", sealingState(g, SealingKeyRefused))
			g.stop()
			if st := g.up.Status(); st.SealingKeyRefusals != 2 || st.SealingKeyID != "" {
				t.Errorf("a lasting swap: %+v", st)
			}
			// The central store itself holds the unit's own statement.
			if st, ok, _ := c.store.SealingKey(context.Background(), unit); !ok || st.KeyID != pub.ID().String() {
				t.Errorf("the central store holds %s", st.KeyID)
			}
		})
	}
}

// TestSealingKeyOldCentral: a central store of the previous release
// answers 404: the publication is skipped with a log line, and cases
// still arrive.
func TestSealingKeyOldCentral(t *testing.T) {
	c := startCentral(t)
	front := serveTLS(t, &swapper{next: c.store.APIHandler(), old: true})
	g := sealingGateway(t, front.URL)
	g.start()
	waitFor(t, 10*time.Second, "skipped", sealingState(g, SealingKeyUnsupported))
	id := c.submit(1)
	waitFor(t, 10*time.Second, "the case arrives", func() bool { return g.ids()[id] })
	g.stop()
	if !strings.Contains(g.logs.String(), "sealing key publication skipped") {
		t.Error("no log line says the publication was skipped")
	}
	if strings.Contains(g.logs.String(), `"level":"ERROR"`) {
		t.Errorf("an older central store is an error in the log:\n%s", g.logs.String())
	}
}
