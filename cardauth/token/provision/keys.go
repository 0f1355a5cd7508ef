package provision

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"

	"clinicgw/cardauth/devpki"
)

// Named curves' DER OIDs, for CKA_EC_PARAMS.
var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
)

// generateKeyPair makes a key pair on the token and returns its public
// key, read back from the token.
func generateKeyPair(c *pkcs11.Ctx, s pkcs11.SessionHandle, alg string, id []byte, label string) (crypto.PublicKey, error) {
	common := func(extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
		return append([]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, id),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		}, extra...)
	}
	priv := common(
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
	)
	var (
		mech *pkcs11.Mechanism
		pub  []*pkcs11.Attribute
		oid  asn1.ObjectIdentifier
	)
	switch alg {
	case devpki.KeyRSA2048:
		mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)
		pub = common(
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		)
	case "", devpki.KeyECDSAP256, devpki.KeyECDSAP384:
		oid = oidP256
		if alg == devpki.KeyECDSAP384 {
			oid = oidP384
		}
		params, err := asn1.Marshal(oid)
		if err != nil {
			return nil, err
		}
		mech = pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)
		pub = common(
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
		)
	default:
		return nil, fmt.Errorf("unknown key algorithm %q (want %s, %s or %s)", alg, devpki.KeyECDSAP256, devpki.KeyECDSAP384, devpki.KeyRSA2048)
	}
	pubH, _, err := c.GenerateKeyPair(s, []*pkcs11.Mechanism{mech}, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("generate %s key pair: %w", alg, err)
	}
	if alg == devpki.KeyRSA2048 {
		a, err := c.GetAttributeValue(s, pubH, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			return nil, fmt.Errorf("read the RSA public key: %w", err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, errors.New("RSA public exponent too large")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}, nil
	}
	a, err := c.GetAttributeValue(s, pubH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, fmt.Errorf("read the EC public key: %w", err)
	}
	curve := elliptic.P256()
	if alg == devpki.KeyECDSAP384 {
		curve = elliptic.P384()
	}
	return parseECPoint(curve, a[0].Value)
}

// parseECPoint reads CKA_EC_POINT: a DER OCTET STRING holding the
// uncompressed point (some modules give the bare point).
func parseECPoint(curve elliptic.Curve, v []byte) (*ecdsa.PublicKey, error) {
	var point []byte
	if rest, err := asn1.Unmarshal(v, &point); err != nil || len(rest) != 0 {
		point = v
	}
	return ecdsa.ParseUncompressedPublicKey(curve, point)
}

func importCert(c *pkcs11.Ctx, s pkcs11.SessionHandle, cert *x509.Certificate, id []byte, label string) error {
	_, err := c.CreateObject(s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, cert.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_ISSUER, cert.RawIssuer),
		pkcs11.NewAttribute(pkcs11.CKA_SERIAL_NUMBER, mustASN1(cert.SerialNumber)),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, cert.Raw),
	})
	if err != nil {
		return fmt.Errorf("import certificate %q: %w", label, err)
	}
	return nil
}

func mustASN1(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// importKey stores a private key made outside the token.
func importKey(c *pkcs11.Ctx, s pkcs11.SessionHandle, key crypto.Signer, id []byte, label string) error {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		tmpl = append(tmpl,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()),
		)
	case *ecdsa.PrivateKey:
		oid := oidP256
		if k.Curve == elliptic.P384() {
			oid = oidP384
		}
		d, err := k.Bytes()
		if err != nil {
			return err
		}
		tmpl = append(tmpl,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, mustASN1(oid)),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, d),
		)
	default:
		return fmt.Errorf("import key %q: a %T is neither RSA nor ECDSA", label, key)
	}
	if _, err := c.CreateObject(s, tmpl); err != nil {
		return fmt.Errorf("import key %q: %w", label, err)
	}
	return nil
}
