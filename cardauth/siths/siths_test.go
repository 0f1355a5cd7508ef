package siths

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
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
	"clinicgw/cardauth/devpki/devpkitest"
	"clinicgw/sync/clock/clocktest"
)

const hsaID = "SE2321000016-S001"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// answer is what one endpoint of the responder serves: a body, or nil
// for down (HTTP 503); hang holds the request until the client gives up.
type answer struct {
	body []byte
	hang bool
}

// responder is a local OCSP responder and CRL distribution points for the
// dev PKI (the person CA's CRL and the root's), over real HTTP on
// loopback; each test sets what they answer and reads what they were asked.
type responder struct {
	mu      sync.Mutex
	answers map[string]answer // path → answer
	calls   map[string]int
	srv     *httptest.Server
}

func newResponder(t testing.TB) *responder {
	r := &responder{answers: map[string]answer{}, calls: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		if (req.URL.Path == "/ocsp") != (req.Method == http.MethodPost) {
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		r.mu.Lock()
		a := r.answers[req.URL.Path]
		r.calls[req.URL.Path]++
		r.mu.Unlock()
		switch {
		case a.hang:
			<-req.Context().Done()
		case a.body == nil:
			http.Error(w, "down", http.StatusServiceUnavailable)
		default:
			w.Write(a.body)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *responder) set(path string, a answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers[path] = a
}

func (r *responder) serve(ocspBody, crlBody []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.answers)
	r.answers["/ocsp"] = answer{body: ocspBody}
	r.answers["/person.crl"] = answer{body: crlBody}
}

func (r *responder) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[path]
}

func (r *responder) url(path string) string { return r.srv.URL + path }

type fixture struct {
	p     *devpki.PKI
	clock *clocktest.Fake
	r     *responder
	leaf  *x509.Certificate
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	p, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, clock: clocktest.New(t0), r: newResponder(t)}
	f.leaf = f.person(t, devpki.KeyECDSAP256)
	return f
}

// person issues a card's authentication certificate naming the local
// responder, then opts.
func (f *fixture) person(t testing.TB, alg string, opts ...devpki.Option) *x509.Certificate {
	t.Helper()
	opts = append([]devpki.Option{devpki.OCSP(f.r.url("/ocsp")), devpki.CRL(f.r.url("/person.crl"))}, opts...)
	cert, _, err := f.p.Person(hsaID, "Sigrid", "Sithsson", alg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func (f *fixture) verifier(t testing.TB, mod func(*Config)) *Verifier {
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

// ocspFor signs, as the person CA, a response about cert with status,
// made a minute ago and fresh for a day, then mod.
func (f *fixture) ocspFor(t testing.TB, cert *x509.Certificate, status int, mod func(*ocsp.Response)) []byte {
	t.Helper()
	now := f.clock.Now()
	tmpl := ocsp.Response{Status: status, SerialNumber: cert.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(24 * time.Hour)}
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

// crl is the person CA's CRL made an hour ago, fresh for next, listing
// revoked.
func (f *fixture) crl(t testing.TB, next time.Duration, revoked ...*big.Int) []byte {
	t.Helper()
	now := f.clock.Now()
	b, err := f.p.PersonCRL(revoked, 1, now.Add(-time.Hour), now.Add(next))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIsAuthentication(t *testing.T) {
	for _, tc := range []struct {
		name string
		tmpl x509.Certificate
		want bool
	}{
		{"digitalSignature, clientAuth", x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true},
		{"digitalSignature and keyEncipherment (RSA card), clientAuth and e-mail",
			x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection, x509.ExtKeyUsageClientAuth}}, true},
		{"digitalSignature, no extended key usage", x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature}, true},
		{"digitalSignature, any extended key usage", x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, true},
		{"nonRepudiation only (the signing certificate)", x509.Certificate{KeyUsage: x509.KeyUsageContentCommitment}, false},
		{"digitalSignature, e-mail protection only", x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}, false},
		{"keyEncipherment only", x509.Certificate{KeyUsage: x509.KeyUsageKeyEncipherment}, false},
		{"no key usage extension", x509.Certificate{}, false},
		{"a CA", x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := tc.tmpl
			tmpl.Subject = pkix.Name{SerialNumber: hsaID}
			if got := IsAuthentication(devpkitest.SelfSigned(t, t0, tmpl)); got != tc.want {
				t.Errorf("IsAuthentication = %v, want %v", got, tc.want)
			}
		})
	}
	if IsAuthentication(nil) {
		t.Error("IsAuthentication(nil) = true")
	}
}

func TestProfile(t *testing.T) {
	f := newFixture(t)
	f.r.serve(nil, f.crl(t, 24*time.Hour))
	v := f.verifier(t, nil)
	signing, _, err := f.p.PersonSigning(hsaID, "Sigrid", "Sithsson", devpki.KeyECDSAP256, devpki.CRL(f.r.url("/person.crl")))
	if err != nil {
		t.Fatal(err)
	}
	withHSA := func(id string) *x509.Certificate {
		c, _, err := f.p.Person(id, "Utan", "Id", devpki.KeyECDSAP256, devpki.CRL(f.r.url("/person.crl")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	foreign, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	alien, _, err := foreign.Person(hsaID, "Sigrid", "Sithsson", devpki.KeyECDSAP256, devpki.CRL(f.r.url("/person.crl")))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		err  error
	}{
		{"RSA-2048", f.person(t, devpki.KeyRSA2048), nil},
		{"P-256", f.leaf, nil},
		{"P-384", f.person(t, devpki.KeyECDSAP384), nil},
		{"the signing certificate (nonRepudiation only)", signing, ErrNotAuthentication},
		{"no HSA-ID", withHSA(""), ErrNoHSAID},
		{"a malformed HSA-ID", withHSA("SE-not-an-hsa-id"), ErrNoHSAID},
		{"expired", f.person(t, devpki.KeyECDSAP256, devpki.Validity(t0.Add(-48*time.Hour), t0.Add(-time.Hour))), ErrExpired},
		{"not yet valid", f.person(t, devpki.KeyECDSAP256, devpki.Validity(t0.Add(time.Hour), t0.Add(48*time.Hour))), ErrNotYetValid},
		{"issued by another CA", alien, ErrUntrusted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.CheckAuthCert(context.Background(), tc.cert)
			if !errors.Is(err, tc.err) {
				t.Fatalf("CheckAuthCert = %q, %v; want %v", id, err, tc.err)
			}
			if err != nil {
				if Swedish(err) == "" || Swedish(err) == Swedish(errors.New("other")) {
					t.Errorf("no specific Swedish text for %v", err)
				}
				return
			}
			if id != hsaID {
				t.Errorf("HSA-ID %q, want %q", id, hsaID)
			}
			full, err := v.Verify(context.Background(), tc.cert, nil)
			if err != nil || full.GivenName != "Sigrid" || full.Surname != "Sithsson" || full.CommonName != "Sigrid Sithsson" ||
				full.Serial.Cmp(tc.cert.SerialNumber) != 0 || !full.NotAfter.Equal(tc.cert.NotAfter) || full.Revocation != GoodCRL {
				t.Errorf("Verify = %+v, %v", full, err)
			}
		})
	}
}

// TestChain: the person CA may come with the card's certificate instead
// of from the configuration, but never counts as an anchor; an anchor
// presented as a card is refused.
func TestChain(t *testing.T) {
	f := newFixture(t)
	f.r.serve(f.ocspFor(t, f.leaf, ocsp.Good, nil), nil)
	v := f.verifier(t, func(c *Config) { c.Intermediates = nil })
	if _, err := v.Verify(context.Background(), f.leaf, nil); !errors.Is(err, ErrUntrusted) {
		t.Errorf("without the person CA: %v, want ErrUntrusted", err)
	}
	if id, err := v.Verify(context.Background(), f.leaf, []*x509.Certificate{f.p.PersonCA()}); err != nil || id.Revocation != GoodOCSP {
		t.Errorf("with the person CA alongside: %+v, %v", id, err)
	}
	if _, err := v.Verify(context.Background(), f.leaf, []*x509.Certificate{f.p.Root()}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("with only the root alongside: %v, want ErrUntrusted", err)
	}

	anchor := devpkitest.SelfSigned(t, t0, x509.Certificate{Subject: pkix.Name{SerialNumber: hsaID, CommonName: "anchor"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	v = f.verifier(t, func(c *Config) { c.Roots = append(c.Roots, anchor) })
	if _, err := v.Verify(context.Background(), anchor, nil); !errors.Is(err, ErrUntrusted) {
		t.Errorf("an anchor as the card's certificate: %v, want ErrUntrusted", err)
	}
}

func TestNewRefuses(t *testing.T) {
	p, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{
		"no anchors":             {Intermediates: []*x509.Certificate{p.PersonCA()}},
		"a leaf as intermediate": {Roots: p.Roots(), Intermediates: []*x509.Certificate{p.Root(), devpkitest.SelfSigned(t, t0, x509.Certificate{})}},
		"an ldap OCSP URL":       {Roots: p.Roots(), OCSPURL: "ldap://ldap.example/"},
		"a CRL URL without host": {Roots: p.Roots(), CRLURL: "http:///x.crl"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

func TestSwedish(t *testing.T) {
	seen := map[string]error{}
	for _, err := range []error{ErrNoHSAID, ErrNotAuthentication, ErrExpired, ErrNotYetValid, ErrUndetermined, &RevokedError{Serial: big.NewInt(1)}} {
		sv := Swedish(err)
		if prev, ok := seen[sv]; ok || sv == "" || !strings.HasSuffix(sv, ".") {
			t.Errorf("Swedish(%v) = %q (same as for %v?)", err, sv, prev)
		}
		seen[sv] = err
	}
	if Swedish(nil) != "" {
		t.Error("Swedish(nil) is not empty")
	}
	// The words, as they were before they came from the one catalogue.
	for err, want := range map[error]string{
		ErrExpired:                           "Kortets certifikat har gått ut. Kontakta din korthandläggare för ett nytt kort.",
		&RevokedError{Serial: big.NewInt(1)}: "Kortets certifikat är spärrat. Kontakta din korthandläggare.",
		ErrUntrusted:                         "Kortet är inte ett giltigt SITHS-kort för den här tjänsten.",
		errors.New("other"):                  "Kortets certifikat kunde inte kontrolleras. Kontakta IT.",
	} {
		if got := Swedish(err); got != want {
			t.Errorf("Swedish(%v) = %q, want %q", err, got, want)
		}
	}
}
