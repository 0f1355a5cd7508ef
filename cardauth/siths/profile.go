package siths

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"

	"clinicgw/sync/tlsconf"
)

var (
	oidGivenName = asn1.ObjectIdentifier{2, 5, 4, 42}
	oidSurname   = asn1.ObjectIdentifier{2, 5, 4, 4}
)

// HSAID returns the HSA-ID in the certificate's subject serialNumber (OID
// 2.5.4.5). A subject without one, with more than one, or with one that is
// not a well-formed HSA-ID is an error wrapping ErrNoHSAID (and
// tlsconf.ErrNoHSAID or hsaid.ErrMalformed). HSAID does not verify
// the certificate.
func HSAID(cert *x509.Certificate) (string, error) {
	id, err := tlsconf.HSAID(cert)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoHSAID, err)
	}
	return id, nil
}

// IsAuthentication reports whether cert is a SITHS card's authentication
// certificate rather than its signing one: an end-entity certificate whose
// key usage includes digitalSignature and whose extended key usage, if it
// has one, allows clientAuth. The signing certificate has nonRepudiation
// (contentCommitment) only. A certificate without a key usage extension is
// not taken: SITHS certificates always carry one.
func IsAuthentication(cert *x509.Certificate) bool {
	if cert == nil || cert.IsCA || cert.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return false
	}
	if len(cert.ExtKeyUsage) == 0 && len(cert.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageClientAuth) || slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageAny)
}

// names returns the holder's given name, surname and common name.
func names(cert *x509.Certificate) (given, surname, cn string) {
	return first(cert.Subject.Names, oidGivenName), first(cert.Subject.Names, oidSurname), cert.Subject.CommonName
}

// first returns the first string value of attribute oid in names.
func first(names []pkix.AttributeTypeAndValue, oid asn1.ObjectIdentifier) string {
	for _, n := range names {
		if n.Type.Equal(oid) {
			if s, ok := n.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}
