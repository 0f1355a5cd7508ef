package democlinic

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
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
	cs.api = tlsconf.NewHTTPServer(store.APIHandler(), tlsconf.Server(serverCert, c.PKI.FunctionCAPool(), store.VerifyUnit), central.APILimits)
	cs.web = tlsconf.NewHTTPServer(store.PatientHandler(), tlsconf.ServerNoClientCert(serverCert), tlsconf.DefaultLimits)
	if cs.APIURL, err = serveTLS(cs.api); err != nil {
		return nil, fmt.Errorf("central store's sync API: %w", err)
	}
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

// Close stops serving and closes the central store.
func (cs *Central) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range []*http.Server{cs.api, cs.web} {
		if srv != nil {
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("stop central store: %w", err))
			}
		}
	}
	return errors.Join(append(errs, cs.Store.Close())...)
}
