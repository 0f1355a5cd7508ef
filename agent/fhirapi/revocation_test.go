package fhirapi_test

import (
	"context"
	"crypto/x509"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/siths"
)

// notRevoked takes every certificate as not revoked: for the tests and
// benchmarks that are not about revocation (TestRevocationOverMTLS is).
type notRevoked struct{}

func (notRevoked) Verify(context.Context, *x509.Certificate, []*x509.Certificate) (siths.Identity, error) {
	return siths.Identity{}, nil
}

// swapRevocation is the fixture's check: notRevoked until a test sets a
// real one.
type swapRevocation struct {
	mu sync.Mutex
	v  interface {
		Verify(context.Context, *x509.Certificate, []*x509.Certificate) (siths.Identity, error)
	}
}

func (s *swapRevocation) Verify(ctx context.Context, leaf *x509.Certificate, extra []*x509.Certificate) (siths.Identity, error) {
	s.mu.Lock()
	v := s.v
	s.mu.Unlock()
	if v == nil {
		return notRevoked{}.Verify(ctx, leaf, extra)
	}
	return v.Verify(ctx, leaf, extra)
}

// responder is a local OCSP responder and CRL distribution point for the
// function CA, answering what the test sets (nil: 503).
type responder struct {
	mu        sync.Mutex
	ocsp, crl []byte
	ocspHits  int
}

func (rs *responder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	body := rs.crl
	if r.URL.Path == "/ocsp" {
		body = rs.ocsp
		rs.ocspHits++
	}
	rs.mu.Unlock()
	if body == nil {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write(body)
}

func (rs *responder) set(ocspBody, crlBody []byte) {
	rs.mu.Lock()
	rs.ocsp, rs.crl = ocspBody, crlBody
	rs.mu.Unlock()
}

func (rs *responder) hits() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.ocspHits
}

// TestRevocationOverMTLS: the record system's function certificate is
// checked at each request with the staff login's policy (cardauth/siths)
// against a local OCSP responder and CRL of the function CA, over real
// mutual TLS with curl: good by OCSP; revoked by OCSP; responder down and
// a fresh CRL without it; responder down and the CRL lists it; both down
// (fail closed: 503); a stale OCSP answer with no CRL; an answer cached
// until its nextUpdate, fetched again after.
func TestRevocationOverMTLS(t *testing.T) {
	f := newFixture(t, 1, 6000)
	rs := &responder{}
	srv := httptest.NewServer(rs)
	t.Cleanup(srv.Close)
	cert, err := f.pki.Unit(record, "record", devpki.OCSP(srv.URL+"/ocsp"), devpki.CRL(srv.URL+"/crl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(f.dir, "checked", cert); err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	v, err := siths.New(siths.Config{Roots: []*x509.Certificate{f.pki.Root()}, Intermediates: []*x509.Certificate{f.pki.FunctionCA()},
		Clock: f.clock, FetchTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.rev.mu.Lock()
	f.rev.v = v
	f.rev.mu.Unlock()
	now := f.clock.Now()
	answer := func(status int, this, next time.Duration) func() []byte {
		return func() []byte {
			b, err := f.pki.SignFunctionOCSP(ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(this),
				NextUpdate: now.Add(next), RevokedAt: now.Add(-time.Hour), RevocationReason: ocsp.KeyCompromise})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	crl := func(revoked ...*big.Int) func() []byte {
		return func() []byte {
			b, err := f.pki.FunctionCRL(revoked, 1, now.Add(-time.Hour), now.Add(24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	down := func() []byte { return nil }
	for _, tc := range []struct {
		name      string
		ocsp, crl func() []byte
		want      int
	}{
		{"good by OCSP", answer(ocsp.Good, -time.Minute, time.Minute), down, 200},
		{"revoked by OCSP", answer(ocsp.Revoked, -time.Minute, time.Minute), crl(), 403},
		{"responder down, fresh CRL without it", down, crl(), 200},
		{"responder down, the CRL lists it", down, crl(leaf.SerialNumber), 403},
		{"both down: fail closed", down, down, 503},
		{"stale OCSP answer, no CRL", answer(ocsp.Good, -48*time.Hour, -24*time.Hour), down, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Advance(2 * time.Hour) // past every cached answer
			now = f.clock.Now()
			rs.set(tc.ocsp(), tc.crl())
			r := f.curl("checked", "/Task")
			if r.status != tc.want {
				t.Fatalf("%d, want %d: %s", r.status, tc.want, r.body)
			}
			if r.status != 200 {
				if m := r.decode(t); m["resourceType"] != "OperationOutcome" {
					t.Fatalf("a refusal that is not an OperationOutcome: %s", r.body)
				}
				validate(t, "refused", r.body)
			}
		})
	}
	// Cached until the responder's nextUpdate: a second request within it
	// asks the responder nothing; one after it asks again.
	f.clock.Advance(2 * time.Hour)
	now = f.clock.Now()
	rs.set(answer(ocsp.Good, -time.Minute, 10*time.Minute)(), nil)
	before := rs.hits()
	for range 2 {
		if r := f.curl("checked", "/Task"); r.status != 200 {
			t.Fatalf("%d: %s", r.status, r.body)
		}
	}
	if got := rs.hits() - before; got != 1 {
		t.Fatalf("two requests within nextUpdate asked the responder %d times, want 1", got)
	}
	f.clock.Advance(11 * time.Minute)
	now = f.clock.Now()
	rs.set(answer(ocsp.Revoked, -time.Minute, 10*time.Minute)(), nil)
	if r := f.curl("checked", "/Task"); r.status != 403 {
		t.Fatalf("after nextUpdate, revoked meanwhile: %d, want 403: %s", r.status, r.body)
	}
}
