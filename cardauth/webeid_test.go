package cardauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/webeidtest"
)

// webeidToken is an authentication token for origin and nonce signed
// the way Web eID's app does, written here apart from NewAuthToken: the
// card signs hash(origin) ‖ hash(nonce) with algorithm alg, hash being
// alg's own (SHA-384 for ES384, PS384, RS384); ECDSA as raw r ‖ s.
func webeidToken(t testing.TB, key crypto.Signer, cert *x509.Certificate, alg, origin, nonce string) []byte {
	t.Helper()
	h, ok := webeidtest.Hash(alg)
	if !ok {
		t.Fatalf("unknown algorithm %s", alg)
	}
	hh := h.New()
	hh.Write(webeidtest.SignedData(h, origin, nonce))
	var opts crypto.SignerOpts = h
	if strings.HasPrefix(alg, "PS") {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
	}
	sig, err := key.Sign(rand.Reader, hh.Sum(nil), opts)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); ok {
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			t.Fatal(err)
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*size)
		rs.R.FillBytes(sig[:size])
		rs.S.FillBytes(sig[size:])
	}
	b, err := json.Marshal(map[string]string{
		"unverifiedCertificate": base64.StdEncoding.EncodeToString(cert.Raw),
		"algorithm":             alg,
		"signature":             base64.StdEncoding.EncodeToString(sig),
		"format":                "web-eid:1.0",
		"appVersion":            "https://web-eid.eu/web-eid-app/releases/2.5.0+0",
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoginWebEIDTokens: a login with a token signed the Web eID way, for
// every algorithm a card of each key type can sign with, is accepted;
// the hash of origin and nonce follows the algorithm.
func TestLoginWebEIDTokens(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ key, alg string }{
		{devpki.KeyECDSAP256, "ES256"}, {devpki.KeyECDSAP384, "ES384"},
		{devpki.KeyRSA2048, "RS256"}, {devpki.KeyRSA2048, "RS384"}, {devpki.KeyRSA2048, "RS512"},
		{devpki.KeyRSA2048, "PS256"}, {devpki.KeyRSA2048, "PS384"}, {devpki.KeyRSA2048, "PS512"},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			c := f.cards[tc.key]
			nonce, _, err := f.a.Challenge("browser-" + tc.alg)
			if err != nil {
				t.Fatal(err)
			}
			tok := webeidToken(t, c.key, c.cert, tc.alg, origin, nonce)
			if err := webeidtest.Check(tok, origin, nonce); err != nil {
				t.Fatalf("the Web eID rules refuse the test's own token: %v", err)
			}
			if _, err := f.a.Login(context.Background(), "browser-"+tc.alg, tok, ""); err != nil {
				t.Fatalf("a %s token signed the Web eID way was refused: %v", tc.alg, err)
			}
		})
	}
}

// selfSigned is a certificate for key, for algorithms no card in the
// development PKI has (ES512 on P-521).
func selfSigned(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "p521"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestWebEIDBothWays: for every key type, the verifier accepts a token
// signed the Web eID way, and the Web eID rules accept the token
// NewAuthToken makes; a token for another origin or nonce is refused by
// both.
func TestWebEIDBothWays(t *testing.T) {
	f := newFixture(t)
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cards := []struct {
		name string
		c    card
		alg  string
		pss  bool
	}{
		{"P-256", f.cards[devpki.KeyECDSAP256], "ES256", false},
		{"P-384", f.cards[devpki.KeyECDSAP384], "ES384", false},
		{"P-521", card{cert: selfSigned(t, p521), key: p521}, "ES512", false},
		{"RSA", f.cards[devpki.KeyRSA2048], "RS256", false},
		{"RSA-PSS", f.cards[devpki.KeyRSA2048], "PS256", true},
	}
	const nonce = "Qm9zc2UgYWxkcmlnIGthbiBmw7ZyZsOkbHNrYSBkZW4gaMOkciBub25jZW4="
	for _, tc := range cards {
		t.Run(tc.name, func(t *testing.T) {
			ours, err := NewAuthToken(tc.c.key, tc.c.cert, origin, nonce, "https://clinicgw.invalid/bridge/test", tc.pss)
			if err != nil {
				t.Fatal(err)
			}
			if ours.Algorithm != tc.alg {
				t.Errorf("algorithm %s, want %s", ours.Algorithm, tc.alg)
			}
			raw, _ := json.Marshal(ours)
			if err := webeidtest.Check(raw, origin, nonce); err != nil {
				t.Errorf("a Web eID validator would refuse our %s token: %v", tc.alg, err)
			}
			theirs := webeidToken(t, tc.c.key, tc.c.cert, tc.alg, origin, nonce)
			if err := verifyToken(theirs, origin, nonce); err != nil {
				t.Errorf("our verifier refuses a %s token signed the Web eID way: %v", tc.alg, err)
			}
			for _, tok := range [][]byte{raw, theirs} {
				if verifyToken(tok, origin+"1", nonce) == nil || verifyToken(tok, origin, nonce+"x") == nil {
					t.Error("a token verified for another origin or nonce")
				}
				if webeidtest.Check(tok, origin+"1", nonce) == nil || webeidtest.Check(tok, origin, nonce+"x") == nil {
					t.Error("the Web eID rules accepted a token for another origin or nonce")
				}
			}
		})
	}
}

// verifyToken parses tok and verifies its signature for origin and nonce
// as Login does (without the certificate's checks).
func verifyToken(tok []byte, origin, nonce string) error {
	at, err := ParseAuthToken(tok)
	if err != nil {
		return err
	}
	cert, err := at.Certificate()
	if err != nil {
		return err
	}
	return at.verifySignature(cert, origin, nonce)
}

// The Web eID project's own test tokens, from the validation library's
// test resources (see testdata/webeid/README.md): made by real Estonian
// (ES384) and Latvian (RS256) test cards for this origin and nonce.
const (
	webeidOrigin = "https://ria.ee"
	webeidNonce  = "12345678123456781234567812345678912356789123"
)

func readWebEID(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webeid", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebEIDPublishedTokens checks the verifier, and this package's model
// of the Web eID rules, against the Web eID project's published tokens.
func TestWebEIDPublishedTokens(t *testing.T) {
	es384, rs256, wrongCert := readWebEID(t, "es384.json"), readWebEID(t, "rs256.json"), readWebEID(t, "es384-wrong-cert.json")
	// The model agrees with their tests: both good tokens pass; another
	// nonce, another origin and a token with another card's certificate
	// fail (AuthTokenSignatureTest, AuthTokenSignatureValidatorTest).
	for name, tok := range map[string][]byte{"es384": es384, "rs256": rs256} {
		if err := webeidtest.Check(tok, webeidOrigin, webeidNonce); err != nil {
			t.Errorf("model: their %s token refused: %v", name, err)
		}
		if webeidtest.Check(tok, "https://invalid.org", webeidNonce) == nil ||
			webeidtest.Check(tok, webeidOrigin, "12345678123456781234567812345678912356789124") == nil {
			t.Errorf("model: their %s token accepted for another origin or nonce", name)
		}
	}
	if webeidtest.Check(wrongCert, webeidOrigin, webeidNonce) == nil {
		t.Error("model: their token with the wrong certificate accepted")
	}

	// Our verifier: the ES384 token whole, as Login reads it.
	if err := verifyToken(es384, webeidOrigin, webeidNonce); err != nil {
		t.Errorf("our verifier refuses Web eID's own ES384 token: %v", err)
	}
	if verifyToken(es384, "https://invalid.org", webeidNonce) == nil || verifyToken(es384, webeidOrigin, webeidNonce+"4") == nil ||
		verifyToken(wrongCert, webeidOrigin, webeidNonce) == nil {
		t.Error("our verifier accepts their ES384 token for another origin or nonce, or with the wrong certificate")
	}
	// The RS256 token carries "issuerApp", a name from before the format
	// settled on "appVersion": Web eID ignores unknown members, our parser
	// refuses them (TestLoginRefusals). Its signature verifies.
	if _, err := ParseAuthToken(rs256); err == nil || !strings.Contains(err.Error(), "issuerApp") {
		t.Errorf("ParseAuthToken(rs256) = %v, want a refusal of the unknown member issuerApp", err)
	}
	var at AuthToken
	if err := json.Unmarshal(rs256, &at); err != nil {
		t.Fatal(err)
	}
	cert, err := at.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := at.verifySignature(cert, webeidOrigin, webeidNonce); err != nil {
		t.Errorf("our verifier refuses the signature of Web eID's own RS256 token: %v", err)
	}

	// The ES384 token's certificate chains to their test CA at a time
	// it was valid (their test fixes the clock at 2024-08-01 too); it
	// expired on 2026-07-09, so today's time refuses it.
	var es AuthToken
	if err := json.Unmarshal(es384, &es); err != nil {
		t.Fatal(err)
	}
	leaf, err := es.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(readWebEID(t, "TEST_of_ESTEID2018.cer"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	opts := x509.VerifyOptions{Roots: roots, CurrentTime: time.Date(2024, 8, 1, 0, 0, 0, 0, time.UTC),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if _, err := leaf.Verify(opts); err != nil {
		t.Errorf("their ES384 token's certificate does not chain to their test CA on 2024-08-01: %v", err)
	}
	opts.CurrentTime = time.Date(2026, 7, 10, 0, 0, 0, 0, time.UTC)
	if _, err := leaf.Verify(opts); err == nil {
		t.Error("their ES384 token's certificate verified after it expired")
	}
}

// TestAlgorithmFitsCurve: JWA fixes the curve with the algorithm (ES256 is
// P-256 with SHA-256, ES384 P-384 with SHA-384); a token naming another
// algorithm than its key's curve is refused, as Web eID refuses it.
func TestAlgorithmFitsCurve(t *testing.T) {
	f := newFixture(t)
	const nonce = "bm9uY2Ugb2NoIGt1cnZh"
	for _, tc := range []struct{ key, alg string }{{devpki.KeyECDSAP384, "ES256"}, {devpki.KeyECDSAP256, "ES384"}, {devpki.KeyECDSAP256, "ES512"}} {
		c := f.cards[tc.key]
		tok := webeidToken(t, c.key, c.cert, tc.alg, origin, nonce)
		if err := verifyToken(tok, origin, nonce); err == nil {
			t.Errorf("%s token from a %s key accepted", tc.alg, tc.key)
		}
		if webeidtest.Check(tok, origin, nonce) == nil {
			t.Errorf("model: %s token from a %s key accepted", tc.alg, tc.key)
		}
	}
}
