package democlinic

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"clinicgw/agent"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// Files StartCentral writes into the clinic's folder, relative to it.
const (
	centralDir    = "central"    // the central store's database
	unitCertName  = "unit"       // pki/unit.pem and pki/unit.key: the unit's client certificate
	formsFileName = "forms.json" // the unit's forms, published by the gateway
)

// Central is a reference central patient-side store (sync/central)
// serving one demo clinic on loopback: the sync API over mutual TLS and
// the patient pages over HTTPS, both with certificates from the clinic's
// development PKI. Close stops it.
type Central struct {
	// Store is the central store itself; tests submit cases and read the
	// patient's view through it.
	Store *central.Store
	// APIURL is the sync API, https://127.0.0.1:PORT.
	APIURL string
	// WebURL is the patient pages' origin, https://127.0.0.1:PORT; their
	// certificate chains to the clinic's PKI root.
	WebURL string

	api, web *http.Server
	apiMu    sync.Mutex
	apiLn    *cutListener // the sync API's listener, which Cut closes with its connections
	apiTLS   *tls.Config
}

// clinicClock is the clinic's time with the system clock's timers.
type clinicClock struct {
	clock.Clock
	now func() time.Time
}

func (c clinicClock) Now() time.Time { return c.now() }

// StartCentral gives the clinic a central store of its own: it opens one
// in Dir/central (on the clinic's clock), serves it on two loopback ports,
// writes the unit's client certificate (pki/unit.pem, pki/unit.key) and
// the default forms (forms.json), and sets and writes Config.Central so
// that a gateway made from Config afterwards syncs with it. log receives
// the central store's technical log; discarded if nil. Stop the gateway
// before closing the central store.
func (c *Clinic) StartCentral(ctx context.Context, log *slog.Logger) (_ *Central, err error) {
	unit := c.Config.Unit
	dir := filepath.Join(c.Dir, centralDir)
	if err := atomicfile.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("central store folder: %w", err)
	}
	serverCert, err := c.PKI.Server("127.0.0.1", "localhost")
	if err != nil {
		return nil, fmt.Errorf("central store's server certificate: %w", err)
	}
	unitCert, err := c.PKI.Unit(unit.HSAID, unit.Name)
	if err != nil {
		return nil, fmt.Errorf("unit's client certificate: %w", err)
	}
	if err := devpki.WriteTLS(filepath.Join(c.Dir, "pki"), unitCertName, unitCert); err != nil {
		return nil, fmt.Errorf("unit's client certificate: %w", err)
	}
	forms, err := wire.Marshal(casetype.DefaultForms())
	if err != nil {
		return nil, fmt.Errorf("forms: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(c.Dir, formsFileName), forms, 0o640); err != nil {
		return nil, fmt.Errorf("forms: %w", err)
	}

	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := central.Open(ctx, filepath.Join(dir, "central.db"), central.Options{
		Clock: clinicClock{clock.System, c.clock}, Logger: log, Units: []string{unit.HSAID},
		UnitNames: map[string]string{unit.HSAID: unit.Name},
	})
	if err != nil {
		return nil, err
	}
	cs := &Central{Store: store}
	defer func() {
		if err != nil {
			cs.Close()
		}
	}()
	cs.apiTLS = tlsconf.Server(serverCert, c.PKI.FunctionCAPool(), store.VerifyUnit)
	if err = store.SignSealingKey(serverCert); err != nil {
		return nil, fmt.Errorf("central store's sealing key: %w", err)
	}
	cs.web = tlsconf.NewHTTPServer(store.PatientHandler(), tlsconf.ServerNoClientCert(serverCert), tlsconf.DefaultLimits)
	if err := cs.serveAPI("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("central store's sync API: %w", err)
	}
	cs.APIURL = "https://" + cs.apiLn.Addr().String()
	if cs.WebURL, err = serveTLS(cs.web); err != nil {
		return nil, fmt.Errorf("central store's patient pages: %w", err)
	}

	c.Config.Central = agent.CentralConfig{URL: cs.APIURL, CAFile: filepath.Join("pki", "root.pem"),
		CertFile: filepath.Join("pki", unitCertName+".pem"), KeyFile: filepath.Join("pki", unitCertName+".key"),
		FormsFile: formsFileName}
	if err := c.Config.Write(c.Config.Path()); err != nil {
		return nil, fmt.Errorf("gateway configuration: %w", err)
	}
	return cs, nil
}

// serveTLS serves srv with its TLSConfig on a free loopback port and
// returns its https URL.
func serveTLS(srv *http.Server) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go srv.ServeTLS(ln, "", "")
	return "https://" + ln.Addr().String(), nil
}

// serveAPI serves the sync API on addr.
func (cs *Central) serveAPI(addr string) error {
	var ln net.Listener
	var err error
	for i := 0; ; i++ { // a port just closed may take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil || i == 100 {
			break
		}
		<-clock.System.NewTimer(10 * time.Millisecond).C()
	}
	if err != nil {
		return err
	}
	cs.apiLn = &cutListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	cs.api = tlsconf.NewHTTPServer(cs.Store.APIHandler(), cs.apiTLS, central.APILimits)
	go cs.api.ServeTLS(cs.apiLn, "", "")
	return nil
}

// Cut stops the sync API as a pulled cable would: its listener and every
// connection, the gateway's stream included, closed at once. The store
// and the patient pages stay. Restore serves the API again.
func (cs *Central) Cut() error {
	cs.apiMu.Lock()
	defer cs.apiMu.Unlock()
	err := cs.api.Close()
	cs.apiLn.cut()
	return err
}

// Restore serves the sync API again where it was before Cut.
func (cs *Central) Restore() error {
	cs.apiMu.Lock()
	defer cs.apiMu.Unlock()
	return cs.serveAPI(cs.apiLn.Addr().String())
}

// cutListener keeps every connection it accepted, so that Cut can close
// them all, hijacked ones (websockets) too, which http.Server.Close
// leaves open.
type cutListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *cutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns[c] = struct{}{}
		l.mu.Unlock()
	}
	return c, err
}

func (l *cutListener) cut() {
	l.Listener.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.Close()
	}
	clear(l.conns)
}

// Close stops serving and closes the central store.
func (cs *Central) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	cs.apiMu.Lock()
	defer cs.apiMu.Unlock()
	for _, srv := range []*http.Server{cs.api, cs.web} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop central store: %w", err))
			}
		}
	}
	return errors.Join(append(errs, cs.Store.Close())...)
}
