package agent

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"time"

	"clinicgw/agent/directory"
	"clinicgw/cardauth"
	"clinicgw/cardauth/siths"
)

// LoginConfig is staff login by SITHS card. With no origin there is no
// staff login.
type LoginConfig struct {
	Origin        string   `toml:"origin"`         // the gateway's web origin, https://host:port
	TrustAnchors  []string `toml:"trust_anchors"`  // PEM: SITHS root(s)
	PersonCAs     []string `toml:"person_cas"`     // PEM: the person CA(s)
	DirectoryFile string   `toml:"directory_file"` // the HSA staff directory (JSON)
	SoftFail      bool     `toml:"soft_fail"`      // accept undetermined revocation: off by default
	OCSPURL       string   `toml:"ocsp_url"`
	CRLURL        string   `toml:"crl_url"`
}

// Enabled reports whether staff login is configured.
func (l LoginConfig) Enabled() bool { return l.Origin != "" }

func (l LoginConfig) validate() []error {
	if !l.Enabled() {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("login.%s: "+format, append([]any{key}, args...)...))
	}
	if u, err := url.Parse(l.Origin); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		bad("origin", "%q: expected https://host[:port] and nothing more, as browsers show the gateway", l.Origin)
	}
	if len(l.TrustAnchors) == 0 {
		bad("trust_anchors", "missing; expected the SITHS root certificate file(s)")
	}
	if len(l.PersonCAs) == 0 {
		bad("person_cas", "missing; expected the SITHS person CA certificate file(s)")
	}
	if l.DirectoryFile == "" {
		bad("directory_file", "missing; expected the HSA staff directory file region IT exports")
	}
	for _, f := range []struct{ key, v string }{{"ocsp_url", l.OCSPURL}, {"crl_url", l.CRLURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(f.key, "%q is not an http(s) URL", f.v)
		}
	}
	return errs
}

// loginParts are what staff login runs on.
type loginParts struct {
	auth *cardauth.Authenticator
	dir  *directory.Watcher
}

// newLogin loads the trust anchors and the directory and makes the
// authenticator. Sessions of people who lose their commission in a
// directory reload end at once.
func newLogin(cfg *Config, clock Clock, log *slog.Logger) (*loginParts, error) {
	l := cfg.Login
	roots, err := readCerts(cfg, l.TrustAnchors, "login.trust_anchors")
	if err != nil {
		return nil, err
	}
	cas, err := readCerts(cfg, l.PersonCAs, "login.person_cas")
	if err != nil {
		return nil, err
	}
	v, err := siths.New(siths.Config{Roots: roots, Intermediates: cas, Clock: clock, SoftFail: l.SoftFail,
		OCSPURL: l.OCSPURL, CRLURL: l.CRLURL, Logger: log.With("part", "siths")})
	if err != nil {
		return nil, err
	}
	if l.SoftFail {
		log.Warn("card login accepts certificates whose revocation status cannot be determined (login.soft_fail = true)")
	}
	lp := &loginParts{}
	unit := cfg.Unit.HSAID
	lp.dir, err = directory.Load(cfg.resolve(l.DirectoryFile), directory.Options{Clock: clock, Logger: log.With("part", "directory"),
		OnChange: func(old, new *directory.Directory) {
			for _, id := range directory.Revoked(old, new, unit, clock.Now()) {
				lp.auth.EndStaff(id, cardauth.EndRevoked)
			}
		}})
	if err != nil {
		return nil, fmt.Errorf("login.directory_file: %w", err)
	}
	lp.auth, err = cardauth.New(cardauth.Config{Origin: l.Origin, Certs: v, Staff: staffLookup{lp.dir, unit},
		Clock: clock, Logger: log.With("part", "login")})
	if err != nil {
		return nil, err
	}
	return lp, nil
}

// run keeps the directory current and ends abandoned sessions.
func (lp *loginParts) run(ctx context.Context) error {
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				lp.auth.Sweep()
			}
		}
	}()
	return lp.dir.Run(ctx)
}

func readCerts(cfg *Config, files []string, key string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range files {
		data, err := os.ReadFile(cfg.resolve(f))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		n := 0
		for {
			var b *pem.Block
			b, data = pem.Decode(data)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", key, f, err)
			}
			if !c.IsCA {
				return nil, fmt.Errorf("%s: %s holds a certificate that is not a CA (%s)", key, f, c.Subject.CommonName)
			}
			out, n = append(out, c), n+1
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: %s holds no PEM certificate", key, f)
		}
	}
	return out, nil
}

// staffLookup answers cardauth from the directory in use.
type staffLookup struct {
	w    *directory.Watcher
	unit string
}

func (s staffLookup) Staff(hsaID string, now time.Time) (cardauth.Staff, error) {
	p, err := s.w.Current().Access(hsaID, s.unit, now)
	if err != nil {
		return cardauth.Staff{}, err
	}
	return cardauth.Staff{HSAID: p.HSAID, Name: p.Name(), Title: p.Title, Roles: p.Roles}, nil
}
