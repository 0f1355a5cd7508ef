package tlsconf

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"clinicgw/sync/wire/hsaid"
)

// oidSerialNumber is the subject attribute serialNumber (2.5.4.5), where
// SITHS certificates carry the HSA-ID.
var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

// Errors from HSAID and RequireHSAID, for errors.Is.
var (
	// ErrNoHSAID: the certificate's subject has no serialNumber.
	ErrNoHSAID = errors.New("the certificate names no HSA-ID (its subject has no serialNumber)")
	// ErrWrongHSAID: the certificate names another HSA-ID than the one required.
	ErrWrongHSAID = errors.New("the certificate names another HSA-ID")
)

// HSAID returns the HSA-ID in the subject serialNumber (OID 2.5.4.5) of a
// SITHS-style certificate: a care unit's or a person's. A subject without
// a serialNumber, with more than one, or with one that is not an HSA-ID is
// an error that says so (wrapping ErrNoHSAID or hsaid.ErrMalformed). HSAID
// does not verify the certificate: call it on a verified one.
func HSAID(cert *x509.Certificate) (string, error) {
	if cert == nil {
		return "", fmt.Errorf("tlsconf: %w", ErrNoHSAID)
	}
	var id string
	n := 0
	for _, attr := range cert.Subject.Names {
		if !attr.Type.Equal(oidSerialNumber) {
			continue
		}
		n++
		s, ok := attr.Value.(string)
		if !ok {
			return "", fmt.Errorf("tlsconf: the certificate's subject serialNumber is %w: it is not a string", hsaid.ErrMalformed)
		}
		id = s
	}
	switch {
	case n == 0:
		return "", fmt.Errorf("tlsconf: %w", ErrNoHSAID)
	case n > 1:
		return "", fmt.Errorf("tlsconf: the certificate's subject has %d serialNumbers, so its HSA-ID is ambiguous: %w", n, hsaid.ErrMalformed)
	}
	if err := hsaid.Check(id); err != nil {
		return "", fmt.Errorf("tlsconf: the certificate's subject serialNumber is %w", err)
	}
	return id, nil
}

// RequireHSAID returns a check, for the verify argument of Server or
// Client, that accepts only a certificate naming the HSA-ID want. If want
// is not an HSA-ID itself, the check refuses every certificate (saying
// so) rather than comparing against it.
func RequireHSAID(want string) func(*x509.Certificate) error {
	if err := hsaid.Check(want); err != nil {
		err = fmt.Errorf("tlsconf: the required HSA-ID is %w; fix the configuration", err)
		return func(*x509.Certificate) error { return err }
	}
	return func(cert *x509.Certificate) error {
		got, err := HSAID(cert)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("tlsconf: %w: it belongs to %s, not %s", ErrWrongHSAID, got, want)
		}
		return nil
	}
}
