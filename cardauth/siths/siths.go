package siths

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/sync/tlsconf"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Limits and defaults.
const (
	DefaultFetchTimeout = 3 * time.Second // per OCSP or CRL fetch, inside the login
	DefaultMaxSkew      = 5 * time.Minute // clock difference tolerated in OCSP/CRL times
	maxOCSPBody         = 64 << 10
	maxCRLBody          = 10 << 20
	// ocspMaxAge is how long a response without NextUpdate is trusted
	// after its ThisUpdate, and the longest any response is cached.
	ocspMaxAge = time.Hour
	maxCache   = 4096
)

// Config is the trust and revocation setup.
type Config struct {
	Roots         []*x509.Certificate // trust anchors: the SITHS root(s)
	Intermediates []*x509.Certificate // the person CA(s)
	Clock         Clock               // the system clock if nil
	// HTTP fetches OCSP responses and CRLs; a client with FetchTimeout if nil.
	HTTP         *http.Client
	FetchTimeout time.Duration
	MaxSkew      time.Duration
	// OCSPURL and CRLURL, when set, replace the certificate's own
	// addresses (a region may proxy them).
	OCSPURL, CRLURL string
	// SoftFail accepts a certificate whose revocation status cannot be
	// determined (no responder and no fresh CRL), logging a warning and
	// saying so in Identity.Revocation. Off by default and in the checklist
	// (RV1): turn it on only as a documented, temporary exception when the
	// region's revocation services are down.
	SoftFail bool
	Logger   *slog.Logger
}

// Revocation is how a certificate's revocation status was settled.
type Revocation string

// The revocation outcomes of an accepted certificate.
const (
	GoodOCSP     Revocation = "ocsp-good"
	GoodCRL      Revocation = "crl-not-listed"
	Undetermined Revocation = "undetermined-soft-fail"
)

// Identity is a verified card holder.
type Identity struct {
	HSAID      string
	GivenName  string
	Surname    string
	CommonName string
	Serial     *big.Int
	NotAfter   time.Time
	Revocation Revocation
}

// Errors of Verify; match with errors.Is / errors.As.
var (
	ErrNoHSAID            = errors.New("the certificate names no HSA-ID (subject serialNumber)")
	ErrNotAuthentication  = errors.New("the certificate is not for authentication (key usage digitalSignature missing): the card's signing certificate?")
	ErrUntrusted          = errors.New("the certificate does not chain to a configured SITHS trust anchor")
	ErrExpired            = errors.New("the certificate has expired or is not valid yet")
	ErrUndetermined       = errors.New("the certificate's revocation status cannot be determined")
	errStaleResponse      = errors.New("stale")
	errResponderNotSigner = errors.New("the OCSP responder's certificate lacks the OCSPSigning extended key usage")
)

// RevokedError is a revoked certificate.
type RevokedError struct {
	Serial *big.Int
	At     time.Time
	Reason int    // RFC 5280 reason code
	Source string // "ocsp" or "crl"
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("the certificate (serial %x) was revoked at %s (reason %d, per %s)", e.Serial, e.At.UTC().Format(time.RFC3339), e.Reason, e.Source)
}

// Swedish is a short sentence for staff about err from Verify.
func Swedish(err error) string {
	var rev *RevokedError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &rev):
		return "Kortets certifikat är spärrat. Kontakta din korthandläggare."
	case errors.Is(err, ErrExpired):
		return "Kortets certifikat har gått ut. Kontakta din korthandläggare."
	case errors.Is(err, ErrUndetermined):
		return "Det gick inte att kontrollera om kortet är spärrat. Försök igen om en stund; fungerar det inte, kontakta IT."
	case errors.Is(err, ErrNotAuthentication):
		return "Fel certifikat på kortet valdes (underskriftscertifikatet). Kontakta IT."
	case errors.Is(err, ErrNoHSAID), errors.Is(err, ErrUntrusted):
		return "Kortet är inte ett giltigt SITHS-kort för den här tjänsten."
	}
	return "Kortets certifikat kunde inte kontrolleras."
}

// HSAID returns the HSA-ID in the certificate's subject serialNumber.
func HSAID(cert *x509.Certificate) (string, error) {
	id, err := tlsconf.HSAID(cert)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoHSAID, err)
	}
	return id, nil
}

// IsAuthentication reports whether cert is a card's authentication
// certificate: key usage digitalSignature. The signing certificate a
// SITHS card also holds has nonRepudiation only.
func IsAuthentication(cert *x509.Certificate) bool {
	return cert.KeyUsage&x509.KeyUsageDigitalSignature != 0
}

// Verifier checks card certificates against the SITHS profile. Safe for
// concurrent use.
type Verifier struct {
	cfg   Config
	roots *x509.CertPool
	inter *x509.CertPool
	log   *slog.Logger

	mu    sync.Mutex
	ocsp  map[string]ocspEntry // issuer key hash + serial → response
	crls  map[string]crlEntry  // URL → list
	stats Stats
}

// Stats counts what the verifier fetched and reused (for tests and metrics).
type Stats struct {
	OCSPFetches, OCSPCacheHits, CRLFetches, CRLCacheHits int
}

type ocspEntry struct {
	resp    *ocsp.Response
	expires time.Time
}

type crlEntry struct {
	list    *x509.RevocationList
	expires time.Time
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Roots) == 0 {
		return nil, errors.New("siths: no trust anchors configured")
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: cfg.FetchTimeout}
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{cfg: cfg, roots: x509.NewCertPool(), inter: x509.NewCertPool(), log: cfg.Logger,
		ocsp: make(map[string]ocspEntry), crls: make(map[string]crlEntry)}
	for _, c := range cfg.Roots {
		v.roots.AddCert(c)
	}
	for _, c := range cfg.Intermediates {
		v.inter.AddCert(c)
	}
	return v, nil
}

// Stats returns the fetch and cache counters.
func (v *Verifier) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// CheckAuthCert verifies leaf and returns its HSA-ID (cardauth.CertChecker).
func (v *Verifier) CheckAuthCert(ctx context.Context, leaf *x509.Certificate) (string, error) {
	id, err := v.Verify(ctx, leaf)
	return id.HSAID, err
}

// Verify checks leaf: an HSA-ID, key usage for authentication, a chain to
// the trust anchors valid now, and revocation — OCSP first, then a fresh
// CRL; a status that cannot be settled is refused unless SoftFail is set.
func (v *Verifier) Verify(ctx context.Context, leaf *x509.Certificate) (Identity, error) {
	hsaID, err := HSAID(leaf)
	if err != nil {
		return Identity{}, err
	}
	id := Identity{HSAID: hsaID, GivenName: first(leaf.Subject.Names, oidGivenName), Surname: first(leaf.Subject.Names, oidSurname),
		CommonName: leaf.Subject.CommonName, Serial: leaf.SerialNumber, NotAfter: leaf.NotAfter}
	if !IsAuthentication(leaf) {
		return Identity{HSAID: hsaID}, ErrNotAuthentication
	}
	now := v.cfg.Clock.Now()
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return Identity{HSAID: hsaID}, fmt.Errorf("%w (valid %s to %s)", ErrExpired, leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: v.inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return Identity{HSAID: hsaID}, fmt.Errorf("%w: %v", ErrUntrusted, err)
	}
	issuer := chains[0][1]
	rev, err := v.revocation(ctx, leaf, issuer, now)
	if err != nil {
		var revoked *RevokedError
		if errors.As(err, &revoked) || !v.cfg.SoftFail {
			v.log.Warn("card certificate refused", "hsaId", hsaID, "err", err)
			return Identity{HSAID: hsaID}, err
		}
		v.log.Warn("revocation undetermined; accepted by the soft-fail setting", "hsaId", hsaID, "err", err)
		rev = Undetermined
	}
	id.Revocation = rev
	return id, nil
}

// revocation settles leaf's status: OCSP, then the CRL.
func (v *Verifier) revocation(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) (Revocation, error) {
	ocspErr := v.checkOCSP(ctx, leaf, issuer, now)
	if ocspErr == nil {
		return GoodOCSP, nil
	}
	var revoked *RevokedError
	if errors.As(ocspErr, &revoked) {
		return "", ocspErr
	}
	crlErr := v.checkCRL(ctx, leaf, issuer, now)
	if crlErr == nil {
		return GoodCRL, nil
	}
	if errors.As(crlErr, &revoked) {
		return "", crlErr
	}
	return "", fmt.Errorf("%w: OCSP: %v; CRL: %v", ErrUndetermined, ocspErr, crlErr)
}

func (v *Verifier) checkOCSP(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) error {
	url := v.cfg.OCSPURL
	if url == "" && len(leaf.OCSPServer) > 0 {
		url = leaf.OCSPServer[0]
	}
	if url == "" {
		return errors.New("no OCSP responder named")
	}
	key := string(issuer.RawSubjectPublicKeyInfo) + "|" + leaf.SerialNumber.String()
	v.mu.Lock()
	e, ok := v.ocsp[key]
	if ok && now.Before(e.expires) {
		v.stats.OCSPCacheHits++
		v.mu.Unlock()
		return ocspStatus(e.resp, leaf)
	}
	v.stats.OCSPFetches++
	v.mu.Unlock()

	req, err := ocsp.CreateRequest(leaf, issuer, nil)
	if err != nil {
		return err
	}
	body, err := v.fetch(ctx, http.MethodPost, url, req, "application/ocsp-request", maxOCSPBody)
	if err != nil {
		return err
	}
	resp, err := v.parseOCSP(body, leaf, issuer, now)
	if err != nil {
		return err
	}
	exp := resp.ThisUpdate.Add(ocspMaxAge)
	if !resp.NextUpdate.IsZero() && resp.NextUpdate.Before(exp) {
		exp = resp.NextUpdate
	}
	v.mu.Lock()
	if len(v.ocsp) >= maxCache {
		clear(v.ocsp)
	}
	v.ocsp[key] = ocspEntry{resp: resp, expires: exp}
	v.mu.Unlock()
	return ocspStatus(resp, leaf)
}

// parseOCSP parses and checks an OCSP response: signed by the issuer, or
// by a responder certificate the issuer issued that carries the
// OCSPSigning extended key usage and is valid now; fresh.
func (v *Verifier) parseOCSP(body []byte, leaf, issuer *x509.Certificate, now time.Time) (*ocsp.Response, error) {
	resp, err := ocsp.ParseResponseForCert(body, leaf, issuer)
	if err != nil {
		return nil, fmt.Errorf("OCSP response: %w", err)
	}
	if rc := resp.Certificate; rc != nil && !bytes.Equal(rc.Raw, issuer.Raw) {
		// ParseResponseForCert has checked that the issuer signed rc.
		if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return nil, errResponderNotSigner
		}
		if now.Before(rc.NotBefore) || now.After(rc.NotAfter) {
			return nil, errors.New("the OCSP responder's certificate is not valid now")
		}
	}
	if resp.SerialNumber == nil || resp.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		return nil, errors.New("the OCSP response is about another certificate")
	}
	skew := v.cfg.MaxSkew
	switch {
	case resp.ThisUpdate.After(now.Add(skew)):
		return nil, fmt.Errorf("OCSP response %w: thisUpdate in the future", errStaleResponse)
	case resp.NextUpdate.IsZero() && now.Sub(resp.ThisUpdate) > skew:
		return nil, fmt.Errorf("OCSP response %w: no nextUpdate and thisUpdate older than %v", errStaleResponse, skew)
	case !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate.Add(skew)):
		return nil, fmt.Errorf("OCSP response %w: nextUpdate %s has passed", errStaleResponse, resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	return resp, nil
}

func ocspStatus(resp *ocsp.Response, leaf *x509.Certificate) error {
	switch resp.Status {
	case ocsp.Good:
		return nil
	case ocsp.Revoked:
		return &RevokedError{Serial: leaf.SerialNumber, At: resp.RevokedAt, Reason: resp.RevocationReason, Source: "ocsp"}
	}
	return errors.New("the OCSP responder does not know the certificate")
}

func (v *Verifier) checkCRL(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) error {
	url := v.cfg.CRLURL
	if url == "" && len(leaf.CRLDistributionPoints) > 0 {
		url = leaf.CRLDistributionPoints[0]
	}
	if url == "" {
		return errors.New("no CRL distribution point named")
	}
	v.mu.Lock()
	e, ok := v.crls[url]
	if ok && now.Before(e.expires) {
		v.stats.CRLCacheHits++
		v.mu.Unlock()
		return crlStatus(e.list, leaf)
	}
	v.stats.CRLFetches++
	v.mu.Unlock()
	body, err := v.fetch(ctx, http.MethodGet, url, nil, "", maxCRLBody)
	if err != nil {
		return err
	}
	list, err := v.parseCRL(body, issuer, now)
	if err != nil {
		return err
	}
	v.mu.Lock()
	if len(v.crls) >= maxCache {
		clear(v.crls)
	}
	v.crls[url] = crlEntry{list: list, expires: list.NextUpdate}
	v.mu.Unlock()
	return crlStatus(list, leaf)
}

// parseCRL parses and checks a CRL: signed by the issuer, fresh.
func (v *Verifier) parseCRL(body []byte, issuer *x509.Certificate, now time.Time) (*x509.RevocationList, error) {
	list, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, fmt.Errorf("CRL: %w", err)
	}
	if err := list.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("CRL: not signed by the certificate's issuer: %w", err)
	}
	switch {
	case list.ThisUpdate.After(now.Add(v.cfg.MaxSkew)):
		return nil, fmt.Errorf("CRL %w: thisUpdate in the future", errStaleResponse)
	case list.NextUpdate.IsZero():
		return nil, fmt.Errorf("CRL %w: no nextUpdate", errStaleResponse)
	case now.After(list.NextUpdate):
		return nil, fmt.Errorf("CRL %w: nextUpdate %s has passed", errStaleResponse, list.NextUpdate.UTC().Format(time.RFC3339))
	}
	return list, nil
}

func crlStatus(list *x509.RevocationList, leaf *x509.Certificate) error {
	for _, e := range list.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
			return &RevokedError{Serial: leaf.SerialNumber, At: e.RevocationTime, Reason: e.ReasonCode, Source: "crl"}
		}
	}
	return nil
}

// fetch gets url within FetchTimeout, reading at most limit bytes.
func (v *Verifier) fetch(ctx context.Context, method, url string, body []byte, contentType string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := v.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("fetch %s: larger than %d bytes", url, limit)
	}
	return data, nil
}
