package siths

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"sync"
	"time"

	"clinicgw/sync/tlsconf"
)

// Clock tells the time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Defaults and limits.
const (
	// DefaultFetchTimeout bounds each OCSP or CRL fetch: they happen inside
	// a login, where staff wait.
	DefaultFetchTimeout = 3 * time.Second
	// DefaultMaxSkew is the clock difference tolerated when a response's
	// thisUpdate lies ahead of our clock. A passed nextUpdate gets no
	// tolerance: it is stale.
	DefaultMaxSkew = 5 * time.Minute
	// DefaultCacheMaxAge is the longest an OCSP response or a CRL is reused
	// after it was fetched, however late its nextUpdate: a revocation
	// reaches logins within this time.
	DefaultCacheMaxAge = time.Hour
	// NoNextUpdateMaxAge is how long after its thisUpdate an OCSP response
	// without a nextUpdate is accepted (and cached): such a responder
	// promises nothing beyond the moment it answered (RFC 6960 §4.2.2.1).
	NoNextUpdateMaxAge = 5 * time.Minute

	maxOCSPBody  = 64 << 10
	maxCRLBody   = 10 << 20
	maxCacheSize = 4096 // OCSP responses; CRLs: maxCacheSize/64
	maxRedirects = 3
)

// Config is the trust and revocation setup of a Verifier.
type Config struct {
	Roots         []*x509.Certificate // trust anchors: the SITHS root(s)
	Intermediates []*x509.Certificate // the person CA(s) that issue staff cards
	Clock         Clock               // the system clock if nil
	// HTTP fetches OCSP responses and CRLs. If nil, a client that follows
	// at most 3 redirects, to http(s) only, gives up after FetchTimeout and
	// keeps no connection open after a fetch (answers are cached, so a
	// fetch is rare, and the verifier has no Close to end idle ones).
	// Every fetch also runs under a context with FetchTimeout.
	HTTP         *http.Client
	FetchTimeout time.Duration // DefaultFetchTimeout if 0
	MaxSkew      time.Duration // DefaultMaxSkew if 0
	CacheMaxAge  time.Duration // DefaultCacheMaxAge if 0
	// OCSPURL and CRLURL, when set, replace the addresses a card's
	// certificate names (a region may proxy them). They apply to the card's
	// certificate only; a person CA's own CRL is fetched from the address
	// its certificate names.
	OCSPURL, CRLURL string
	// SoftFail accepts a certificate whose revocation status cannot be
	// determined — no valid OCSP answer and no fresh CRL — logging a
	// warning and saying so in Identity.Revocation (Undetermined). It is
	// off by default, as checklist RV1 asks; turn it on only as a
	// documented, temporary exception while the region's revocation
	// services are down. A revoked certificate is refused either way.
	SoftFail bool
	Logger   *slog.Logger // discards if nil
}

// Revocation says how an accepted certificate's revocation status was
// settled.
type Revocation string

// The revocation outcomes of an accepted certificate.
const (
	GoodOCSP     Revocation = "ocsp-good"              // the OCSP responder said good
	GoodCRL      Revocation = "crl-not-listed"         // a fresh CRL does not list it
	Undetermined Revocation = "undetermined-soft-fail" // neither answered; accepted by SoftFail
)

// Identity is a verified card holder. Names are for display only: never
// log them.
type Identity struct {
	HSAID      string
	GivenName  string
	Surname    string
	CommonName string
	Serial     *big.Int
	NotAfter   time.Time
	Revocation Revocation
}

// Verifier checks staff card certificates against the SITHS profile. Safe
// for concurrent use.
type Verifier struct {
	cfg   Config
	roots *x509.CertPool
	inter *x509.CertPool
	log   *slog.Logger

	mu    sync.Mutex
	ocsp  cache[*ocspAnswer] // issuer key + serial → response
	crls  cache[*crlList]    // URL + issuer key → list
	stats Stats
}

// Stats counts what a Verifier fetched and reused (tests, metrics).
type Stats struct {
	OCSPFetches, OCSPCacheHits, CRLFetches, CRLCacheHits int
}

// New checks cfg and returns a Verifier.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Roots) == 0 {
		return nil, errors.New("siths: no trust anchors configured: name the SITHS root certificate(s)")
	}
	for _, u := range []string{cfg.OCSPURL, cfg.CRLURL} {
		if u != "" && !httpURL(u) {
			return nil, fmt.Errorf("siths: %q is not an http(s) URL", u)
		}
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.FetchTimeout <= 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	if cfg.MaxSkew <= 0 {
		cfg.MaxSkew = DefaultMaxSkew
	}
	if cfg.CacheMaxAge <= 0 {
		cfg.CacheMaxAge = DefaultCacheMaxAge
	}
	if cfg.HTTP == nil {
		// OCSP and CRL are fetched over http; an https URL or redirect
		// trusts the system's roots.
		tr := tlsconf.NewTransport(tlsconf.PublicClient(nil, ""))
		tr.DisableKeepAlives = true
		cfg.HTTP = &http.Client{Timeout: cfg.FetchTimeout, CheckRedirect: checkRedirect, Transport: tr}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{cfg: cfg, roots: x509.NewCertPool(), inter: x509.NewCertPool(), log: cfg.Logger,
		ocsp: newCache[*ocspAnswer](maxCacheSize), crls: newCache[*crlList](maxCacheSize / 64)}
	for _, c := range cfg.Roots {
		if c == nil {
			return nil, errors.New("siths: a nil trust anchor")
		}
		v.roots.AddCert(c)
	}
	for _, c := range cfg.Intermediates {
		if c == nil || !c.IsCA {
			return nil, errors.New("siths: an intermediate that is not a CA certificate: login.person_cas must name the person CA certificates")
		}
		v.inter.AddCert(c)
	}
	return v, nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("more than %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
	}
	return nil
}

// Stats returns the fetch and cache counters.
func (v *Verifier) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// CheckAuthCert verifies leaf and returns its HSA-ID (cardauth.CertChecker);
// on an error, the HSA-ID the certificate claims, if any, as Verify.
func (v *Verifier) CheckAuthCert(ctx context.Context, leaf *x509.Certificate) (string, error) {
	id, err := v.Verify(ctx, leaf, nil)
	return id.HSAID, err
}

// Verify checks a card's authentication certificate leaf: a well-formed
// HSA-ID, key usage for authentication, validity now, a chain to the
// trust anchors through the configured person CAs (and extra, certificates
// that came with leaf; never trusted as anchors), and revocation: of leaf
// by OCSP first, then by a fresh CRL, and of each CA between leaf and the
// anchor by its CRL when its certificate names one. A status that cannot
// be settled is refused with ErrUndetermined unless Config.SoftFail is on.
// The errors are described at ErrNoHSAID; Swedish(err) is for staff. On
// an error after the HSA-ID was read, Identity holds only that HSA-ID, as
// the certificate claims it (unverified; for the audit log).
func (v *Verifier) Verify(ctx context.Context, leaf *x509.Certificate, extra []*x509.Certificate) (Identity, error) {
	if leaf == nil {
		return Identity{}, fmt.Errorf("%w: no certificate", ErrNoHSAID)
	}
	hsaID, err := HSAID(leaf)
	if err != nil {
		return Identity{}, err
	}
	claimed := Identity{HSAID: hsaID} // unverified, for the audit log
	if !IsAuthentication(leaf) {
		return claimed, ErrNotAuthentication
	}
	now := v.cfg.Clock.Now()
	span := fmt.Sprintf("valid from %s to %s", leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case now.Before(leaf.NotBefore):
		return claimed, fmt.Errorf("%w (%s)", ErrNotYetValid, span)
	case now.After(leaf.NotAfter):
		return claimed, fmt.Errorf("%w (%s)", ErrExpired, span)
	}
	inter := v.inter
	if len(extra) > 0 {
		inter = v.inter.Clone()
		for _, c := range extra {
			if c != nil {
				inter.AddCert(c)
			}
		}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: v.roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return claimed, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	chain := chains[0]
	if len(chain) < 2 {
		return claimed, fmt.Errorf("%w: the certificate is itself a trust anchor, not a card's", ErrUntrusted)
	}
	rev, err := v.revocation(ctx, chain, now)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ErrUndetermined) {
			// Not a verdict on the certificate, and never soft-failed.
			return claimed, fmt.Errorf("the certificate check was abandoned: %w", ctxErr)
		}
		if !errors.Is(err, ErrUndetermined) || !v.cfg.SoftFail {
			v.log.Warn("card certificate refused by its revocation status", "hsaId", hsaID, "err", err)
			return claimed, err
		}
		v.log.Warn("card certificate accepted although its revocation status is undetermined (soft-fail setting)", "hsaId", hsaID, "err", err)
		rev = Undetermined
	}
	given, surname, cn := names(leaf)
	return Identity{HSAID: hsaID, GivenName: given, Surname: surname, CommonName: cn,
		Serial: leaf.SerialNumber, NotAfter: leaf.NotAfter, Revocation: rev}, nil
}

// revocation settles the status of chain[0] (OCSP, then its CRL) and of
// the CAs between it and the anchor (their CRLs, when named).
func (v *Verifier) revocation(ctx context.Context, chain []*x509.Certificate, now time.Time) (Revocation, error) {
	rev, err := v.leafStatus(ctx, chain[0], chain[1], now)
	if err != nil {
		return "", err
	}
	for i := 1; i+1 < len(chain); i++ {
		ca, issuer := chain[i], chain[i+1]
		urls := httpURLs(ca.CRLDistributionPoints)
		if len(urls) == 0 {
			continue
		}
		if err := v.crlStatus(ctx, ca, issuer, urls, now); err != nil {
			var revoked *RevokedError
			if errors.As(err, &revoked) {
				revoked.CA = true
				return "", revoked
			}
			return "", fmt.Errorf("%w: the issuing CA %q: CRL: %w", ErrUndetermined, ca.Subject.CommonName, err)
		}
	}
	return rev, nil
}

// leafStatus settles leaf's status: OCSP, then the CRL.
func (v *Verifier) leafStatus(ctx context.Context, leaf, issuer *x509.Certificate, now time.Time) (Revocation, error) {
	ocspErr := v.ocspStatus(ctx, leaf, issuer, now)
	if ocspErr == nil {
		return GoodOCSP, nil
	}
	var revoked *RevokedError
	if errors.As(ocspErr, &revoked) {
		return "", ocspErr
	}
	crlURLs := httpURLs(leaf.CRLDistributionPoints)
	if v.cfg.CRLURL != "" {
		crlURLs = []string{v.cfg.CRLURL}
	}
	crlErr := v.crlStatus(ctx, leaf, issuer, crlURLs, now)
	if crlErr == nil {
		return GoodCRL, nil
	}
	if errors.As(crlErr, &revoked) {
		return "", crlErr
	}
	return "", fmt.Errorf("%w: OCSP: %w; CRL: %w", ErrUndetermined, ocspErr, crlErr)
}

// httpURLs returns the http(s) URLs of urls (SITHS certificates may also
// name ldap ones).
func httpURLs(urls []string) []string {
	var out []string
	for _, u := range urls {
		if httpURL(u) {
			out = append(out, u)
		}
	}
	return out
}
