package agent

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/config"
	"clinicgw/agent/directory"
	"clinicgw/cardauth"
	"clinicgw/cardauth/bridge"
	"clinicgw/cardauth/pcsc"
	"clinicgw/cardauth/siths"
	"clinicgw/sync/clock"
)

// loginParts are what staff login runs on. The certificate check and the
// directory may be replaced while the gateway runs (a configuration
// reload); the sessions, kept by auth, stay.
type loginParts struct {
	auth  *cardauth.Authenticator
	certs *swapCerts
	unit  string
	clock clock.Clock
	log   *slog.Logger
	local func(context.Context) // watches the local reader, if any

	dirMu   sync.Mutex // guards dir's replacement and stopDir
	dir     atomic.Pointer[directory.Watcher]
	stopDir context.CancelFunc // ends the watch of the directory in use
}

// trust is a SITHS certificate check and the CAs it trusts.
type trust struct {
	v            *siths.Verifier
	roots, inter *x509.CertPool
}

// maxSeenCards bounds the cards swapCerts remembers: far more than a care
// unit's staff.
const maxSeenCards = 10000

// swapCerts is the SITHS certificate check in use. It remembers the cards
// it accepted, so that a change of trust anchors can end the sessions of
// cards that no longer chain to one.
type swapCerts struct {
	cur  atomic.Pointer[trust]
	mu   sync.Mutex
	seen map[string]*x509.Certificate // by cardauth.CardID
}

func (s *swapCerts) CheckAuthCert(ctx context.Context, leaf *x509.Certificate) (string, error) {
	id, err := s.cur.Load().v.CheckAuthCert(ctx, leaf)
	if err == nil {
		s.mu.Lock()
		if s.seen == nil {
			s.seen = map[string]*x509.Certificate{}
		}
		if len(s.seen) < maxSeenCards {
			s.seen[cardauth.CardID(leaf)] = leaf
		}
		s.mu.Unlock()
	}
	return id, err
}

// set puts t in use and returns the cards accepted before that do not
// chain to t's trust anchors at now.
func (s *swapCerts) set(t *trust, now time.Time) []string {
	s.cur.Store(t)
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []string
	for id, leaf := range s.seen {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: t.inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			gone = append(gone, id)
			delete(s.seen, id)
		}
	}
	return gone
}

// newLogin loads the trust anchors and the directory and makes the
// authenticator. Sessions of people who lose their commission in a
// directory reload end at once.
func newLogin(cfg *Config, clock clock.Clock, log *slog.Logger) (*loginParts, error) {
	l := cfg.Login
	v, err := newVerifier(cfg, clock, log)
	if err != nil {
		return nil, err
	}
	if l.SoftFail {
		log.Warn("card login accepts certificates whose revocation status cannot be determined (login.soft_fail = true)")
	}
	lp := &loginParts{certs: &swapCerts{}, unit: cfg.Unit.HSAID, clock: clock, log: log}
	lp.certs.cur.Store(v)
	w, err := lp.loadDirectory(cfg)
	if err != nil {
		return nil, err
	}
	lp.dir.Store(w)
	// Sessions must be taken up by a bridge watching the card, unless the
	// gateway watches its own reader.
	window := cardauth.DefaultPresenceWindow
	if l.LocalReader != "" {
		window = 0
	}
	lp.auth, err = cardauth.New(cardauth.Config{Origin: l.Origin, Certs: lp.certs, Staff: staffLookup{lp, lp.unit},
		Clock: clock, Logger: log.With("part", "login"), PresenceWindow: window})
	if err != nil {
		return nil, err
	}
	if l.LocalReader != "" {
		lp.local = localReader(lp.auth, l, cfg.Resolve(l.PKCS11Module), log.With("part", "local-reader"))
	}
	return lp, nil
}

// newVerifier reads login.trust_anchors and login.person_cas, checks that
// every person CA is issued by a trust anchor (directly or through another
// person CA), and makes the SITHS certificate check.
func newVerifier(cfg *Config, clock clock.Clock, log *slog.Logger) (*trust, error) {
	l := cfg.Login
	roots, err := readCerts(cfg, l.TrustAnchors, "login.trust_anchors")
	if err != nil {
		return nil, err
	}
	cas, err := readCerts(cfg, l.PersonCAs, "login.person_cas")
	if err != nil {
		return nil, err
	}
	if err := chainCAs(roots, cas); err != nil {
		return nil, err
	}
	v, err := siths.New(siths.Config{Roots: roots, Intermediates: cas, Clock: clock, SoftFail: l.SoftFail,
		OCSPURL: l.OCSPURL, CRLURL: l.CRLURL, Logger: log.With("part", "siths")})
	if err != nil {
		return nil, config.KeyErr("login.trust_anchors", err)
	}
	t := &trust{v: v, roots: x509.NewCertPool(), inter: x509.NewCertPool()}
	for _, c := range roots {
		t.roots.AddCert(c)
	}
	for _, c := range cas {
		t.inter.AddCert(c)
	}
	return t, nil
}

// chainCAs checks that each person CA's signature is by a trust anchor or
// by a person CA that is itself so issued. Validity dates are not checked
// here: an expired CA is the card check's to refuse, with its reason.
func chainCAs(roots, cas []*x509.Certificate) error {
	trusted := slices.Clone(roots)
	left := slices.Clone(cas)
	for len(left) > 0 {
		progress := false
		for i := 0; i < len(left); i++ {
			c := left[i]
			for _, parent := range trusted {
				if c.CheckSignatureFrom(parent) == nil {
					trusted = append(trusted, c)
					left = slices.Delete(left, i, i+1)
					i--
					progress = true
					break
				}
			}
		}
		if !progress {
			return config.Errorf("login.person_cas", "%q is not issued by any certificate in login.trust_anchors; expected the person CA of the SITHS root named there", left[0].Subject.CommonName)
		}
	}
	return nil
}

// loadDirectory reads and checks the directory file cfg names; the
// watcher it returns ends the sessions of people who lose their commission
// when the file changes, once it runs.
func (lp *loginParts) loadDirectory(cfg *Config) (*directory.Watcher, error) {
	var w *directory.Watcher
	w, err := directory.Load(cfg.Resolve(cfg.Login.DirectoryFile), directory.Options{Clock: lp.clock, Logger: lp.log.With("part", "directory"),
		OnChange: func(old, new *directory.Directory) { lp.endRevoked(old, new) }})
	if err != nil {
		return nil, config.KeyErr("login.directory_file", err)
	}
	return w, nil
}

// endRevoked ends the sessions of people who had access under old and
// have not under new.
func (lp *loginParts) endRevoked(old, new *directory.Directory) {
	for _, id := range directory.Revoked(old, new, lp.unit, lp.clock.Now()) {
		lp.auth.EndStaff(id, cardauth.EndRevoked)
	}
}

// directory is the directory watcher in use.
func (lp *loginParts) directory() *directory.Watcher { return lp.dir.Load() }

// setVerifier puts a new certificate check in use: the next login is
// checked against its trust anchors, and the sessions of cards that do not
// chain to them end now.
func (lp *loginParts) setVerifier(t *trust) {
	ended := 0
	for _, card := range lp.certs.set(t, lp.clock.Now()) {
		ended += lp.auth.CardRemoved(card, cardauth.EndRevoked)
	}
	if ended > 0 {
		lp.log.Info("sessions ended: their cards no longer chain to login.trust_anchors", "sessions", ended)
	}
}

// setDirectory puts w, loaded from another file, in use in place of the
// directory watched now: the old watch stops, w's starts, and the sessions
// of people w takes access from end.
func (lp *loginParts) setDirectory(w *directory.Watcher) {
	lp.dirMu.Lock()
	old := lp.dir.Swap(w)
	if lp.stopDir != nil {
		lp.stopDir() // run takes up w
	}
	lp.dirMu.Unlock()
	lp.endRevoked(old.Current(), w.Current())
}

// watchDirectory runs the watch of the directory in use until ctx ends,
// taking up the new one when setDirectory replaces it.
func (lp *loginParts) watchDirectory(ctx context.Context) error {
	for {
		lp.dirMu.Lock()
		w := lp.dir.Load()
		wctx, cancel := context.WithCancel(ctx)
		lp.stopDir = cancel
		lp.dirMu.Unlock()
		err := w.Run(wctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if lp.dir.Load() == w {
			return err // the watch failed, not replaced
		}
	}
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
// local reader, ends the sessions of a card pulled from it. It returns
// when ctx ends or the directory's watch fails, and its goroutines with
// it.
func (lp *loginParts) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // before the Wait: a failed watch ends the others
	if lp.local != nil {
		wg.Go(func() { lp.local(ctx) })
	}
	wg.Go(func() {
		t := lp.clock.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C():
				lp.auth.Sweep()
			}
		}
	})
	return lp.watchDirectory(ctx)
}

func readCerts(cfg *Config, files []string, key string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for _, f := range files {
		data, err := os.ReadFile(cfg.Resolve(f))
		if err != nil {
			return nil, config.KeyErr(key, err)
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
				return nil, config.Errorf(key, "%s: %w; expected PEM CA certificates", f, err)
			}
			if !c.IsCA {
				return nil, config.Errorf(key, "%s holds a certificate that is not a CA (%s)", f, c.Subject.CommonName)
			}
			out, n = append(out, c), n+1
		}
		if n == 0 {
			return nil, config.Errorf(key, "%s holds no PEM certificate", f)
		}
	}
	return out, nil
}

// staffLookup answers cardauth from the directory in use.
type staffLookup struct {
	lp   *loginParts
	unit string
}

func (s staffLookup) Staff(hsaID string, now time.Time) (cardauth.Staff, error) {
	p, err := s.lp.directory().Current().Access(hsaID, s.unit, now)
	if err != nil {
		return cardauth.Staff{}, err
	}
	return cardauth.Staff{HSAID: p.HSAID, Name: p.Name(), Title: p.Title, Roles: cases.RoleCodes(p.Roles)}, nil
}
