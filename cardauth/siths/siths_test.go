package siths

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// responder is a local OCSP responder and CRL distribution point for the
// dev PKI's person CA; each test sets what they answer.
type responder struct {
	mu        sync.Mutex
	ocspBody  []byte // nil: down (HTTP 503)
	crlBody   []byte // nil: down
	ocspCalls int
	srv       *httptest.Server
}

func newResponder(t *testing.T) *responder {
	r := &responder{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.ocspCalls++
		if r.ocspBody == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(r.ocspBody)
	})
	mux.HandleFunc("GET /person.crl", func(w http.ResponseWriter, _ *http.Request) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.crlBody == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(r.crlBody)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *responder) set(ocspBody, crlBody []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ocspBody, r.crlBody = ocspBody, crlBody
}

type fixture struct {
	p     *devpki.PKI
	clock *fakeClock
	r     *responder
	leaf  *x509.Certificate
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, clock: &fakeClock{t: t0}, r: newResponder(t)}
	f.leaf = f.person(t, devpki.KeyECDSAP256)
	return f
}

func (f *fixture) person(t *testing.T, alg string, opts ...devpki.Option) *x509.Certificate {
	t.Helper()
	opts = append([]devpki.Option{devpki.OCSP(f.r.srv.URL + "/ocsp"), devpki.CRL(f.r.srv.URL + "/person.crl")}, opts...)
	cert, _, err := f.p.Person("SE2321000016-S001", "Sigrid", "Sithsson", alg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func (f *fixture) verifier(t *testing.T, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := Config{Roots: f.p.Roots(), Intermediates: []*x509.Certificate{f.p.PersonCA()}, Clock: f.clock, FetchTimeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ocspFor signs a response about leaf with status at the clock's time,
// fresh for a day unless next is given.
func (f *fixture) ocspFor(t *testing.T, leaf *x509.Certificate, status int, mod func(*ocsp.Response)) []byte {
	t.Helper()
	now := f.clock.Now()
	tmpl := ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour)}
	if status == ocsp.Revoked {
		tmpl.RevokedAt, tmpl.RevocationReason = now.Add(-time.Hour), ocsp.KeyCompromise
	}
	if mod != nil {
		mod(&tmpl)
	}
	b, err := f.p.SignOCSP(tmpl, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) crl(t *testing.T, next time.Duration, revoked ...*big.Int) []byte {
	t.Helper()
	now := f.clock.Now()
	b, err := f.p.PersonCRL(revoked, 1, now.Add(-time.Hour), now.Add(next))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRevocation(t *testing.T) {
	f := newFixture(t)
	leaf := f.leaf
	good := func() []byte { return f.ocspFor(t, leaf, ocsp.Good, nil) }
	freshCRL := func() []byte { return f.crl(t, 24*time.Hour) }
	listing := func() []byte { return f.crl(t, 24*time.Hour, leaf.SerialNumber) }
	withResponder := func(signing bool) []byte {
		rc, rk, err := f.p.OCSPResponder(signing)
		if err != nil {
			t.Fatal(err)
		}
		b, err := f.p.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
			ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(time.Hour)}, rc, rk)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	foreignSigned := func() []byte {
		other, err := devpki.New(nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := other.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
			ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(time.Hour)}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name     string
		ocsp     []byte
		crl      []byte
		softFail bool
		want     Revocation
		err      error
		revoked  string // "ocsp" or "crl"
		detail   string
	}{
		{name: "good", ocsp: good(), want: GoodOCSP},
		{name: "revoked by OCSP", ocsp: f.ocspFor(t, leaf, ocsp.Revoked, nil), crl: freshCRL(), revoked: "ocsp"},
		{name: "unknown, fresh CRL without it", ocsp: f.ocspFor(t, leaf, ocsp.Unknown, nil), crl: freshCRL(), want: GoodCRL},
		{name: "unknown, CRL lists it", ocsp: f.ocspFor(t, leaf, ocsp.Unknown, nil), crl: listing(), revoked: "crl"},
		{name: "responder down, fresh CRL", crl: freshCRL(), want: GoodCRL},
		{name: "responder down, CRL lists it", crl: listing(), revoked: "crl"},
		{name: "both down", err: ErrUndetermined, detail: "HTTP 503"},
		{name: "both down, soft fail", softFail: true, want: Undetermined},
		{name: "stale OCSP, fresh CRL", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour)
		}), crl: freshCRL(), want: GoodCRL},
		{name: "stale OCSP, stale CRL", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour)
		}), crl: f.crl(t, -time.Minute), err: ErrUndetermined, detail: "nextUpdate"},
		{name: "OCSP without nextUpdate, old", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = t0.Add(-time.Hour), time.Time{}
		}), err: ErrUndetermined, detail: "no nextUpdate"},
		{name: "OCSP from the future", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate = t0.Add(time.Hour)
		}), err: ErrUndetermined, detail: "future"},
		{name: "delegated responder with OCSPSigning", ocsp: withResponder(true), want: GoodOCSP},
		{name: "delegated responder without OCSPSigning", ocsp: withResponder(false), err: ErrUndetermined, detail: "OCSPSigning"},
		{name: "response signed by a foreign CA", ocsp: foreignSigned(), err: ErrUndetermined, detail: "OCSP"},
		{name: "response about another certificate", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.SerialNumber = big.NewInt(42)
		}), err: ErrUndetermined},
		{name: "garbage from the responder", ocsp: []byte("<html>proxy error</html>"), crl: []byte("nor a CRL"), err: ErrUndetermined},
		{name: "CRL signed by another CA", crl: func() []byte {
			other, _ := devpki.New(nil, t0)
			b, _ := other.PersonCRL(nil, 1, t0.Add(-time.Hour), t0.Add(time.Hour))
			return b
		}(), err: ErrUndetermined, detail: "not signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.r.set(tc.ocsp, tc.crl)
			v := f.verifier(t, func(c *Config) { c.SoftFail = tc.softFail })
			id, err := v.Verify(context.Background(), leaf)
			var rev *RevokedError
			switch {
			case tc.revoked != "":
				if !errors.As(err, &rev) || rev.Source != tc.revoked || rev.Serial.Cmp(leaf.SerialNumber) != 0 {
					t.Fatalf("Verify = %v, want revoked per %s", err, tc.revoked)
				}
				if !strings.Contains(Swedish(err), "spärrat") {
					t.Errorf("Swedish: %q", Swedish(err))
				}
			case tc.err != nil:
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("Verify = %v, want %v mentioning %q", err, tc.err, tc.detail)
				}
			default:
				if err != nil || id.Revocation != tc.want || id.HSAID != "SE2321000016-S001" || id.Surname != "Sithsson" {
					t.Fatalf("Verify = %+v, %v; want accepted with %s", id, err, tc.want)
				}
			}
		})
	}
}

func TestProfile(t *testing.T) {
	f := newFixture(t)
	f.r.set(nil, f.crl(t, 24*time.Hour))
	v := f.verifier(t, nil)
	rsaLeaf := f.person(t, devpki.KeyRSA2048)
	p384 := f.person(t, devpki.KeyECDSAP384)
	signing, _, err := f.p.PersonSigning("SE2321000016-S001", "Sigrid", "Sithsson", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	noHSA, _, _ := f.p.Person("", "Utan", "Id", devpki.KeyECDSAP256, devpki.CRL(f.r.srv.URL+"/person.crl"))
	expired := f.person(t, devpki.KeyECDSAP256, devpki.Validity(t0.Add(-48*time.Hour), t0.Add(-time.Hour)))
	notYet := f.person(t, devpki.KeyECDSAP256, devpki.Validity(t0.Add(time.Hour), t0.Add(48*time.Hour)))
	foreign, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	alien, _, _ := foreign.Person("SE2321000016-S001", "Sigrid", "Sithsson", devpki.KeyECDSAP256)
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		err  error
	}{
		{"RSA-2048", rsaLeaf, nil},
		{"P-256", f.leaf, nil},
		{"P-384", p384, nil},
		{"the signing certificate", signing, ErrNotAuthentication},
		{"no HSA-ID", noHSA, ErrNoHSAID},
		{"expired", expired, ErrExpired},
		{"not yet valid", notYet, ErrExpired},
		{"another CA", alien, ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hsa, err := v.CheckAuthCert(context.Background(), tc.cert)
			if !errors.Is(err, tc.err) {
				t.Fatalf("CheckAuthCert = %q, %v; want %v", hsa, err, tc.err)
			}
			if err == nil && hsa != "SE2321000016-S001" {
				t.Errorf("HSA-ID %q", hsa)
			}
			if err != nil && Swedish(err) == "" {
				t.Error("no Swedish text")
			}
		})
	}
	if !IsAuthentication(f.leaf) || IsAuthentication(signing) {
		t.Error("IsAuthentication tells the certificates apart wrongly")
	}
}

// TestCache: one OCSP fetch serves logins until the response goes stale.
func TestCache(t *testing.T) {
	f := newFixture(t)
	f.r.set(f.ocspFor(t, f.leaf, ocsp.Good, func(r *ocsp.Response) { r.NextUpdate = t0.Add(30 * time.Minute) }), nil)
	v := f.verifier(t, nil)
	for range 3 {
		if _, err := v.Verify(context.Background(), f.leaf); err != nil {
			t.Fatal(err)
		}
	}
	if st := v.Stats(); st.OCSPFetches != 1 || st.OCSPCacheHits != 2 {
		t.Errorf("stats %+v, want 1 fetch and 2 hits", st)
	}
	f.clock.Advance(31 * time.Minute)
	f.r.set(f.ocspFor(t, f.leaf, ocsp.Revoked, nil), nil)
	var rev *RevokedError
	if _, err := v.Verify(context.Background(), f.leaf); !errors.As(err, &rev) {
		t.Errorf("after the cached response went stale: %v, want the new answer (revoked)", err)
	}
	if st := v.Stats(); st.OCSPFetches != 2 {
		t.Errorf("stats %+v, want a second fetch", st)
	}
}

func FuzzParseProfile(f *testing.F) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	c, _, _ := p.Person("SE2321000016-S001", "A", "B", devpki.KeyECDSAP256)
	f.Add(c.Raw)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		_, _ = HSAID(cert)
		_ = IsAuthentication(cert)
	})
}

// fuzzSetup is a verifier, a leaf and its issuer for the response fuzzers.
func fuzzSetup(f *testing.F) (*Verifier, *x509.Certificate, *x509.Certificate, *devpki.PKI) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	leaf, _, _ := p.Person("SE2321000016-S001", "A", "B", devpki.KeyECDSAP256)
	v, err := New(Config{Roots: p.Roots(), Intermediates: []*x509.Certificate{p.PersonCA()}, Clock: &fakeClock{t: t0}})
	if err != nil {
		f.Fatal(err)
	}
	return v, leaf, p.PersonCA(), p
}

func FuzzOCSPResponse(f *testing.F) {
	v, leaf, issuer, p := fuzzSetup(f)
	good, _ := p.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: t0, NextUpdate: t0.Add(time.Hour)}, nil, nil)
	f.Add(good)
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, body []byte) {
		if resp, err := v.parseOCSP(body, leaf, issuer, t0); err == nil {
			_ = ocspStatus(resp, leaf)
		}
	})
}

func FuzzCRL(f *testing.F) {
	v, leaf, issuer, p := fuzzSetup(f)
	crl, _ := p.PersonCRL([]*big.Int{leaf.SerialNumber}, 1, t0.Add(-time.Hour), t0.Add(time.Hour))
	f.Add(crl)
	f.Fuzz(func(t *testing.T, body []byte) {
		if list, err := v.parseCRL(body, issuer, t0); err == nil {
			_ = crlStatus(list, leaf)
		}
	})
}

// BenchmarkVerify: the login's certificate check with a cached OCSP
// response (the hot path) and with a fetch from a loopback responder.
func BenchmarkVerify(b *testing.B) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		b.Fatal(err)
	}
	var body []byte
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ocsp", func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); w.Write(body) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	leaf, _, _ := p.Person("SE2321000016-S001", "A", "B", devpki.KeyECDSAP256, devpki.OCSP(srv.URL+"/ocsp"))
	body, _ = p.SignOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: t0, NextUpdate: t0.Add(time.Hour)}, nil, nil)
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "fetched"}[cached]
		b.Run(name, func(b *testing.B) {
			v, _ := New(Config{Roots: p.Roots(), Intermediates: []*x509.Certificate{p.PersonCA()}, Clock: &fakeClock{t: t0}})
			for b.Loop() {
				if !cached {
					v.mu.Lock()
					clear(v.ocsp)
					v.mu.Unlock()
				}
				if _, err := v.Verify(context.Background(), leaf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
