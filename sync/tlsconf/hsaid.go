package tlsconf

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
)

// oidSerialNumber is the subject attribute serialNumber (2.5.4.5), where
// SITHS certificates carry the HSA-ID.
var oidSerialNumber = asn1.ObjectIdentifier{2, 5, 4, 5}

// maxHSAIDLen is the longest HSA-ID, all of it (Inera: "HSA-id ska inte
// överskrida 31 tecken totalt").
const maxHSAIDLen = 31

// Errors from HSAID and RequireHSAID, for errors.Is.
var (
	// ErrNoHSAID: the certificate's subject has no serialNumber.
	ErrNoHSAID = errors.New("the certificate names no HSA-ID (its subject has no serialNumber)")
	// ErrMalformedHSAID: the value is not shaped like an HSA-ID.
	ErrMalformedHSAID = errors.New("not an HSA-ID")
	// ErrWrongHSAID: the certificate names another HSA-ID than the one required.
	ErrWrongHSAID = errors.New("the certificate names another HSA-ID")
)

// CheckHSAID returns nil if s has the shape of an HSA-ID, else an error
// wrapping ErrMalformedHSAID that says what is wrong (without repeating s,
// which may hold anything). The shape: "SE", the directory owner's
// organisation number (10 digits, or 12 with the prefix 16), "-", then one
// or more of A–Z, a–z and 0–9; 31 characters at most in all. For example
// SE2321000016-15ZM.
func CheckHSAID(s string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrMalformedHSAID, why) }
	if len(s) > maxHSAIDLen {
		return bad(fmt.Sprintf("it is %d characters long; an HSA-ID has at most %d", len(s), maxHSAIDLen))
	}
	if len(s) < 2 || s[:2] != "SE" {
		return bad(`it does not start with the country code "SE"`)
	}
	rest := s[2:]
	digits := 0
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		digits++
	}
	if !(digits == 10 || digits == 12 && rest[:2] == "16") {
		return bad(`"SE" must be followed by the 10-digit organisation number (or 16 and the 10 digits), then "-"`)
	}
	rest = rest[digits:]
	if rest == "" || rest[0] != '-' {
		return bad(`the organisation number must be followed by "-"`)
	}
	rest = rest[1:]
	if rest == "" {
		return bad(`nothing follows the "-"; at least one letter or digit must`)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return bad(`after the "-" only the letters A–Z, a–z and the digits 0–9 are allowed`)
		}
	}
	return nil
}

// ValidHSAID reports whether s has the shape of an HSA-ID (see CheckHSAID).
func ValidHSAID(s string) bool { return CheckHSAID(s) == nil }

// HSAID returns the HSA-ID in the subject serialNumber (OID 2.5.4.5) of a
// SITHS-style certificate: a care unit's or a person's. A subject without
// a serialNumber, with more than one, or with one that is not an HSA-ID is
// an error that says so (wrapping ErrNoHSAID or ErrMalformedHSAID). HSAID
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
			return "", fmt.Errorf("tlsconf: the certificate's subject serialNumber is %w: it is not a string", ErrMalformedHSAID)
		}
		id = s
	}
	switch {
	case n == 0:
		return "", fmt.Errorf("tlsconf: %w", ErrNoHSAID)
	case n > 1:
		return "", fmt.Errorf("tlsconf: the certificate's subject has %d serialNumbers, so its HSA-ID is ambiguous: %w", n, ErrMalformedHSAID)
	}
	if err := CheckHSAID(id); err != nil {
		return "", fmt.Errorf("tlsconf: the certificate's subject serialNumber is %w", err)
	}
	return id, nil
}

// RequireHSAID returns a check, for the verify argument of Server or
// Client, that accepts only a certificate naming the HSA-ID want. If want
// is not an HSA-ID itself, the check refuses every certificate (saying
// so) rather than comparing against it.
func RequireHSAID(want string) func(*x509.Certificate) error {
	if err := CheckHSAID(want); err != nil {
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
