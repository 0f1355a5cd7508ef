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
	"clinicgw/cardauth/bridge"
	"clinicgw/cardauth/pcsc"
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
	// LocalReader, on a one-workstation clinic, is the gateway's own card
	// reader: the gateway watches it instead of a bridge, and pulling the
	// card ends the sessions bound to it. PKCS11Module reads the card.
	LocalReader  string `toml:"local_reader"`
	PKCS11Module string `toml:"pkcs11_module"`
	// LocalTokenLabel selects the token by label instead of by the
	// reader's slot (a SoftHSM2 token in tests).
	LocalTokenLabel string `toml:"local_token_label"`
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
	if l.LocalReader != "" && l.PKCS11Module == "" {
		bad("pkcs11_module", "missing; the local reader's cards are read through a PKCS#11 module (OpenSC's: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so)")
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
	auth  *cardauth.Authenticator
	dir   *directory.Watcher
	local func(context.Context) // watches the local reader, if any
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
	// Sessions must be taken up by a bridge watching the card, unless the
	// gateway watches its own reader.
	window := cardauth.DefaultPresenceWindow
	if l.LocalReader != "" {
		window = 0
	}
	lp.auth, err = cardauth.New(cardauth.Config{Origin: l.Origin, Certs: v, Staff: staffLookup{lp.dir, unit},
		Clock: clock, Logger: log.With("part", "login"), PresenceWindow: window})
	if err != nil {
		return nil, err
	}
	if l.LocalReader != "" {
		lp.local = localReader(lp.auth, l, cfg.resolve(l.PKCS11Module), log.With("part", "local-reader"))
	}
	return lp, nil
}

// localReader watches the gateway's own reader: the card's fingerprint is
// read when it is inserted, and its sessions end when it is pulled.
func localReader(auth *cardauth.Authenticator, l LoginConfig, module string, log *slog.Logger) func(context.Context) {
	cards := bridge.NewTokenCards(module, l.LocalReader, l.LocalTokenLabel, log)
	reader := bridge.PCSCReader{Monitor: pcsc.New(pcsc.Options{Logger: log}), Name: l.LocalReader}
	return func(ctx context.Context) {
		current := ""
		reader.Watch(ctx, func(present bool) {
			if !present {
				if current != "" {
					auth.CardRemoved(current, cardauth.EndCardGone)
				}
				current = ""
				return
			}
			var err error
			if current, err = bridge.ReadCardID(ctx, cards); err != nil {
				log.Warn("card in the local reader not readable", "err", err)
			}
		})
	}
}

// run keeps the directory current, ends abandoned sessions and, with a
// local reader, ends the sessions of a card pulled from it.
func (lp *loginParts) run(ctx context.Context) error {
	if lp.local != nil {
		go lp.local(ctx)
	}
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
