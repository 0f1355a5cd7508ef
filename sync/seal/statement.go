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

// A unit publishes its sealing public key in a wire.SealingKeyStatement
// signed with the key of its certificate (the client certificate of the
// sync's mutual TLS). The signed bytes are the line "clinicgw sealing key
// statement v1", then the unit, key id, suite, public key (base64, as in
// the statement) and not-before time (RFC 3339 in UTC), each on its own
// line ending in a line feed. The signature is ECDSA (ASN.1) or RSA-PSS
// (salt the hash's length) over their SHA-256, or Ed25519 over the bytes,
// by the certificate key's type. The gateway verifies what the central
// store publishes for it against its own certificate; the central store
// verifies what it is given against the request's client certificate.

// ErrStatement means a sealing key statement is not one the unit signed
// for this key: another unit's, another certificate's, a key swapped
// under a signature, or a signature that does not verify.
var ErrStatement = errors.New("the sealing key statement is not signed by this unit's certificate")

// statementBytes are the bytes a statement's signature covers.
func statementBytes(st wire.SealingKeyStatement) []byte {
	var b bytes.Buffer
	for _, line := range []string{"clinicgw sealing key statement v1", st.Unit, st.KeyID, st.Suite, st.PublicKey, st.NotBefore.UTC().Format(time.RFC3339Nano)} {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// SignStatement returns unit's statement of pub, signed by signer, the key
// of cert. notBefore is kept to the second.
func SignStatement(signer crypto.Signer, cert *x509.Certificate, unit string, pub *PublicKey, notBefore time.Time, random io.Reader) (wire.SealingKeyStatement, error) {
	if k, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(cert.PublicKey) {
		return wire.SealingKeyStatement{}, errors.New("sign the sealing key statement: the signer is not the certificate's key")
	}
	st := wire.SealingKeyStatement{
		Unit: unit, KeyID: pub.ID().String(), Suite: wire.SealingSuite,
		PublicKey: base64.StdEncoding.EncodeToString(pub.raw), NotBefore: notBefore.UTC().Truncate(time.Second),
		Certificate: base64.StdEncoding.EncodeToString(cert.Raw),
	}
	msg := statementBytes(st)
	digest := sha256.Sum256(msg)
	var sig []byte
	var err error
	switch cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		sig, err = signer.Sign(random, digest[:], crypto.SHA256)
	case *rsa.PublicKey:
		sig, err = signer.Sign(random, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
	case ed25519.PublicKey:
		sig, err = signer.Sign(random, msg, crypto.Hash(0))
	default:
		return wire.SealingKeyStatement{}, fmt.Errorf("sign the sealing key statement: a %T certificate key is not supported", cert.PublicKey)
	}
	if err != nil {
		return wire.SealingKeyStatement{}, fmt.Errorf("sign the sealing key statement: %w", err)
	}
	st.Signature = base64.StdEncoding.EncodeToString(sig)
	if err := st.Validate(); err != nil {
		return wire.SealingKeyStatement{}, fmt.Errorf("sign the sealing key statement: %w", err)
	}
	return st, nil
}

// VerifyStatement checks that st is unit's statement signed with the key
// of cert, and returns the public key it states. Any other statement is
// ErrStatement, wrapped with what differs.
func VerifyStatement(st wire.SealingKeyStatement, cert *x509.Certificate, unit string) (*PublicKey, error) {
	refuse := func(why string) (*PublicKey, error) { return nil, fmt.Errorf("%w: %s", ErrStatement, why) }
	raw, certDER, sig, err := st.Decoded()
	if err != nil {
		return refuse("its form is broken")
	}
	if st.Unit != unit {
		return refuse("it is for unit " + st.Unit)
	}
	if !bytes.Equal(certDER, cert.Raw) {
		return refuse("it is signed with another certificate")
	}
	pub, err := ParsePublicKey(raw)
	if err != nil {
		return refuse("its public key does not parse")
	}
	if pub.ID().String() != st.KeyID {
		return refuse("its key id is not its public key's")
	}
	msg := statementBytes(st)
	digest := sha256.Sum256(msg)
	ok := false
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest[:], sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, sig)
	}
	if !ok {
		return refuse("its signature does not verify")
	}
	return pub, nil
}
