package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"clinicgw/sync/wire"
)

// The central store's own sealing key (issue 22, item 4): the gateway
// seals its outbox items to it. The central store publishes it in a
// wire.CentralSealingKeyStatement signed with the key of its TLS server
// certificate. The signed bytes are the line "clinicgw central sealing key
// statement v1", then the key id, suite, public key (base64) and
// not-before time (RFC 3339 in UTC), each on its own line ending in a line
// feed; the signature as the unit's statement's (statement.go). The
// gateway verifies it against the central CA it pins
// (VerifyCentralStatement): the statement's certificate must chain to it,
// be for server authentication and name the host the gateway dials —
// never the TLS peer's certificate, which a TLS-terminating proxy
// replaces with its own.

// ErrCentralStatement means a central sealing key statement is not one a
// central store's certificate under the pinned CA signed for its key.
var ErrCentralStatement = errors.New("the central store's sealing key statement is not signed by a central store certificate of the pinned CA")

func centralStatementBytes(st wire.CentralSealingKeyStatement) []byte {
	var b bytes.Buffer
	for _, line := range []string{"clinicgw central sealing key statement v1", st.KeyID, st.Suite, st.PublicKey, st.NotBefore.UTC().Format(time.RFC3339Nano)} {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SignCentralStatement returns the central store's statement of pub,
// signed by signer, the key of its server certificate cert.
// chain are the intermediate CA certificates (DER) between cert and the
// central CA.
func SignCentralStatement(signer crypto.Signer, cert *x509.Certificate, chain [][]byte, pub *PublicKey, notBefore time.Time, random io.Reader) (wire.CentralSealingKeyStatement, error) {
	if k, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(cert.PublicKey) {
		return wire.CentralSealingKeyStatement{}, errors.New("sign the central sealing key statement: the signer is not the certificate's key")
	}
	st := wire.CentralSealingKeyStatement{
		KeyID: pub.ID().String(), Suite: wire.SealingSuite,
		PublicKey: base64.StdEncoding.EncodeToString(pub.raw), NotBefore: notBefore.UTC().Truncate(time.Second),
		Certificate: base64.StdEncoding.EncodeToString(cert.Raw),
	}
	for _, c := range chain {
		st.Chain = append(st.Chain, base64.StdEncoding.EncodeToString(c))
	}
	sig, err := signBytes(signer, cert, centralStatementBytes(st), random)
	if err != nil {
		return wire.CentralSealingKeyStatement{}, fmt.Errorf("sign the central sealing key statement: %w", err)
	}
	st.Signature = base64.StdEncoding.EncodeToString(sig)
	if err := st.Validate(); err != nil {
		return wire.CentralSealingKeyStatement{}, fmt.Errorf("sign the central sealing key statement: %w", err)
	}
	return st, nil
}

// VerifyCentralStatement checks that st is signed with the key of a
// server certificate that chains to roots and is valid for serverName at
// now, and returns the public key it states. Anything else is
// ErrCentralStatement, wrapped with what differs.
func VerifyCentralStatement(st wire.CentralSealingKeyStatement, roots *x509.CertPool, serverName string, now time.Time) (*PublicKey, error) {
	refuse := func(why string) (*PublicKey, error) { return nil, fmt.Errorf("%w: %s", ErrCentralStatement, why) }
	raw, certDER, sig, err := st.Decoded()
	if err != nil {
		return refuse("its form is broken")
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return refuse("its certificate does not parse")
	}
	if roots == nil {
		return refuse("no central CA is pinned")
	}
	inter := x509.NewCertPool()
	for _, c := range st.Chain {
		der, _ := base64.StdEncoding.Strict().DecodeString(c) // Decoded checked the form
		ic, err := x509.ParseCertificate(der)
		if err != nil {
			return refuse("a certificate of its chain does not parse")
		}
		inter.AddCert(ic)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: serverName, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return refuse("its certificate is not a central store's of the pinned CA: " + err.Error())
	}
	pub, err := ParsePublicKey(raw)
	if err != nil {
		return refuse("its public key does not parse")
	}
	if pub.ID().String() != st.KeyID {
		return refuse("its key id is not its public key's")
	}
	if !verifyBytes(cert, centralStatementBytes(st), sig) {
		return refuse("its signature does not verify")
	}
	return pub, nil
}

// signBytes signs msg with signer, the key of cert, as statements are.
func signBytes(signer crypto.Signer, cert *x509.Certificate, msg []byte, random io.Reader) ([]byte, error) {
	digest := sha256.Sum256(msg)
	switch cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return signer.Sign(random, digest[:], crypto.SHA256)
	case *rsa.PublicKey:
		return signer.Sign(random, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	case ed25519.PublicKey:
		return signer.Sign(random, msg, crypto.Hash(0))
	}
	return nil, fmt.Errorf("a %T certificate key is not supported", cert.PublicKey)
}

// verifyBytes checks sig over msg with cert's key, as statements are.
func verifyBytes(cert *x509.Certificate, msg, sig []byte) bool {
	digest := sha256.Sum256(msg)
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest[:], sig)
	case *rsa.PublicKey:
		return rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, msg, sig)
	}
	return false
}

// OutboxContext is what an outbox item's envelope is bound to: the unit
// it comes from (written in the envelope; the central store opens with
// the unit of the request's client certificate), its idempotency key and
// its kind. A payload moved to another item, kind or unit does not open.
func OutboxContext(unit, key string, kind wire.OutboxKind) Context {
	return Context{Unit: unit, ID: key, Kind: "outbox." + string(kind)}
}
