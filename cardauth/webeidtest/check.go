package webeidtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf16"
)

// Length bounds of a token in UTF-16 code units (Java's String length):
// AuthTokenValidatorImpl's TOKEN_MIN_LENGTH and TOKEN_MAX_LENGTH.
const (
	MinLength = 100
	MaxLength = 10000
)

// FormatPrefix is the format every accepted token's starts with
// (AuthTokenValidator.CURRENT_TOKEN_FORMAT_VERSION).
const FormatPrefix = "web-eid:1"

// alg is one of the JWA algorithms the validator allows (RFC 7518
// sections 3.3–3.5): its hash, its kind and, for ECDSA, its curve.
type alg struct {
	hash  crypto.Hash
	kind  string // "ecdsa", "rsa" (PKCS#1 v1.5) or "pss"
	curve elliptic.Curve
}

var algs = map[string]alg{
	"ES256": {crypto.SHA256, "ecdsa", elliptic.P256()},
	"ES384": {crypto.SHA384, "ecdsa", elliptic.P384()},
	"ES512": {crypto.SHA512, "ecdsa", elliptic.P521()},
	"RS256": {crypto.SHA256, "rsa", nil}, "RS384": {crypto.SHA384, "rsa", nil}, "RS512": {crypto.SHA512, "rsa", nil},
	"PS256": {crypto.SHA256, "pss", nil}, "PS384": {crypto.SHA384, "pss", nil}, "PS512": {crypto.SHA512, "pss", nil},
}

// Hash returns the hash of a token algorithm name ("ES384": SHA-384), as
// the validator derives it from the name's last three characters.
func Hash(algorithm string) (crypto.Hash, bool) {
	a, ok := algs[algorithm]
	return a.hash, ok
}

// SignedData is what a Web eID token's signature covers:
// hash(origin) ‖ hash(nonce), hash being the algorithm's own.
func SignedData(h crypto.Hash, origin, nonce string) []byte {
	return append(sum(h, []byte(origin)), sum(h, []byte(nonce))...)
}

func sum(h crypto.Hash, b []byte) []byte {
	switch h {
	case crypto.SHA256:
		d := sha256.Sum256(b)
		return d[:]
	case crypto.SHA384:
		d := sha512.Sum384(b)
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512(b)
		return d[:]
	}
	panic("webeidtest: unsupported hash")
}

// Check reports whether a Web eID validator for origin that issued nonce
// accepts token (apart from the certificate's trust), and why not.
func Check(token []byte, origin, nonce string) error {
	if n := len(utf16.Encode([]rune(string(token)))); n < MinLength || n > MaxLength {
		return fmt.Errorf("token of %d characters; the validator takes %d to %d", n, MinLength, MaxLength)
	}
	// Jackson reads the four members by their exact names and ignores
	// any others (WebEidAuthToken is @JsonIgnoreProperties(ignoreUnknown)).
	var members map[string]json.RawMessage
	if err := json.Unmarshal(token, &members); err != nil || members == nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	str := func(name string) (string, error) {
		raw, ok := members[name]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("member %q is not a string", name)
		}
		return s, nil
	}
	var f [4]string
	for i, name := range []string{"format", "unverifiedCertificate", "algorithm", "signature"} {
		s, err := str(name)
		if err != nil {
			return err
		}
		f[i] = s
	}
	format, certB64, algorithm, sigB64 := f[0], f[1], f[2], f[3]
	if !strings.HasPrefix(format, FormatPrefix) {
		return fmt.Errorf("format %q does not start with %q", format, FormatPrefix)
	}
	if certB64 == "" {
		return errors.New("unverifiedCertificate missing or empty")
	}
	der, err := decodeBase64(certB64)
	if err != nil {
		return fmt.Errorf("unverifiedCertificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fmt.Errorf("unverifiedCertificate: %w", err)
	}
	if err := purpose(cert); err != nil {
		return err
	}
	if algorithm == "" || sigB64 == "" {
		return errors.New("algorithm or signature missing or empty")
	}
	a, ok := algs[algorithm]
	if !ok {
		return fmt.Errorf("unsupported signature algorithm %q", algorithm)
	}
	sig, err := decodeBase64(sigB64)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if err := verify(a, cert.PublicKey, SignedData(a.hash, origin, nonce), sig); err != nil {
		return fmt.Errorf("%s signature: %w", algorithm, err)
	}
	return nil
}

// decodeBase64 decodes as java.util.Base64.getDecoder() does: the
// standard alphabet, no line breaks or other characters, padding
// optional but correct when present.
func decodeBase64(s string) ([]byte, error) {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=') {
			return nil, fmt.Errorf("illegal base64 character %q", r)
		}
	}
	if strings.HasSuffix(s, "=") {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// purpose is SubjectCertificatePurposeValidator: the key usage has
// digitalSignature, and an extended key usage, if any, has clientAuth.
func purpose(c *x509.Certificate) error {
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return errors.New("certificate's key usage lacks digitalSignature")
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return nil
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			return nil
		}
	}
	return errors.New("certificate's extended key usage lacks clientAuth")
}

// verify checks sig over data as JJWT's algorithm for a does: the data is
// hashed once more by the signature algorithm; ECDSA takes the card's raw
// r ‖ s on the algorithm's own curve; RSA keys have at least 2048 bits;
// PSS uses MGF1 with the same hash and a salt as long as the hash.
func verify(a alg, pub crypto.PublicKey, data, sig []byte) error {
	h := a.hash.New()
	h.Write(data)
	d := h.Sum(nil)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if a.kind != "ecdsa" || k.Curve != a.curve {
			return errors.New("the key does not fit the algorithm")
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return fmt.Errorf("ECDSA signature of %d bytes, want %d (raw r ‖ s)", len(sig), 2*size)
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, d, r, s) {
			return errors.New("does not verify")
		}
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("RSA key of %d bits; at least 2048", k.N.BitLen())
		}
		switch a.kind {
		case "rsa":
			return rsa.VerifyPKCS1v15(k, a.hash, d, sig)
		case "pss":
			return rsa.VerifyPSS(k, a.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash})
		}
		return errors.New("the key does not fit the algorithm")
	}
	return fmt.Errorf("unsupported key type %T", pub)
}
