package seal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"
	"time"

	"clinicgw/sync/wire"
)

// selfSigned makes a throwaway certificate for key naming unit.
func selfSigned(t *testing.T, key crypto.Signer, unit string) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "test", SerialNumber: unit},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func signers(t *testing.T) map[string]crypto.Signer {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]crypto.Signer{"ECDSA P-256": ec, "ECDSA P-384": ec384, "RSA-PSS": rs, "Ed25519": ed}
}

// TestStatement: a statement signed with each kind of certificate key
// verifies, and every change to it, or another certificate, unit or key,
// is ErrStatement.
func TestStatement(t *testing.T) {
	k, other := seededKey(t, 1), seededKey(t, 2)
	notBefore := time.Date(2026, 12, 7, 5, 0, 0, 123, time.UTC)
	for name, signer := range signers(t) {
		t.Run(name, func(t *testing.T) {
			cert := selfSigned(t, signer, unitA)
			st, err := SignStatement(signer, cert, unitA, k.Public(), notBefore, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := VerifyStatement(st, cert, unitA)
			if err != nil || pub.ID() != k.ID() {
				t.Fatalf("VerifyStatement: %v", err)
			}
			if !st.NotBefore.Equal(notBefore.Truncate(time.Second)) {
				t.Errorf("notBefore %v", st.NotBefore)
			}
			anotherCert := selfSigned(t, signer, unitA) // the same key, another certificate
			stranger := signers(t)["ECDSA P-256"]
			strangerCert := selfSigned(t, stranger, unitA)
			strangers, err := SignStatement(stranger, strangerCert, unitA, other.Public(), notBefore, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			swapped := st
			swapped.PublicKey, swapped.KeyID = base64.StdEncoding.EncodeToString(other.Public().Bytes()), other.ID().String()
			tests := map[string]struct {
				st   wire.SealingKeyStatement
				cert *x509.Certificate
				unit string
			}{
				"another unit asks":             {st, cert, unitB},
				"another certificate checks":    {st, anotherCert, unitA},
				"a key swapped, id to match":    {swapped, cert, unitA},
				"a key swapped, id left":        {func() wire.SealingKeyStatement { s := st; s.PublicKey = swapped.PublicKey; return s }(), cert, unitA},
				"the time moved":                {func() wire.SealingKeyStatement { s := st; s.NotBefore = s.NotBefore.Add(time.Second); return s }(), cert, unitA},
				"the unit rewritten":            {func() wire.SealingKeyStatement { s := st; s.Unit = unitB; return s }(), cert, unitB},
				"the signature flipped":         {func() wire.SealingKeyStatement { s := st; s.Signature = flipB64(s.Signature); return s }(), cert, unitA},
				"a stranger's statement":        {strangers, cert, unitA},
				"a stranger's cert put in ours": {func() wire.SealingKeyStatement { s := strangers; s.Certificate = st.Certificate; return s }(), cert, unitA},
				"broken form":                   {func() wire.SealingKeyStatement { s := st; s.Suite = "x"; return s }(), cert, unitA},
			}
			for what, tc := range tests {
				if pub, err := VerifyStatement(tc.st, tc.cert, tc.unit); !errors.Is(err, ErrStatement) || pub != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
		})
	}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := SignStatement(ec, selfSigned(t, signers(t)["Ed25519"], unitA), unitA, k.Public(), notBefore, rand.Reader); err == nil {
		t.Error("signed with a key that is not the certificate's")
	}
}

func flipB64(s string) string {
	b, _ := base64.StdEncoding.DecodeString(s)
	b[len(b)/2] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func TestSuiteNames(t *testing.T) {
	if SuiteName != wire.SealingSuite || PublicKeySize != wire.SealingPublicKeyLen || 2*KeyIDSize != wire.SealingKeyIDLen {
		t.Error("sync/seal and sync/wire name the suite or its sizes differently")
	}
}
