package siths

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"
)

// ocspAnswer is what a checked OCSP response says about a certificate.
type ocspAnswer struct {
	status    int // ocsp.Good, ocsp.Revoked, ocsp.Unknown
	revokedAt time.Time
	reason    int
}

func (a *ocspAnswer) err(cert *x509.Certificate) error {
	switch a.status {
	case ocsp.Good:
		return nil
	case ocsp.Revoked:
		return &RevokedError{Serial: cert.SerialNumber, At: a.revokedAt, Reason: a.reason, Source: "ocsp"}
	}
	return errUnknown
}

// ocspStatus asks the OCSP responder about cert (or takes a cached
// answer): nil for good, a *RevokedError, or why there is no answer.
func (v *Verifier) ocspStatus(ctx context.Context, cert, issuer *x509.Certificate, now time.Time) error {
	urls := httpURLs(cert.OCSPServer)
	if v.cfg.OCSPURL != "" {
		urls = []string{v.cfg.OCSPURL}
	}
	if len(urls) == 0 {
		return fmt.Errorf("%w for an OCSP responder", errNoURL)
	}
	key := cacheKey(issuer, string(cert.SerialNumber.Bytes()))
	v.mu.Lock()
	if a, ok := v.ocsp.get(key, now); ok {
		v.stats.OCSPCacheHits++
		v.mu.Unlock()
		return a.err(cert)
	}
	v.stats.OCSPFetches++
	v.mu.Unlock()

	req, err := ocsp.CreateRequest(cert, issuer, nil)
	if err != nil {
		return fmt.Errorf("OCSP request: %w", err)
	}
	var errs []error
	for _, u := range urls {
		body, err := v.fetch(ctx, http.MethodPost, u, req, "application/ocsp-request", maxOCSPBody)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a, until, err := v.checkOCSP(body, cert, issuer, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("the response from %s: %w", u, err))
			continue
		}
		v.mu.Lock()
		v.ocsp.put(key, a, until, now)
		v.mu.Unlock()
		return a.err(cert)
	}
	return errors.Join(errs...)
}

// cacheKey is issuer's public key (hashed) and rest.
func cacheKey(issuer *x509.Certificate, rest string) string {
	h := sha256.Sum256(issuer.RawSubjectPublicKeyInfo)
	return string(h[:]) + rest
}

// checkOCSP parses and checks an OCSP response about cert, returning what
// it says and until when it may be reused. The checks, beyond the syntax:
//   - it is about cert: its serial number and its issuer's name and key
//     hashes (CertID);
//   - it is signed by cert's issuer, or by a delegated responder whose
//     certificate the issuer signed, that carries the OCSPSigning extended
//     key usage and is valid now;
//   - it is fresh: thisUpdate not ahead of now by more than MaxSkew;
//     nextUpdate not passed, or, without a nextUpdate, thisUpdate at most
//     NoNextUpdateMaxAge ago.
func (v *Verifier) checkOCSP(body []byte, cert, issuer *x509.Certificate, now time.Time) (*ocspAnswer, time.Time, error) {
	// With a nil issuer the parser checks only that an embedded
	// certificate signed the response; who that is is checked below.
	resp, err := ocsp.ParseResponseForCert(body, cert, nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("not a usable OCSP response: %w", err)
	}
	if err := checkCertID(body, cert.SerialNumber, issuer); err != nil {
		return nil, time.Time{}, err
	}
	if err := checkResponder(resp, issuer, now); err != nil {
		return nil, time.Time{}, err
	}
	until := resp.NextUpdate
	switch {
	case resp.ThisUpdate.After(now.Add(v.cfg.MaxSkew)):
		return nil, time.Time{}, fmt.Errorf("OCSP response %w: its thisUpdate %s is ahead of our clock", errStale, stamp(resp.ThisUpdate))
	case resp.NextUpdate.IsZero():
		until = resp.ThisUpdate.Add(NoNextUpdateMaxAge)
		if !now.Before(until) {
			return nil, time.Time{}, fmt.Errorf("OCSP response %w: no nextUpdate, and its thisUpdate %s is more than %v ago", errStale, stamp(resp.ThisUpdate), NoNextUpdateMaxAge)
		}
	case resp.NextUpdate.Before(resp.ThisUpdate):
		return nil, time.Time{}, fmt.Errorf("OCSP response %w: its nextUpdate comes before its thisUpdate", errStale)
	case !now.Before(resp.NextUpdate):
		return nil, time.Time{}, fmt.Errorf("OCSP response %w: its nextUpdate %s has passed", errStale, stamp(resp.NextUpdate))
	}
	return &ocspAnswer{status: resp.Status, revokedAt: resp.RevokedAt, reason: resp.RevocationReason}, v.cacheUntil(now, until), nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// checkResponder checks that issuer signed resp, itself or through a
// delegated responder (RFC 6960 §4.2.2.2).
func checkResponder(resp *ocsp.Response, issuer *x509.Certificate, now time.Time) error {
	rc := resp.Certificate
	if rc == nil || bytes.Equal(rc.RawSubjectPublicKeyInfo, issuer.RawSubjectPublicKeyInfo) {
		// Signed by the issuer's key (a response may carry the issuer's
		// certificate, or another certificate for the same key).
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("%w: %w", errNotAuthorized, err)
		}
		return nil
	}
	// The parser has checked that rc's key signed the response.
	if err := rc.CheckSignatureFrom(issuer); err != nil {
		return fmt.Errorf("%w: the responder's certificate %q is not the issuer's: %w", errNotAuthorized, rc.Subject.CommonName, err)
	}
	if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		return fmt.Errorf("%w: the responder's certificate %q lacks the OCSPSigning extended key usage", errNotAuthorized, rc.Subject.CommonName)
	}
	if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
		return fmt.Errorf("%w: the responder's certificate %q is not valid now (%s to %s)", errNotAuthorized, rc.Subject.CommonName, stamp(rc.NotBefore), stamp(rc.NotAfter))
	}
	return nil
}

type ocspHash struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}

var ocspHashes = []ocspHash{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// checkCertID finds, in the DER OCSP response der, the first single
// response about serial (the one ocsp.ParseResponseForCert reads) and
// checks that its CertID names issuer: the hashes of its name and key.
// The parser matches on the serial number alone, which two CAs may share.
func checkCertID(der []byte, serial *big.Int, issuer *x509.Certificate) error {
	bad := errors.New("OCSP response: malformed CertID list")
	in := cryptobyte.String(der)
	var resp, rbWrap, rb, basicOctets, basic, tbs, responses cryptobyte.String
	if !in.ReadASN1(&resp, casn1.SEQUENCE) ||
		!resp.SkipASN1(casn1.ENUM) ||
		!resp.ReadASN1(&rbWrap, casn1.Tag(0).Constructed().ContextSpecific()) ||
		!rbWrap.ReadASN1(&rb, casn1.SEQUENCE) ||
		!rb.SkipASN1(casn1.OBJECT_IDENTIFIER) ||
		!rb.ReadASN1(&basicOctets, casn1.OCTET_STRING) ||
		!basicOctets.ReadASN1(&basic, casn1.SEQUENCE) ||
		!basic.ReadASN1(&tbs, casn1.SEQUENCE) ||
		!tbs.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) {
		return bad
	}
	switch byID := casn1.Tag(1).Constructed().ContextSpecific(); {
	case tbs.PeekASN1Tag(byID):
		tbs.SkipASN1(byID)
	case tbs.PeekASN1Tag(casn1.Tag(2).Constructed().ContextSpecific()):
		tbs.SkipASN1(casn1.Tag(2).Constructed().ContextSpecific())
	default:
		return bad
	}
	if !tbs.SkipASN1(casn1.GeneralizedTime) || !tbs.ReadASN1(&responses, casn1.SEQUENCE) {
		return bad
	}
	for !responses.Empty() {
		var single, certID, alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		var nameHash, keyHash []byte
		sn := new(big.Int)
		if !responses.ReadASN1(&single, casn1.SEQUENCE) ||
			!single.ReadASN1(&certID, casn1.SEQUENCE) ||
			!certID.ReadASN1(&alg, casn1.SEQUENCE) ||
			!alg.ReadASN1ObjectIdentifier(&oid) ||
			!certID.ReadASN1Bytes(&nameHash, casn1.OCTET_STRING) ||
			!certID.ReadASN1Bytes(&keyHash, casn1.OCTET_STRING) ||
			!certID.ReadASN1Integer(sn) {
			return bad
		}
		if sn.Cmp(serial) != 0 {
			continue
		}
		i := slices.IndexFunc(ocspHashes, func(h ocspHash) bool { return h.oid.Equal(oid) })
		if i < 0 || !ocspHashes[i].hash.Available() {
			return fmt.Errorf("OCSP response: CertID hash algorithm %v not supported", oid)
		}
		key, err := publicKeyBits(issuer)
		if err != nil {
			return err
		}
		if !bytes.Equal(nameHash, digest(ocspHashes[i].hash, issuer.RawSubject)) || !bytes.Equal(keyHash, digest(ocspHashes[i].hash, key)) {
			return fmt.Errorf("%w: the response is about a certificate of another issuer with the same serial number", errNotAuthorized)
		}
		return nil
	}
	return bad
}

func digest(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}

// publicKeyBits is the subjectPublicKey BIT STRING's content of cert, which
// a CertID's issuerKeyHash hashes.
func publicKeyBits(cert *x509.Certificate) ([]byte, error) {
	in := cryptobyte.String(cert.RawSubjectPublicKeyInfo)
	var spki cryptobyte.String
	var bits asn1.BitString
	if !in.ReadASN1(&spki, casn1.SEQUENCE) || !spki.SkipASN1(casn1.SEQUENCE) || !spki.ReadASN1BitString(&bits) {
		return nil, errors.New("the issuer's public key cannot be read")
	}
	return bits.RightAlign(), nil
}
