package cardauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// The card's signature follows Web eID's authentication token
// (https://github.com/web-eid/web-eid-system-architecture-doc, format
// "web-eid:1.0"), so a standard Web eID validator checks it too: the card
// signs hash(origin) ‖ hash(nonce) with the algorithm named in the token,
// hash being that algorithm's own (SHA-256 for ES256, PS256, RS256;
// SHA-384 for *384; SHA-512 for *512), and for ECDSA on the algorithm's own
// curve (ES256 P-256, ES384 P-384, ES512 P-521, as JWA fixes them). ECDSA
// signatures are the raw r ‖ s of the card (IEEE P1363), not DER.
// TestWebEIDPublishedTokens checks the verifier against the Web eID
// project's own test tokens, and TestWebEIDBothWays checks the tokens made
// here against a model of its validator (cardauth/webeidtest).

// TokenFormat is the authentication token format this package makes and
// accepts ("web-eid:1" and any "web-eid:1.x").
const TokenFormat = "web-eid:1.0"

// MaxTokenSize bounds an authentication token's JSON.
const MaxTokenSize = 16 << 10

// AuthToken is the card's answer to a login challenge.
type AuthToken struct {
	UnverifiedCertificate string `json:"unverifiedCertificate"` // base64 DER: the card's authentication certificate
	Algorithm             string `json:"algorithm"`             // ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512
	Signature             string `json:"signature"`             // base64
	Format                string `json:"format"`                // "web-eid:1.0"
	AppVersion            string `json:"appVersion"`            // a URL naming the signing app and its version (informative)
}

// ErrMalformedToken is a token that cannot be read at all.
var ErrMalformedToken = errors.New("malformed authentication token")

// ParseAuthToken decodes a token strictly: one JSON object of at most
// MaxTokenSize bytes, no unknown or missing members, a known format and
// algorithm, base64 certificate and signature.
func ParseAuthToken(data []byte) (*AuthToken, error) {
	if len(data) > MaxTokenSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedToken, MaxTokenSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t AuthToken
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedToken, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the token", ErrMalformedToken)
	}
	switch {
	case t.Format != "web-eid:1" && !strings.HasPrefix(t.Format, "web-eid:1."):
		return nil, fmt.Errorf("%w: format %q, want %s", ErrMalformedToken, t.Format, TokenFormat)
	case t.UnverifiedCertificate == "", t.Signature == "":
		return nil, fmt.Errorf("%w: certificate or signature missing", ErrMalformedToken)
	case len(t.AppVersion) > 200:
		return nil, fmt.Errorf("%w: appVersion too long", ErrMalformedToken)
	}
	if _, ok := algorithms[t.Algorithm]; !ok {
		return nil, fmt.Errorf("%w: unknown algorithm %q", ErrMalformedToken, t.Algorithm)
	}
	if _, err := base64.StdEncoding.DecodeString(t.Signature); err != nil {
		return nil, fmt.Errorf("%w: signature is not base64", ErrMalformedToken)
	}
	if _, err := t.Certificate(); err != nil {
		return nil, err
	}
	return &t, nil
}

// Certificate parses the token's certificate. It is unverified: the
// caller checks it against the trust anchors.
func (t *AuthToken) Certificate() (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(t.UnverifiedCertificate)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate is not base64", ErrMalformedToken)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrMalformedToken, err)
	}
	return cert, nil
}

// SignedData is what the card signs for a login with hash h, the hash of
// the token's algorithm: h(origin) ‖ h(nonce), binding the signature to
// the gateway's origin and the issued nonce.
func SignedData(h crypto.Hash, origin, nonce string) []byte {
	return append(digest(h, []byte(origin)), digest(h, []byte(nonce))...)
}

// algorithm is how a token's algorithm name signs.
type algorithm struct {
	hash  crypto.Hash
	kind  string         // "ecdsa", "rsa" (PKCS#1 v1.5) or "pss"
	curve elliptic.Curve // for "ecdsa"
}

var algorithms = map[string]algorithm{
	"ES256": {crypto.SHA256, "ecdsa", elliptic.P256()}, "ES384": {crypto.SHA384, "ecdsa", elliptic.P384()}, "ES512": {crypto.SHA512, "ecdsa", elliptic.P521()},
	"RS256": {crypto.SHA256, "rsa", nil}, "RS384": {crypto.SHA384, "rsa", nil}, "RS512": {crypto.SHA512, "rsa", nil},
	"PS256": {crypto.SHA256, "pss", nil}, "PS384": {crypto.SHA384, "pss", nil}, "PS512": {crypto.SHA512, "pss", nil},
}

func digest(h crypto.Hash, data []byte) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384(data)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(data)
		return d[:]
	default:
		d := sha256.Sum256(data)
		return d[:]
	}
}

// ErrBadSignature is a token whose signature does not verify with its
// certificate's key over this gateway's origin and the issued nonce.
var ErrBadSignature = errors.New("the card's signature does not match this login")

// verifySignature checks the token's signature with the certificate's
// public key over SignedData for origin and nonce, hashed with the
// algorithm's own hash.
func (t *AuthToken) verifySignature(cert *x509.Certificate, origin, nonce string) error {
	alg, ok := algorithms[t.Algorithm]
	if !ok {
		return fmt.Errorf("%w: unknown algorithm %q", ErrBadSignature, t.Algorithm)
	}
	sig, err := base64.StdEncoding.DecodeString(t.Signature)
	if err != nil {
		return ErrBadSignature
	}
	d := digest(alg.hash, SignedData(alg.hash, origin, nonce))
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if alg.kind != "ecdsa" || pub.Curve != alg.curve {
			return fmt.Errorf("%w: algorithm %s for a key on %s", ErrBadSignature, t.Algorithm, pub.Curve.Params().Name)
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("%w: ECDSA signature of %d bytes, want %d", ErrBadSignature, len(sig), 2*size)
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(pub, d, r, s) {
			return ErrBadSignature
		}
	case *rsa.PublicKey:
		switch alg.kind {
		case "rsa":
			err = rsa.VerifyPKCS1v15(pub, alg.hash, d, sig)
		case "pss":
			err = rsa.VerifyPSS(pub, alg.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		default:
			return fmt.Errorf("%w: algorithm %s for an RSA key", ErrBadSignature, t.Algorithm)
		}
		if err != nil {
			return ErrBadSignature
		}
	default:
		return fmt.Errorf("%w: unsupported key type %T", ErrBadSignature, cert.PublicKey)
	}
	return nil
}

// NewAuthToken signs a login challenge with a card's key: the bridge's
// side. signer is the card's authentication key, cert its certificate;
// pss chooses RSA-PSS over PKCS#1 v1.5 for an RSA key.
func NewAuthToken(signer crypto.Signer, cert *x509.Certificate, origin, nonce, appVersion string, pss bool) (*AuthToken, error) {
	var name string
	var opts crypto.SignerOpts
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve.Params().BitSize {
		case 256:
			name, opts = "ES256", crypto.SHA256
		case 384:
			name, opts = "ES384", crypto.SHA384
		case 521:
			name, opts = "ES512", crypto.SHA512
		default:
			return nil, fmt.Errorf("new auth token: unsupported curve %s", pub.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		name, opts = "RS256", crypto.SHA256
		if pss {
			name, opts = "PS256", &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		}
	default:
		return nil, fmt.Errorf("new auth token: unsupported key type %T", cert.PublicKey)
	}
	h := opts.HashFunc()
	sig, err := signer.Sign(rand.Reader, digest(h, SignedData(h, origin, nonce)), opts)
	if err != nil {
		return nil, fmt.Errorf("new auth token: sign: %w", err)
	}
	if _, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		if sig, err = derToP1363(sig, (cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().BitSize+7)/8); err != nil {
			return nil, fmt.Errorf("new auth token: %w", err)
		}
	}
	return &AuthToken{
		UnverifiedCertificate: base64.StdEncoding.EncodeToString(cert.Raw),
		Algorithm:             name,
		Signature:             base64.StdEncoding.EncodeToString(sig),
		Format:                TokenFormat,
		AppVersion:            appVersion,
	}, nil
}

// derToP1363 turns an ASN.1 DER ECDSA signature into r ‖ s, each size
// bytes.
func derToP1363(der []byte, size int) ([]byte, error) {
	var r, s big.Int
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, asn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&r) || !seq.ReadASN1Integer(&s) || !seq.Empty() {
		return nil, errors.New("ECDSA signature is not DER")
	}
	if r.Sign() <= 0 || s.Sign() <= 0 || len(r.Bytes()) > size || len(s.Bytes()) > size {
		return nil, errors.New("ECDSA signature out of range")
	}
	out := make([]byte, 2*size)
	r.FillBytes(out[:size])
	s.FillBytes(out[size:])
	return out, nil
}
