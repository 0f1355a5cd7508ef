package uplink

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// oldCentral wraps the central store's API: while old is set it answers
// 404 to the sealing paths, as a central store of the previous release
// does; while swap is set it publishes a central sealing key signed by a
// server certificate of another PKI; it counts the plain outbox posts.
type oldCentral struct {
	old, swap atomic.Bool
	plain     atomic.Int32
	swapped   []byte // the swapped statement's answer
}

func (o *oldCentral) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == wire.PathOutbox2 || p == wire.PathOutbox:
			o.plain.Add(1)
		case o.old.Load() && (p == wire.PathCentralSealingKey2 || p == wire.PathOutboxSealed2 || p == wire.PathSealingKey2 || p == wire.PathSealing2):
			wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
			return
		case o.swap.Load() && p == wire.PathCentralSealingKey2:
			w.Header().Set("Content-Type", wire.ContentTypeJSON)
			w.Write(o.swapped)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// swappedStatement is a central key statement of another key, signed by
// a server certificate for the right name from another PKI.
func swappedStatement(t *testing.T) []byte {
	t.Helper()
	stranger, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := stranger.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := seal.SignCentralStatement(cert.PrivateKey.(crypto.Signer), leaf, cert.Certificate[1:], k.Public(), time.Now(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wire.Marshal(wire.PublishedCentralSealingKey{Statements: []wire.CentralSealingKeyStatement{st}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOutboundNoDowngrade: with central.sealing on, the gateway seals its
// outbox to the central store's verified key and never posts plain. Once
// it has, a central store that answers 404 (as the previous release) gets
// no plain items: the answer waits in the outbox, the status says why,
// across a restart of the gateway too (the mark is in its store); when
// the central store offers its key again the answer goes, sealed.
func TestOutboundNoDowngrade(t *testing.T) {
	o := &oldCentral{}
	c := startCentralWrapped(t, o.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	waitFor(t, 20*time.Second, "sealing on", func() bool { return g.up.Status().Sealing == SealingOn })
	first, second := c.submit(0), c.submit(1)
	waitFor(t, 20*time.Second, "the cases at the gateway", func() bool { return g.ids()[first] && g.ids()[second] })
	g.answer(first)
	waitFor(t, 20*time.Second, "the answer sealed and taken", func() bool {
		return g.pending() == 0 && g.up.Status().OutboundSealing == OutboundSealed
	})

	o.old.Store(true)
	g.answer(second)
	waitFor(t, 20*time.Second, "the answer waiting", func() bool { return g.up.Status().OutboundSealing == OutboundWaiting })
	waiting := g.pending() // the assignment and the answer
	if waiting == 0 {
		t.Fatal("the outbox is empty, want the answer waiting")
	}
	if st := g.up.Status(); !strings.Contains(st.LastError, "wait") {
		t.Errorf("the status's last error %q does not say the items wait", st.LastError)
	}
	g.stop()
	g.restartUplink()
	g.start()
	waitFor(t, 20*time.Second, "the answer waiting after a restart", func() bool { return g.up.Status().OutboundSealing == OutboundWaiting })
	if n := g.pending(); n != waiting {
		t.Fatalf("%d items in the outbox after a restart, want the %d waiting", n, waiting)
	}
	if n := o.plain.Load(); n != 0 {
		t.Fatalf("the gateway posted %d plain outbox batches", n)
	}

	o.old.Store(false)
	g.up.Kick()
	waitFor(t, 20*time.Second, "the answer sealed and taken", func() bool {
		return g.pending() == 0 && g.up.Status().OutboundSealing == OutboundSealed
	})
	if n := o.plain.Load(); n != 0 {
		t.Errorf("the gateway posted %d plain outbox batches", n)
	}
}

// TestOutboundPreviousRelease: a central store of the previous release
// (404 to every sealing path) gets plain items from a gateway that never
// sealed outbound, as before.
func TestOutboundPreviousRelease(t *testing.T) {
	o := &oldCentral{}
	o.old.Store(true)
	c := startCentralWrapped(t, o.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	id := c.submit(0)
	waitFor(t, 20*time.Second, "the case at the gateway", func() bool { return g.ids()[id] })
	g.answer(id)
	waitFor(t, 20*time.Second, "the answer taken plain", func() bool {
		return g.pending() == 0 && g.up.Status().OutboundSealing == OutboundPlain
	})
	if o.plain.Load() == 0 {
		t.Error("no plain outbox post")
	}
}

// TestOutboundSwappedKeyRefused: a central sealing key signed by a server
// certificate of another CA (a swap, by the central store's file or by
// whatever terminates TLS in front of it) is refused and counted like the
// unit key's refusals; nothing is sealed to it, nothing goes plain, the
// answer waits; once the real key is published, it goes.
func TestOutboundSwappedKeyRefused(t *testing.T) {
	o := &oldCentral{swapped: swappedStatement(t)}
	o.swap.Store(true)
	c := startCentralWrapped(t, o.wrap)
	g := sealedGateway(t, c.url(), true)
	g.start()
	id := c.submit(0)
	waitFor(t, 20*time.Second, "the case at the gateway", func() bool { return g.ids()[id] })
	g.answer(id)
	waitFor(t, 20*time.Second, "the swapped key refused", func() bool {
		st := g.up.Status()
		return st.OutboundSealing == OutboundRefused && st.SealingKeyRefusals > 0
	})
	if n := g.pending(); n == 0 || o.plain.Load() != 0 {
		t.Fatalf("%d items in the outbox, %d plain posts; want the answer waiting, none plain", n, o.plain.Load())
	}
	o.swap.Store(false)
	g.up.Kick()
	waitFor(t, 20*time.Second, "the answer sealed and taken", func() bool {
		return g.pending() == 0 && g.up.Status().OutboundSealing == OutboundSealed
	})
}
