package siths

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/cryptobyte"
	casn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crlList is a checked CRL, indexed by serial number.
type crlList struct {
	revoked map[string]x509.RevocationListEntry
	scope   crlScope
}

// crlScope is what an issuingDistributionPoint extension limits a CRL to.
type crlScope struct {
	onlyUsers, onlyCAs bool
}

func (s crlScope) covers(cert *x509.Certificate) bool {
	return !(s.onlyUsers && cert.IsCA) && !(s.onlyCAs && !cert.IsCA)
}

func serialKey(sn *big.Int) string {
	return fmt.Sprint(sn.Sign()) + string(sn.Bytes())
}

func (l *crlList) status(cert *x509.Certificate) error {
	if !l.scope.covers(cert) {
		return errors.New("the CRL does not cover this kind of certificate (issuingDistributionPoint)")
	}
	if e, ok := l.revoked[serialKey(cert.SerialNumber)]; ok {
		return &RevokedError{Serial: cert.SerialNumber, At: e.RevocationTime, Reason: e.ReasonCode, Source: "crl"}
	}
	return nil
}

// crlStatus looks cert up in its issuer's CRL from the first of urls that
// gives a fresh one (or a cached one): nil if not listed, a *RevokedError,
// or why there is no fresh CRL.
func (v *Verifier) crlStatus(ctx context.Context, cert, issuer *x509.Certificate, urls []string, now time.Time) error {
	if len(urls) == 0 {
		return fmt.Errorf("%w for a CRL", errNoURL)
	}
	var errs []error
	for _, u := range urls {
		key := cacheKey(issuer, u)
		v.mu.Lock()
		l, ok := v.crls.get(key, now)
		if ok {
			v.stats.CRLCacheHits++
		} else {
			v.stats.CRLFetches++
		}
		v.mu.Unlock()
		if ok {
			return l.status(cert)
		}
		body, err := v.fetch(ctx, http.MethodGet, u, nil, "", maxCRLBody)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		l, until, err := v.checkCRL(body, issuer, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("the CRL from %s: %w", u, err))
			continue
		}
		v.mu.Lock()
		v.crls.put(key, l, until, now)
		v.mu.Unlock()
		return l.status(cert)
	}
	return errors.Join(errs...)
}

var (
	oidAuthorityKeyID = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidCRLNumber      = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidIssuingDP      = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidDeltaCRL       = asn1.ObjectIdentifier{2, 5, 29, 27}
)

// checkCRL parses and checks a CRL (DER, or PEM as some servers give it):
// issued and signed by issuer, a complete CRL (not a delta, not indirect,
// not limited to some reasons), fresh: thisUpdate not ahead of now by
// more than MaxSkew and nextUpdate present and not passed. It returns the
// list and until when it may be reused.
func (v *Verifier) checkCRL(body []byte, issuer *x509.Certificate, now time.Time) (*crlList, time.Time, error) {
	if b, _ := pem.Decode(body); b != nil && b.Type == "X509 CRL" {
		body = b.Bytes
	}
	list, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("not a CRL: %w", err)
	}
	if !bytes.Equal(list.RawIssuer, issuer.RawSubject) {
		return nil, time.Time{}, fmt.Errorf("the CRL is issued by %q, not by the certificate's issuer %q", list.Issuer.CommonName, issuer.Subject.CommonName)
	}
	if err := list.CheckSignatureFrom(issuer); err != nil {
		return nil, time.Time{}, fmt.Errorf("the CRL is not signed by the certificate's issuer: %w", err)
	}
	l := &crlList{revoked: make(map[string]x509.RevocationListEntry, len(list.RevokedCertificateEntries))}
	for _, ext := range list.Extensions {
		switch {
		case ext.Id.Equal(oidIssuingDP):
			if l.scope, err = parseIssuingDP(ext.Value); err != nil {
				return nil, time.Time{}, err
			}
		case ext.Id.Equal(oidDeltaCRL):
			return nil, time.Time{}, errors.New("a delta CRL, not a complete one")
		case ext.Critical && !ext.Id.Equal(oidAuthorityKeyID) && !ext.Id.Equal(oidCRLNumber):
			return nil, time.Time{}, fmt.Errorf("the CRL has an unsupported critical extension %v", ext.Id)
		}
	}
	switch {
	case list.ThisUpdate.After(now.Add(v.cfg.MaxSkew)):
		return nil, time.Time{}, fmt.Errorf("CRL %w: its thisUpdate %s is ahead of our clock", errStale, stamp(list.ThisUpdate))
	case list.NextUpdate.IsZero():
		return nil, time.Time{}, fmt.Errorf("CRL %w: it has no nextUpdate", errStale)
	case !now.Before(list.NextUpdate):
		return nil, time.Time{}, fmt.Errorf("CRL %w: its nextUpdate %s has passed", errStale, stamp(list.NextUpdate))
	}
	for _, e := range list.RevokedCertificateEntries {
		if e.SerialNumber != nil {
			l.revoked[serialKey(e.SerialNumber)] = e
		}
	}
	return l, v.cacheUntil(now, list.NextUpdate), nil
}

// parseIssuingDP reads an issuingDistributionPoint extension (RFC 5280
// §5.2.5). A CRL limited to some reasons, indirect or for attribute
// certificates is refused: it is not the complete list this check needs.
func parseIssuingDP(der []byte) (crlScope, error) {
	in := cryptobyte.String(der)
	var idp cryptobyte.String
	if !in.ReadASN1(&idp, casn1.SEQUENCE) || !in.Empty() {
		return crlScope{}, errors.New("the CRL's issuingDistributionPoint is malformed")
	}
	var s crlScope
	if !idp.SkipOptionalASN1(casn1.Tag(0).Constructed().ContextSpecific()) ||
		!readImplicitBool(&idp, &s.onlyUsers, 1) || !readImplicitBool(&idp, &s.onlyCAs, 2) {
		return crlScope{}, errors.New("the CRL's issuingDistributionPoint is malformed")
	}
	if !idp.Empty() {
		return crlScope{}, errors.New("a partial CRL (indirect, or for some reasons or attribute certificates only), not a complete one")
	}
	return s, nil
}

// readImplicitBool reads an optional [tag] IMPLICIT BOOLEAN DEFAULT FALSE.
func readImplicitBool(in *cryptobyte.String, out *bool, tag uint8) bool {
	var v cryptobyte.String
	var present bool
	if !in.ReadOptionalASN1(&v, &present, casn1.Tag(tag).ContextSpecific()) {
		return false
	}
	switch {
	case !present:
		*out = false
	case len(v) == 1 && v[0] == 0xff:
		*out = true
	case len(v) == 1 && v[0] == 0:
		*out = false
	default:
		return false
	}
	return true
}

// CheckCRLURL fetches the CRL at Config.CRLURL (a region's proxy that
// replaces the cards' own CRL addresses) and checks it as a login would:
// issued and signed by one of the person CAs, complete and fresh. The
// checked list is kept for the logins that follow. Nil without a CRLURL.
// A configuration reload calls it before it puts the URL in use.
func (v *Verifier) CheckCRLURL(ctx context.Context) error {
	u := v.cfg.CRLURL
	if u == "" {
		return nil
	}
	now := v.cfg.Clock.Now()
	body, err := v.fetch(ctx, http.MethodGet, u, nil, "", maxCRLBody)
	if err != nil {
		return err
	}
	var errs []error
	for _, issuer := range v.cfg.Intermediates {
		l, until, err := v.checkCRL(body, issuer, now)
		if err == nil {
			v.mu.Lock()
			v.crls.put(cacheKey(issuer, u), l, until, now)
			v.mu.Unlock()
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("the CRL from %s is not a fresh, complete CRL of a person CA: %w", u, errors.Join(errs...))
}
