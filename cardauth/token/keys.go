package token

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"

	"github.com/miekg/pkcs11"
)

// findObjects returns the handles of the session's objects matching tmpl.
func findObjects(p p11, sess pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := p.FindObjectsInit(sess, tmpl); err != nil {
		return nil, fmt.Errorf("token: find objects: %w", err)
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := p.FindObjects(sess, 32)
		if err != nil {
			_ = p.FindObjectsFinal(sess)
			return nil, fmt.Errorf("token: find objects: %w", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := p.FindObjectsFinal(sess); err != nil {
		return nil, fmt.Errorf("token: find objects: %w", err)
	}
	return all, nil
}

// attrs reads attributes of an object, by type.
func attrs(p p11, sess pkcs11.SessionHandle, o pkcs11.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	tmpl := make([]*pkcs11.Attribute, len(types))
	for i, typ := range types {
		tmpl[i] = pkcs11.NewAttribute(typ, nil)
	}
	got, err := p.GetAttributeValue(sess, o, tmpl)
	if err != nil {
		return nil, fmt.Errorf("token: read object attributes: %w", err)
	}
	m := make(map[uint][]byte, len(got))
	for _, a := range got {
		m[a.Type] = a.Value
	}
	return m, nil
}

// Certificates returns every X.509 certificate on the token as a Signer
// whose private key is the one with the same CKA_ID (found when it first
// signs, after Login). Certificates that do not parse are skipped.
func (t *Token) Certificates(ctx context.Context) ([]*Signer, error) {
	var out []*Signer
	err := t.do(ctx, t.cfg.Deadline, "list certificates", func(p p11) error {
		hs, err := findObjects(p, t.sess, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
			pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		})
		if err != nil {
			return err
		}
		for _, h := range hs {
			a, err := attrs(p, t.sess, h, pkcs11.CKA_ID, pkcs11.CKA_LABEL, pkcs11.CKA_VALUE)
			if err != nil {
				return err
			}
			cert, err := x509.ParseCertificate(a[pkcs11.CKA_VALUE])
			if err != nil {
				t.log.Warn("token certificate skipped", "slot", t.slot, "err", err.Error())
				continue
			}
			out = append(out, &Signer{t: t, cert: cert, id: bytes.Clone(a[pkcs11.CKA_ID]), label: string(a[pkcs11.CKA_LABEL])})
		}
		return nil
	})
	return out, err
}

// AuthCert returns the card's authentication certificate, as a Signer
// with its private key (same CKA_ID). A SITHS card also holds a signing
// certificate (key usage nonRepudiation only); this is the other one: see
// PickAuth.
func (t *Token) AuthCert(ctx context.Context) (*Signer, error) {
	all, err := t.Certificates(ctx)
	if err != nil {
		return nil, err
	}
	certs := make([]*x509.Certificate, len(all))
	for i, s := range all {
		certs[i] = s.cert
	}
	i := PickAuth(certs)
	if i < 0 {
		return nil, ErrNoAuthCert
	}
	return all[i], nil
}

// PickAuth returns the index of the authentication certificate among a
// card's certificates, or -1 if there is none: an end-entity certificate
// whose key usage has digitalSignature. Among several, one with extended
// key usage clientAuth is preferred, then one without nonRepudiation
// (contentCommitment): a signing certificate is never the answer when an
// authentication certificate is there.
func PickAuth(certs []*x509.Certificate) int {
	best, bestScore := -1, 0
	for i, c := range certs {
		if c.IsCA || c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			continue
		}
		score := 1
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageClientAuth {
				score += 4
			}
		}
		if c.KeyUsage&x509.KeyUsageContentCommitment == 0 {
			score += 2
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
