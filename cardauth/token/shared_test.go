package token_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/cardauth/cardtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
)

// pcscd is the test process's private pcscd (nil when the parts are
// missing: the OpenSC tests then skip).
var pcscd *cardtest.PCSCD

// TestMain sets up both real-part harnesses: SoftHSM2's token folder and
// the private pcscd's socket, which libraries read once per process.
func TestMain(m *testing.M) {
	os.Exit(cardtest.Main(&pcscd, func() int { return softhsm.Main(m) }))
}

const (
	hsaID   = "SE2321000016-1003"
	userPIN = "123456"
	soPIN   = "87654321"
)

var (
	pkiOnce sync.Once
	pkiVal  *devpki.PKI
	pkiErr  error
	labelN  atomic.Int64
)

func testPKI(t testing.TB) *devpki.PKI {
	pkiOnce.Do(func() { pkiVal, pkiErr = devpki.New(nil, time.Now()) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	return pkiVal
}

// card is an open token holding a person's authentication and signing
// certificates.
type card struct {
	tok        *token.Token
	auth, sign *x509.Certificate
}

// backend makes cards: the in-memory fake and SoftHSM2 run the same tests.
type backend struct {
	name string
	make func(t *testing.T, alg string) card
}

var backends = []backend{
	{"fake", fakeCard},
	{"softhsm", softhsmCard},
}

// fakeCard puts keys made in memory on the fake module.
func fakeCard(t *testing.T, alg string) card {
	pki := testPKI(t)
	var key crypto.Signer
	var err error
	switch alg {
	case devpki.KeyRSA2048:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	case devpki.KeyECDSAP384:
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	auth, err := pki.IssuePerson(key.Public(), hsaID, "Test", "Person")
	if err != nil {
		t.Fatal(err)
	}
	sign, skey, err := pki.PersonSigning(hsaID, "Test", "Person", alg)
	if err != nil {
		t.Fatal(err)
	}
	f := token.NewFake("Fake Reader 00 00", "fake card", userPIN)
	// The signing certificate first, so that picking the first one fails.
	f.AddCert(sign, skey, []byte{2}, "sign", false)
	f.AddCert(auth, key, []byte{1}, "auth", false)
	tok, err := token.OpenFake(t.Context(), token.Config{Module: fmt.Sprintf("fake:%s:%d", t.Name(), labelN.Add(1)), Reader: "Fake Reader 00 00"}, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tok.Close() })
	return card{tok: tok, auth: auth, sign: sign}
}

// softhsmCard makes a SoftHSM2 token with keys generated on it.
func softhsmCard(t *testing.T, alg string) card {
	h := softhsm.New(t)
	label := fmt.Sprintf("card-%d", labelN.Add(1))
	tk := h.InitToken(label, soPIN, userPIN)
	p := tk.ProvisionPerson(testPKI(t), hsaID, "Test", "Person", alg)
	tok, err := token.Open(t.Context(), token.Config{Module: softhsm.ModulePath, TokenLabel: label})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tok.Close() })
	return card{tok: tok, auth: p.Auth.Cert, sign: p.Sign.Cert}
}

func digest(h crypto.Hash, msg string) []byte {
	w := h.New()
	w.Write([]byte(msg))
	return w.Sum(nil)
}

// verify checks sig over digest with the certificate's key as crypto/rsa
// and crypto/ecdsa do.
func verify(cert *x509.Certificate, d, sig []byte, opts crypto.SignerOpts) error {
	switch k := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			return rsa.VerifyPSS(k, opts.HashFunc(), d, sig, &rsa.PSSOptions{SaltLength: pss.SaltLength, Hash: pss.Hash})
		}
		return rsa.VerifyPKCS1v15(k, opts.HashFunc(), d, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, d, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unexpected key %T", cert.PublicKey)
}

func TestSign(t *testing.T) {
	cases := []struct {
		name string
		alg  string
		opts crypto.SignerOpts
	}{
		{"rsa pkcs1 sha256", devpki.KeyRSA2048, crypto.SHA256},
		{"rsa pkcs1 sha384", devpki.KeyRSA2048, crypto.SHA384},
		{"rsa pkcs1 sha512", devpki.KeyRSA2048, crypto.SHA512},
		{"rsa pss sha256 salt=hash", devpki.KeyRSA2048, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}},
		{"rsa pss sha384 salt auto", devpki.KeyRSA2048, &rsa.PSSOptions{Hash: crypto.SHA384}},
		{"rsa pss sha256 salt 20", devpki.KeyRSA2048, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 20}},
		{"p256 sha256", devpki.KeyECDSAP256, crypto.SHA256},
		{"p256 sha384", devpki.KeyECDSAP256, crypto.SHA384},
		{"p384 sha384", devpki.KeyECDSAP384, crypto.SHA384},
		{"p384 sha256", devpki.KeyECDSAP384, crypto.SHA256},
		{"p384 sha512", devpki.KeyECDSAP384, crypto.SHA512},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cards := map[string]card{}
			for _, tc := range cases {
				if _, ok := cards[tc.alg]; ok {
					continue
				}
				c := b.make(t, tc.alg)
				if err := c.tok.Login(t.Context(), userPIN); err != nil {
					t.Fatal(err)
				}
				cards[tc.alg] = c
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					c := cards[tc.alg]
					s, err := c.tok.AuthCert(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					if !s.Certificate().Equal(c.auth) {
						t.Fatalf("AuthCert gave %q (key usage %x), want the authentication certificate", s.Label(), s.Certificate().KeyUsage)
					}
					d := digest(tc.opts.HashFunc(), "challenge "+tc.name)
					sig, err := s.Sign(rand.Reader, d, tc.opts)
					if err != nil {
						t.Fatal(err)
					}
					if err := verify(c.auth, d, sig, tc.opts); err != nil {
						t.Fatalf("signature from the token: %v", err)
					}
					// The same signature must not verify another digest.
					if verify(c.auth, digest(tc.opts.HashFunc(), "other"), sig, tc.opts) == nil {
						t.Fatal("signature verifies a digest it was not made over")
					}
				})
			}
		})
	}
}
