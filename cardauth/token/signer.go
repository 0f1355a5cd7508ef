package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"
)

// Signer is a certificate on the token and its private key; it
// implements crypto.Signer. RSA keys sign PKCS#1 v1.5 (CKM_RSA_PKCS over
// a DigestInfo) or, with *rsa.PSSOptions, PSS (CKM_RSA_PKCS_PSS, when the
// token offers it); ECDSA keys (P-256, P-384) sign with CKM_ECDSA and the
// signature comes back ASN.1 DER as crypto/ecdsa makes it. Hashes:
// SHA-256, SHA-384, SHA-512.
type Signer struct {
	t     *Token
	cert  *x509.Certificate
	id    []byte
	label string

	mu         sync.Mutex
	found      bool
	key        pkcs11.ObjectHandle
	alwaysAuth bool
}

// Certificate returns the certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// ID returns the CKA_ID the certificate and its key share.
func (s *Signer) ID() []byte { return s.id }

// Label returns the certificate object's CKA_LABEL.
func (s *Signer) Label() string { return s.label }

// Public returns the certificate's public key.
func (s *Signer) Public() crypto.PublicKey { return s.cert.PublicKey }

// Sign signs digest with the token's key, within the token's deadline.
// The random source is not used: the token has its own.
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.SignContext(context.Background(), digest, opts)
}

// SignContext is Sign with a context. For a key that asks for the PIN at
// every use (CKA_ALWAYS_AUTHENTICATE, as PIV slot 9C) it returns
// ErrPINRequired unless the reader has a PIN pad; use SignWithPIN.
func (s *Signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.sign(ctx, "", digest, opts)
}

// SignWithPIN signs like SignContext; when the key asks for the PIN at
// every use, pin (the one the user gave for this operation) is given to
// the token with a context-specific login, once. A refused PIN is a
// *PINError and ends the login (a PIV card forgets the verified PIN):
// Login again before the next signature. For other keys pin is not used.
func (s *Signer) SignWithPIN(ctx context.Context, pin string, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if pin == "" {
		return nil, ErrPINRequired
	}
	return s.sign(ctx, pin, digest, opts)
}

func (s *Signer) sign(ctx context.Context, pin string, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	t := s.t
	if err := t.usable(); err != nil {
		return nil, err
	}
	if !t.LoggedIn() && t.open.LoginRequired {
		return nil, ErrNotLoggedIn
	}
	req, err := prepare(s.cert.PublicKey, t.mechs, digest, opts)
	if err != nil {
		return nil, err
	}
	// The PIN pad's deadline when the user may type on it: a key that
	// asks for the PIN at every use, or one not looked at yet.
	s.mu.Lock()
	pad := t.open.ProtectedAuthPath && pin == "" && (!s.found || s.alwaysAuth)
	s.mu.Unlock()
	var sig []byte
	err = t.do(ctx, t.deadlineFor(pad), "sign", func(p p11) error {
		key, always, err := s.findKey(p)
		if err != nil {
			return err
		}
		if always && pin == "" && !pad {
			return ErrPINRequired
		}
		if err := p.SignInit(t.sess, []*pkcs11.Mechanism{req.mech}, key); err != nil {
			return fmt.Errorf("token: start signing: %w", err)
		}
		if always {
			if err := p.Login(t.sess, pkcs11.CKU_CONTEXT_SPECIFIC, pin); err != nil {
				_, _ = p.Sign(t.sess, req.data) // ends the operation; the card refuses it
				// A refused PIN logs the user out, as on a PIV card (and
				// OpenSC): the same state on every token.
				_ = p.Logout(t.sess)
				t.mu.Lock()
				t.loggedIn = false
				t.mu.Unlock()
				ti, _ := p.GetTokenInfo(t.slot)
				return t.pinError(p, err, ti)
			}
		}
		raw, err := p.Sign(t.sess, req.data)
		if err != nil {
			return fmt.Errorf("token: sign: %w", err)
		}
		sig = raw
		return nil
	})
	if err != nil {
		return nil, err
	}
	if req.ecdsa {
		return ecdsaRawToDER(sig)
	}
	return sig, nil
}

// findKey finds the private key with the certificate's CKA_ID, once.
func (s *Signer) findKey(p p11) (pkcs11.ObjectHandle, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.found {
		return s.key, s.alwaysAuth, nil
	}
	hs, err := findObjects(p, s.t.sess, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_ID, s.id),
	})
	if err != nil {
		return 0, false, err
	}
	if len(hs) == 0 {
		return 0, false, fmt.Errorf("%w: no private key with the certificate's CKA_ID %x", ErrNoKey, s.id)
	}
	always := false
	if a, err := attrs(p, s.t.sess, hs[0], pkcs11.CKA_ALWAYS_AUTHENTICATE); err == nil {
		v := a[pkcs11.CKA_ALWAYS_AUTHENTICATE]
		always = len(v) == 1 && v[0] != 0
	}
	s.found, s.key, s.alwaysAuth = true, hs[0], always
	return s.key, s.alwaysAuth, nil
}

// signRequest is what to give C_SignInit and C_Sign.
type signRequest struct {
	mech  *pkcs11.Mechanism
	data  []byte
	ecdsa bool // the result is r||s, to be made DER
}

// DigestInfo prefixes (RFC 8017 §9.2 note 1) for PKCS#1 v1.5 with
// CKM_RSA_PKCS, which signs what it is given.
var digestInfo = map[crypto.Hash][]byte{
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// pssHash maps a hash to its PKCS#11 mechanism and MGF1 function.
var pssHash = map[crypto.Hash][2]uint{
	crypto.SHA256: {pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256},
	crypto.SHA384: {pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384},
	crypto.SHA512: {pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512},
}

// prepare chooses the mechanism and the data to sign for a key, a digest
// and options, checking them first.
func prepare(pub crypto.PublicKey, mechs map[uint]bool, digest []byte, opts crypto.SignerOpts) (signRequest, error) {
	if opts == nil {
		return signRequest{}, errors.New("token: sign: no hash given (opts is nil)")
	}
	h := opts.HashFunc()
	if _, ok := digestInfo[h]; !ok {
		return signRequest{}, fmt.Errorf("token: sign: hash %v not supported; use SHA-256, SHA-384 or SHA-512", h)
	}
	if len(digest) != h.Size() {
		return signRequest{}, fmt.Errorf("token: sign: digest of %d bytes for %v, which makes %d", len(digest), h, h.Size())
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			if !mechs[pkcs11.CKM_RSA_PKCS_PSS] {
				return signRequest{}, fmt.Errorf("%w: RSA-PSS (CKM_RSA_PKCS_PSS); sign PKCS#1 v1.5 instead", ErrMechanism)
			}
			salt := pss.SaltLength
			switch salt {
			case rsa.PSSSaltLengthAuto, rsa.PSSSaltLengthEqualsHash:
				salt = h.Size()
			}
			if salt < 0 || salt > (k.N.BitLen()+7)/8-h.Size()-2 {
				return signRequest{}, fmt.Errorf("token: sign: PSS salt length %d does not fit the key", pss.SaltLength)
			}
			hm := pssHash[h]
			params := pkcs11.NewPSSParams(hm[0], hm[1], uint(salt))
			return signRequest{mech: pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS, params), data: digest}, nil
		}
		if !mechs[pkcs11.CKM_RSA_PKCS] {
			return signRequest{}, fmt.Errorf("%w: RSA PKCS#1 v1.5 (CKM_RSA_PKCS)", ErrMechanism)
		}
		data := append(append([]byte(nil), digestInfo[h]...), digest...)
		return signRequest{mech: pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), data: data}, nil
	case *ecdsa.PublicKey:
		if !mechs[pkcs11.CKM_ECDSA] {
			return signRequest{}, fmt.Errorf("%w: ECDSA (CKM_ECDSA)", ErrMechanism)
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		data := digest
		if len(data) > size { // as crypto/ecdsa: the leftmost bits (the curves here are byte-sized)
			data = data[:size]
		}
		return signRequest{mech: pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil), data: data, ecdsa: true}, nil
	}
	return signRequest{}, fmt.Errorf("token: sign: a %T key is neither RSA nor ECDSA", pub)
}

// ecdsaRawToDER turns a PKCS#11 ECDSA signature, r||s with each half the
// size of the curve's order, into the ASN.1 DER SEQUENCE {r, s} of
// crypto/ecdsa and X.509.
func ecdsaRawToDER(raw []byte) ([]byte, error) {
	if len(raw) == 0 || len(raw)%2 != 0 || len(raw) > 2*66 {
		return nil, fmt.Errorf("token: the token's ECDSA signature has %d bytes; want r||s of equal halves", len(raw))
	}
	half := len(raw) / 2
	r := new(big.Int).SetBytes(raw[:half])
	s := new(big.Int).SetBytes(raw[half:])
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, errors.New("token: the token's ECDSA signature has a zero r or s")
	}
	return asn1.Marshal(struct{ R, S *big.Int }{r, s})
}
