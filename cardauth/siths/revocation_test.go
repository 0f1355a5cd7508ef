package siths

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
)

// closedURL is an http URL where nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/ocsp"
}

// TestRevocation is checklist RV1 on a local OCSP responder and CRL: each
// answer accepted or refused as the profile says.
func TestRevocation(t *testing.T) {
	f := newFixture(t)
	leaf := f.leaf
	good := func() []byte { return f.ocspFor(t, leaf, ocsp.Good, nil) }
	freshCRL := func() []byte { return f.crl(t, 24*time.Hour) }
	listing := func() []byte { return f.crl(t, 24*time.Hour, leaf.SerialNumber) }
	stale := func(r *ocsp.Response) { r.ThisUpdate, r.NextUpdate = t0.Add(-48*time.Hour), t0.Add(-24*time.Hour) }
	fresh := ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber, ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(time.Hour)}
	delegated := func(p *devpki.PKI, signing bool, opts ...devpki.Option) (*x509.Certificate, crypto.Signer) {
		rc, rk, err := p.OCSPResponder(signing, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return rc, rk
	}
	byResponder := func(p *devpki.PKI, signing bool, opts ...devpki.Option) []byte {
		rc, rk := delegated(p, signing, opts...)
		b, err := p.SignOCSP(fresh, rc, rk)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	foreign, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	foreignSigned, err := foreign.SignOCSP(fresh, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Our responder, authorised by our CA, answering for the same serial
	// under another CA: only the CertID's issuer hashes tell.
	rc, rk := delegated(f.p, true)
	otherIssuer, err := ocsp.CreateResponse(foreign.PersonCA(), rc, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
		ThisUpdate: t0.Add(-time.Minute), NextUpdate: t0.Add(time.Hour), Certificate: rc}, rk)
	if err != nil {
		t.Fatal(err)
	}
	// Another CA's responder answering about our certificate (CertID
	// right), with its certificate and without.
	frc, frk := delegated(foreign, true)
	withCert := fresh
	withCert.Certificate = frc
	foreignResponder, err := ocsp.CreateResponse(f.p.PersonCA(), frc, withCert, frk)
	if err != nil {
		t.Fatal(err)
	}
	foreignKey, err := ocsp.CreateResponse(f.p.PersonCA(), frc, fresh, frk)
	if err != nil {
		t.Fatal(err)
	}
	foreignCRL, err := foreign.PersonCRL(nil, 1, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	pemCRL := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: freshCRL()})

	type verdict struct {
		want    Revocation // accepted so
		err     error      // or refused, matching errors.Is
		revoked string     // or revoked per "ocsp" or "crl"
		detail  string     // in the error text
	}
	accepted := func(r Revocation) verdict { return verdict{want: r} }
	refused := func(err error, detail string) verdict { return verdict{err: err, detail: detail} }
	revoked := func(by string) verdict { return verdict{revoked: by} }
	for _, tc := range []struct {
		name      string
		ocsp, crl []byte
		hang      bool // the responder holds the request
		unreached bool // nothing listens where OCSP is asked
		softFail  bool
		verdict
	}{
		{name: "good", ocsp: good(), verdict: accepted(GoodOCSP)},
		{name: "revoked by OCSP", ocsp: f.ocspFor(t, leaf, ocsp.Revoked, nil), crl: freshCRL(), verdict: revoked("ocsp")},
		{name: "revoked by OCSP, soft fail on", ocsp: f.ocspFor(t, leaf, ocsp.Revoked, nil), softFail: true, verdict: revoked("ocsp")},
		{name: "unknown, fresh CRL without it", ocsp: f.ocspFor(t, leaf, ocsp.Unknown, nil), crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "unknown, CRL lists it", ocsp: f.ocspFor(t, leaf, ocsp.Unknown, nil), crl: listing(), verdict: revoked("crl")},
		{name: "unknown, no CRL", ocsp: f.ocspFor(t, leaf, ocsp.Unknown, nil), verdict: refused(errUnknown, "does not know")},
		{name: "responder down (503), fresh CRL", crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "responder unreachable, fresh CRL", unreached: true, crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "responder hangs, fresh CRL", hang: true, crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "responder says tryLater, fresh CRL", ocsp: ocsp.TryLaterErrorResponse, crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "responder down, CRL lists it", crl: listing(), verdict: revoked("crl")},
		{name: "responder down, CRL lists it, soft fail on", crl: listing(), softFail: true, verdict: revoked("crl")},
		{name: "both down", verdict: refused(ErrUndetermined, "HTTP 503")},
		{name: "both down, soft fail on", softFail: true, verdict: accepted(Undetermined)},
		{name: "stale OCSP, fresh CRL", ocsp: f.ocspFor(t, leaf, ocsp.Good, stale), crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "stale OCSP revoked, fresh CRL", ocsp: f.ocspFor(t, leaf, ocsp.Revoked, stale), crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "stale OCSP, no CRL", ocsp: f.ocspFor(t, leaf, ocsp.Good, stale), verdict: refused(errStale, "nextUpdate")},
		{name: "stale OCSP, stale CRL", ocsp: f.ocspFor(t, leaf, ocsp.Good, stale), crl: f.crl(t, -time.Second), verdict: refused(errStale, "CRL stale")},
		{name: "OCSP nextUpdate just passed", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) { r.NextUpdate = t0.Add(-time.Second) }), verdict: refused(errStale, "passed")},
		{name: "OCSP without nextUpdate, recent", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = t0.Add(-2*time.Minute), time.Time{}
		}), verdict: accepted(GoodOCSP)},
		{name: "OCSP without nextUpdate, old", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = t0.Add(-6*time.Minute), time.Time{}
		}), verdict: refused(errStale, "no nextUpdate")},
		{name: "OCSP from the future", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) { r.ThisUpdate = t0.Add(time.Hour) }), verdict: refused(errStale, "ahead")},
		{name: "OCSP a little ahead (skew)", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) { r.ThisUpdate = t0.Add(time.Minute) }), verdict: accepted(GoodOCSP)},
		{name: "delegated responder with OCSPSigning", ocsp: byResponder(f.p, true), verdict: accepted(GoodOCSP)},
		{name: "delegated responder without OCSPSigning", ocsp: byResponder(f.p, false), verdict: refused(errNotAuthorized, "lacks the OCSPSigning")},
		{name: "delegated responder without OCSPSigning, fresh CRL", ocsp: byResponder(f.p, false), crl: freshCRL(), verdict: accepted(GoodCRL)},
		{name: "delegated responder expired", ocsp: byResponder(f.p, true, devpki.Validity(t0.Add(-48*time.Hour), t0.Add(-time.Hour))), verdict: refused(errNotAuthorized, "not valid now")},
		{name: "delegated responder of another CA", ocsp: foreignResponder, verdict: refused(errNotAuthorized, "not the issuer's")},
		{name: "signed by another key, no certificate", ocsp: foreignKey, verdict: refused(errNotAuthorized, "verification")},
		{name: "another CA's own answer", ocsp: foreignSigned, verdict: refused(errNotAuthorized, "another issuer")},
		{name: "about the same serial under another CA", ocsp: otherIssuer, verdict: refused(errNotAuthorized, "another issuer")},
		{name: "about another certificate", ocsp: f.ocspFor(t, leaf, ocsp.Good, func(r *ocsp.Response) { r.SerialNumber = big.NewInt(42) }), verdict: refused(ErrUndetermined, "no response matching")},
		{name: "garbage from both", ocsp: []byte("<html>proxy error</html>"), crl: []byte("nor a CRL"), verdict: refused(ErrUndetermined, "not a CRL")},
		{name: "OCSP answer too large", ocsp: make([]byte, maxOCSPBody+1), verdict: refused(ErrUndetermined, "larger than")},
		{name: "CRL of another CA", crl: foreignCRL, verdict: refused(ErrUndetermined, "not signed by")},
		{name: "CRL in PEM", crl: pemCRL, verdict: accepted(GoodCRL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.r.serve(tc.ocsp, tc.crl)
			f.r.set("/ocsp", answer{body: tc.ocsp, hang: tc.hang})
			v := f.verifier(t, func(c *Config) {
				c.SoftFail = tc.softFail
				if tc.hang {
					c.FetchTimeout = 200 * time.Millisecond
				}
				if tc.unreached {
					c.OCSPURL = closedURL(t)
				}
			})
			id, err := v.Verify(context.Background(), leaf, nil)
			checkVerdict(t, id, err, tc.verdict.want, tc.verdict.err, tc.verdict.revoked, tc.verdict.detail, leaf)
		})
	}
}

func checkVerdict(t *testing.T, id Identity, err error, want Revocation, wantErr error, revoked, detail string, leaf *x509.Certificate) {
	t.Helper()
	var rev *RevokedError
	switch {
	case revoked != "":
		if !errors.As(err, &rev) || rev.Source != revoked || rev.Serial.Cmp(leaf.SerialNumber) != 0 || rev.Reason != ocsp.KeyCompromise || rev.At.IsZero() {
			t.Fatalf("Verify = %v, want revoked (keyCompromise) per %s", err, revoked)
		}
		if !strings.Contains(Swedish(err), "spärrat") {
			t.Errorf("Swedish: %q", Swedish(err))
		}
	case wantErr != nil:
		if !errors.Is(err, wantErr) || !errors.Is(err, ErrUndetermined) || !strings.Contains(err.Error(), detail) {
			t.Fatalf("Verify = %v\nwant ErrUndetermined and %v mentioning %q", err, wantErr, detail)
		}
		if id.HSAID != hsaID || id.Revocation != "" {
			t.Errorf("refused, Identity = %+v; want the claimed HSA-ID only", id)
		}
	default:
		if err != nil || id.Revocation != want || id.HSAID != hsaID {
			t.Fatalf("Verify = %+v, %v; want accepted with %s", id, err, want)
		}
	}
}

// TestIssuingCARevocation: a person CA whose certificate names a CRL
// distribution point is looked up in the root's CRL.
func TestIssuingCARevocation(t *testing.T) {
	f := newFixture(t)
	ca, err := f.p.ReissuePersonCA(devpki.CRL("ldap://ldap.example/root.crl", f.r.url("/root.crl")))
	if err != nil {
		t.Fatal(err)
	}
	rootCRL := func(revoked ...*big.Int) []byte {
		b, err := f.p.RootCRL(revoked, 1, t0.Add(-time.Hour), t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name     string
		rootCRL  []byte
		softFail bool
		want     Revocation
		err      error
		detail   string
	}{
		{name: "not listed", rootCRL: rootCRL(big.NewInt(99)), want: GoodOCSP},
		{name: "the person CA revoked", rootCRL: rootCRL(ca.SerialNumber), err: &RevokedError{}, detail: "issuing CA"},
		{name: "root CRL down", err: ErrUndetermined, detail: "issuing CA"},
		{name: "root CRL down, soft fail on", softFail: true, want: Undetermined},
		{name: "the person CA's CRL where the root's should be", rootCRL: f.crl(t, time.Hour), err: ErrUndetermined, detail: "not by the certificate's issuer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.r.serve(f.ocspFor(t, f.leaf, ocsp.Good, nil), nil)
			f.r.set("/root.crl", answer{body: tc.rootCRL})
			v := f.verifier(t, func(c *Config) { c.Intermediates, c.SoftFail = []*x509.Certificate{ca}, tc.softFail })
			id, err := v.Verify(context.Background(), f.leaf, nil)
			var rev *RevokedError
			switch {
			case tc.err == nil:
				if err != nil || id.Revocation != tc.want {
					t.Fatalf("Verify = %+v, %v; want %s", id, err, tc.want)
				}
			case errors.As(tc.err, &rev):
				if !errors.As(err, &rev) || !rev.CA || rev.Source != "crl" || rev.Serial.Cmp(ca.SerialNumber) != 0 || !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("Verify = %v, want the CA revoked", err)
				}
			default:
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("Verify = %v, want %v mentioning %q", err, tc.err, tc.detail)
				}
			}
		})
	}
}

// TestURLs: the configured addresses replace the certificate's, and a
// certificate naming none (or only ldap ones) is undetermined.
func TestURLs(t *testing.T) {
	f := newFixture(t)
	bare, _, err := f.p.Person(hsaID, "Sigrid", "Sithsson", devpki.KeyECDSAP256, devpki.CRL("ldap://ldap.example/person.crl"))
	if err != nil {
		t.Fatal(err)
	}
	f.r.serve(f.ocspFor(t, bare, ocsp.Good, nil), f.crl(t, time.Hour))
	v := f.verifier(t, nil)
	if _, err := v.Verify(context.Background(), bare, nil); !errors.Is(err, ErrUndetermined) || !strings.Contains(err.Error(), "no http(s) address") {
		t.Errorf("no addresses: %v", err)
	}
	v = f.verifier(t, func(c *Config) { c.OCSPURL = f.r.url("/ocsp") })
	if id, err := v.Verify(context.Background(), bare, nil); err != nil || id.Revocation != GoodOCSP {
		t.Errorf("OCSP URL configured: %+v, %v", id, err)
	}
	f.r.set("/ocsp", answer{})
	v = f.verifier(t, func(c *Config) { c.CRLURL = f.r.url("/person.crl") })
	if id, err := v.Verify(context.Background(), bare, nil); err != nil || id.Revocation != GoodCRL {
		t.Errorf("CRL URL configured: %+v, %v", id, err)
	}
}

// TestCache: one OCSP answer serves logins until its nextUpdate or
// CacheMaxAge, whichever comes first; a CRL likewise.
func TestCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.r.serve(f.ocspFor(t, f.leaf, ocsp.Good, func(r *ocsp.Response) { r.NextUpdate = t0.Add(30 * time.Minute) }), nil)
	v := f.verifier(t, nil)
	for range 3 {
		if _, err := v.Verify(ctx, f.leaf, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n, st := f.r.count("/ocsp"), v.Stats(); n != 1 || st.OCSPFetches != 1 || st.OCSPCacheHits != 2 {
		t.Errorf("3 logins: responder asked %d times, stats %+v; want once, 2 hits", n, st)
	}
	f.clock.Advance(30 * time.Minute) // at nextUpdate: stale
	f.r.serve(f.ocspFor(t, f.leaf, ocsp.Revoked, nil), nil)
	var rev *RevokedError
	if _, err := v.Verify(ctx, f.leaf, nil); !errors.As(err, &rev) {
		t.Errorf("after the cached answer went stale: %v, want the new answer (revoked)", err)
	}
	if _, err := v.Verify(ctx, f.leaf, nil); !errors.As(err, &rev) || f.r.count("/ocsp") != 2 {
		t.Errorf("revoked is cached too: %v, %d requests", err, f.r.count("/ocsp"))
	}

	// CacheMaxAge bounds a far nextUpdate (a day here).
	other := f.person(t, devpki.KeyECDSAP256)
	f.r.serve(f.ocspFor(t, other, ocsp.Good, nil), nil)
	v = f.verifier(t, func(c *Config) { c.CacheMaxAge = 10 * time.Minute })
	for _, step := range []time.Duration{0, 9 * time.Minute, time.Minute} {
		f.clock.Advance(step)
		if _, err := v.Verify(ctx, other, nil); err != nil {
			t.Fatal(err)
		}
	}
	if st := v.Stats(); st.OCSPFetches != 2 || st.OCSPCacheHits != 1 {
		t.Errorf("CacheMaxAge 10 min, logins at 0, 9, 10 min: stats %+v, want 2 fetches and 1 hit", st)
	}

	// The CRL: fetched once while OCSP is down, until its nextUpdate.
	f.r.serve(nil, f.crl(t, 20*time.Minute))
	v = f.verifier(t, nil)
	for range 2 {
		if id, err := v.Verify(ctx, other, nil); err != nil || id.Revocation != GoodCRL {
			t.Fatal(id, err)
		}
	}
	if st := v.Stats(); st.CRLFetches != 1 || st.CRLCacheHits != 1 || f.r.count("/person.crl") != 1 {
		t.Errorf("2 logins on the CRL: stats %+v, %d CRL requests", st, f.r.count("/person.crl"))
	}
	f.clock.Advance(20 * time.Minute)
	if _, err := v.Verify(ctx, other, nil); !errors.Is(err, ErrUndetermined) || !errors.Is(err, errStale) {
		t.Errorf("at the CRL's nextUpdate, the same CRL served again: %v, want stale", err)
	}
	if st := v.Stats(); st.CRLFetches != 2 {
		t.Errorf("stats %+v, want the CRL fetched again", st)
	}
}

func TestCacheBounded(t *testing.T) {
	c := newCache[int](3)
	c.put("old", 1, t0.Add(time.Minute), t0)
	c.put("a", 2, t0.Add(time.Hour), t0)
	c.put("b", 3, t0.Add(time.Hour), t0)
	now := t0.Add(2 * time.Minute)
	c.put("c", 4, t0.Add(time.Hour), now) // "old" has expired: it goes
	if _, ok := c.get("a", now); !ok || len(c.m) != 3 {
		t.Errorf("expired entry not the one dropped: %v", c.m)
	}
	for i := range 10 {
		c.put(string(rune('d'+i)), i, t0.Add(time.Hour), now)
	}
	if len(c.m) != 3 {
		t.Errorf("%d entries, max 3", len(c.m))
	}
	if _, ok := c.get("m", t0.Add(time.Hour)); ok {
		t.Error("an entry served at its expiry")
	}
	c.put("gone", 1, now, now)
	if _, ok := c.m["gone"]; ok {
		t.Error("an already expired entry was stored")
	}
}

func TestParseIssuingDP(t *testing.T) {
	for _, tc := range []struct {
		name string
		der  []byte
		want crlScope
		ok   bool
	}{
		{"empty", []byte{0x30, 0x00}, crlScope{}, true},
		{"a distribution point name", []byte{0x30, 0x04, 0xa0, 0x02, 0xa0, 0x00}, crlScope{}, true},
		{"only user certificates", []byte{0x30, 0x03, 0x81, 0x01, 0xff}, crlScope{onlyUsers: true}, true},
		{"only CA certificates", []byte{0x30, 0x03, 0x82, 0x01, 0xff}, crlScope{onlyCAs: true}, true},
		{"some reasons only", []byte{0x30, 0x04, 0x83, 0x02, 0x07, 0x80}, crlScope{}, false},
		{"indirect", []byte{0x30, 0x03, 0x84, 0x01, 0xff}, crlScope{}, false},
		{"a bad boolean", []byte{0x30, 0x03, 0x81, 0x01, 0x01}, crlScope{}, false},
		{"trailing bytes", []byte{0x30, 0x00, 0x00}, crlScope{}, false},
	} {
		got, err := parseIssuingDP(tc.der)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %+v, %v", tc.name, got, err)
		}
	}
	user := &x509.Certificate{}
	ca := &x509.Certificate{IsCA: true}
	if !(crlScope{onlyUsers: true}).covers(user) || (crlScope{onlyUsers: true}).covers(ca) || (crlScope{onlyCAs: true}).covers(user) {
		t.Error("crlScope.covers")
	}
}

// TestCancelled: a login given up by its caller is not a status, and the
// soft-fail setting does not accept it.
func TestCancelled(t *testing.T) {
	f := newFixture(t)
	f.r.serve(f.ocspFor(t, f.leaf, ocsp.Good, nil), f.crl(t, time.Hour))
	v := f.verifier(t, func(c *Config) { c.SoftFail = true })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if id, err := v.Verify(ctx, f.leaf, nil); !errors.Is(err, context.Canceled) || id.Revocation != "" {
		t.Errorf("Verify with a cancelled context = %+v, %v; want refused with context.Canceled", id, err)
	}
	if n := f.r.count("/ocsp") + f.r.count("/person.crl"); n != 0 {
		t.Errorf("%d requests reached the responder", n)
	}
}

// TestCheckCRLURL: the configured CRL proxy is checked as a login would
// check what it serves — a fresh CRL of the person CA passes and is kept
// for the next login; no CRL, garbage, a stale CRL or another CA's CRL
// is an error; no URL configured is nothing to check.
func TestCheckCRLURL(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other, err := devpki.New(nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	otherCRL, err := other.PersonCRL(nil, 1, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	withURL := func(c *Config) { c.CRLURL = f.r.url("/person.crl") }
	if err := f.verifier(t, nil).CheckCRLURL(ctx); err != nil {
		t.Errorf("no CRL URL: %v", err)
	}
	for _, tt := range []struct {
		name string
		body []byte
		want string
	}{
		{"nothing served", nil, ""},
		{"not a CRL", []byte("<html>proxy error</html>"), "not a fresh, complete CRL"},
		{"stale", f.crl(t, -time.Minute), "not a fresh, complete CRL"},
		{"another CA's", otherCRL, "not a fresh, complete CRL"},
	} {
		f.r.serve(nil, tt.body)
		if err := f.verifier(t, withURL).CheckCRLURL(ctx); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	f.r.serve(nil, f.crl(t, time.Hour))
	v := f.verifier(t, withURL)
	if err := v.CheckCRLURL(ctx); err != nil {
		t.Fatalf("a fresh CRL: %v", err)
	}
	if id, err := v.Verify(ctx, f.leaf, nil); err != nil || id.Revocation != GoodCRL {
		t.Fatalf("login after the check: %v, %v", id, err)
	}
	if st := v.Stats(); st.CRLFetches != 0 || st.CRLCacheHits != 1 {
		t.Errorf("login after the check: stats %+v, want the checked CRL reused", st)
	}
}
