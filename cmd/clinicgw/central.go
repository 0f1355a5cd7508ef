package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire/hsaid"
)

// centralUnits is the repeatable --unit flag: "NAME=HSAID" or "HSAID".
type centralUnits struct {
	ids   []string
	names map[string]string
}

func (u *centralUnits) String() string { return strings.Join(u.ids, ",") }

func (u *centralUnits) Set(v string) error {
	name, id := "", v
	if i := strings.LastIndex(v, "="); i >= 0 {
		name, id = strings.TrimSpace(v[:i]), strings.TrimSpace(v[i+1:])
	}
	if !hsaid.Valid(id) {
		return fmt.Errorf("%q is not an HSA-ID (e.g. SE2321000016-ABCD)", id)
	}
	for _, x := range u.ids {
		if x == id {
			return fmt.Errorf("unit %s is given twice", id)
		}
	}
	u.ids = append(u.ids, id)
	if name != "" {
		if u.names == nil {
			u.names = make(map[string]string)
		}
		u.names[id] = name
	}
	return nil
}

func centralFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	dir := fs.String("dir", "", "`DIR` holds the central store's state: central.db and, unless --pki is given, a development PKI in DIR/pki")
	pkiDir := fs.String("pki", "", "`DIR` holds an existing PKI, as `clinicgw pki dev` makes it: central.pem and central.key (the server's certificate), root.pem (what units trust for the server) and function-ca.pem (the only CA trusted for unit certificates)")
	api := fs.String("api", "127.0.0.1:8443", "`ADDR` to serve the sync API on (mutual TLS)")
	web := fs.String("web", "127.0.0.1:8444", "`ADDR` to serve the patient pages on (HTTPS)")
	retention := fs.Duration("retention", central.DefaultRetention, "how long a unit's confirmed answers and status changes are kept for a gateway restored from its own backup (`DURATION`, e.g. 2160h); events are kept for ever")
	metrics := fs.String("metrics", "", "`ADDR` on loopback to serve /metrics on (plain HTTP: the units' unhandled events, no patient data); empty: none")
	kek := addCentralKEKFlags(fs)
	var units centralUnits
	fs.Var(&units, "unit", "a care unit that may connect, as `NAME=HSAID` or HSAID; repeatable (default: the demo unit)")
	return func(ctx context.Context, e *env) error {
		if *dir == "" {
			return usagef("--dir is required")
		}
		if len(units.ids) == 0 {
			_ = units.Set(demoUnitName + "=" + demoUnit)
		}
		if err := kek.check(); err != nil {
			return err
		}
		if *retention <= 0 {
			return usagef("--retention must be positive")
		}
		if *metrics != "" {
			if host, _, err := net.SplitHostPort(*metrics); err != nil || !net.ParseIP(host).IsLoopback() {
				return usagef("--metrics must be a loopback address (host:port), e.g. 127.0.0.1:9464")
			}
		}
		return runCentral(ctx, e, *dir, *pkiDir, *api, *web, *metrics, units, *retention, kek)
	}
}

// centralPKI is what the central store serves with.
type centralPKI struct {
	server    tls.Certificate
	unitCAs   *x509.CertPool
	rootFile  string
	unitFiles map[string]string // unit → certificate file, where one exists
}

// prepareCentralPKI loads the PKI in pkiDir, or (pkiDir empty) creates a
// development PKI in dir/pki on first run, with a server certificate and
// a client certificate per unit, issuing any that are missing later.
func prepareCentralPKI(e *env, dir, pkiDir string, units []string) (centralPKI, error) {
	create := pkiDir == ""
	if create {
		pkiDir = filepath.Join(dir, "pki")
	}
	root := filepath.Join(pkiDir, "root.pem")
	// The same names `clinicgw pki dev` writes, so its folder works as --pki.
	serverPEM, serverKey := filepath.Join(pkiDir, "central.pem"), filepath.Join(pkiDir, "central.key")
	unitFile := func(u string) string { return filepath.Join(pkiDir, "unit-"+u+".pem") }
	if create {
		now := clock.System.Now()
		var p *devpki.PKI
		var err error
		if _, statErr := os.Stat(root); errors.Is(statErr, os.ErrNotExist) {
			if p, err = devpki.New(nil, now); err == nil {
				err = p.WriteDir(pkiDir)
			}
			if err == nil {
				e.log.Info("development PKI created", "dir", pkiDir)
			}
		} else {
			p, err = devpki.Load(pkiDir, nil, now)
		}
		if err != nil {
			return centralPKI{}, fmt.Errorf("development PKI: %w", err)
		}
		if _, err := os.Stat(serverPEM); errors.Is(err, os.ErrNotExist) {
			cert, err := p.Server("localhost", "127.0.0.1", "::1")
			if err == nil {
				err = devpki.WriteTLS(pkiDir, "central", cert)
			}
			if err != nil {
				return centralPKI{}, fmt.Errorf("server certificate: %w", err)
			}
		}
		for _, u := range units {
			if _, err := os.Stat(unitFile(u)); !errors.Is(err, os.ErrNotExist) {
				continue
			}
			cert, err := p.Unit(u, "Vårdenhet "+u)
			if err == nil {
				err = devpki.WriteTLS(pkiDir, "unit-"+u, cert)
			}
			if err != nil {
				return centralPKI{}, fmt.Errorf("client certificate for %s: %w", u, err)
			}
		}
	}
	var cp centralPKI
	var err error
	if cp.server, err = tlsconf.LoadKeyPair(serverPEM, serverKey); err != nil {
		return centralPKI{}, err
	}
	// Units' client certificates must come from the function CA: the root
	// also anchors staff cards, which must never pass as a care unit.
	if cp.unitCAs, err = tlsconf.LoadPool(filepath.Join(pkiDir, "function-ca.pem")); err != nil {
		return centralPKI{}, err
	}
	cp.rootFile = root
	cp.unitFiles = make(map[string]string)
	for _, u := range units {
		if _, err := os.Stat(unitFile(u)); err == nil {
			cp.unitFiles[u] = unitFile(u)
		}
	}
	return cp, nil
}

// centralServer is the reference central store serving its sync API and
// its patient pages.
type centralServer struct {
	store          *central.Store
	apiURL, webURL string
	api, web       *http.Server
	errc           chan error
}

// startCentral opens the central store in dir and serves it on apiAddr
// (mutual TLS, units' certificates from cp) and webAddr (patient pages),
// keeping confirmed items for retention (central.DefaultRetention if 0).
func startCentral(ctx context.Context, e *env, dir string, cp centralPKI, apiAddr, webAddr string, units centralUnits, retention time.Duration, notifier central.Notifier, keys centralKeys) (*centralServer, error) {
	if err := atomicfile.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state folder: %w", err)
	}
	store, err := central.Open(ctx, filepath.Join(dir, "central.db"), central.Options{
		Logger: e.log, Units: units.ids, UnitNames: units.names, Notifier: notifier, Retention: retention,
		KEK: keys.KEK, KEKFile: keys.KEKFile,
	})
	if err != nil {
		return nil, err
	}
	if err := store.SignSealingKey(cp.server); err != nil {
		store.Close()
		return nil, fmt.Errorf("the central store's sealing key: %w", err)
	}
	errLog := log.New(&slogWriter{log: e.log}, "", 0)
	c := &centralServer{store: store, errc: make(chan error, 2)}
	c.api = tlsconf.NewHTTPServer(store.APIHandler(), tlsconf.Server(cp.server, cp.unitCAs, store.VerifyUnit), central.APILimits)
	c.web = tlsconf.NewHTTPServer(store.PatientHandler(), tlsconf.ServerNoClientCert(cp.server), tlsconf.DefaultLimits)
	c.api.ErrorLog, c.web.ErrorLog = errLog, errLog
	apiLn, err := net.Listen("tcp", apiAddr)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("sync API: %w", err)
	}
	webLn, err := net.Listen("tcp", webAddr)
	if err != nil {
		apiLn.Close()
		store.Close()
		return nil, fmt.Errorf("patient pages: %w", err)
	}
	c.apiURL, c.webURL = "https://"+apiLn.Addr().String(), "https://"+webLn.Addr().String()
	go func() { c.errc <- c.api.ServeTLS(apiLn, "", "") }()
	go func() { c.errc <- c.web.ServeTLS(webLn, "", "") }()
	return c, nil
}

// wait serves until ctx ends or a server fails.
func (c *centralServer) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-c.errc:
		return fmt.Errorf("serve: %w", err)
	}
}

// close stops both servers and closes the store.
func (c *centralServer) close(ctx context.Context) error {
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = c.api.Shutdown(shutdownCtx)
	_ = c.web.Shutdown(shutdownCtx)
	return c.store.Close()
}

// runCentral runs the reference central store until ctx ends.
func runCentral(ctx context.Context, e *env, dir, pkiDir, apiAddr, webAddr, metricsAddr string, units centralUnits, retention time.Duration, kek *centralKEKFlags) error {
	if err := atomicfile.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	cp, err := prepareCentralPKI(e, dir, pkiDir, units.ids)
	if err != nil {
		return err
	}
	keys, release, err := kek.open(ctx, e.log)
	if err != nil {
		return err
	}
	defer release()
	c, err := startCentral(ctx, e, dir, cp, apiAddr, webAddr, units, retention, central.LogNotifier{Logger: e.log}, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Central store (reference) — development use only\n")
	fmt.Fprintf(e.stdout, "  sync API (mutual TLS): %s/v1/\n", c.apiURL)
	fmt.Fprintf(e.stdout, "  patient pages:         %s/\n", c.webURL)
	fmt.Fprintf(e.stdout, "  CA certificate:        %s\n", cp.rootFile)
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			c.close(ctx)
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", c.store.MetricsHandler())
		srv := tlsconf.NewHTTPServer(mux, nil, tlsconf.DefaultLimits)
		go func() { c.errc <- srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(e.stdout, "  metrics:               http://%s/metrics\n", ln.Addr())
	}
	for _, u := range units.ids {
		if f, ok := cp.unitFiles[u]; ok {
			fmt.Fprintf(e.stdout, "  unit %s (%s): client certificate %s, key %s\n", u, c.store.UnitName(u), f, strings.TrimSuffix(f, ".pem")+".key")
		} else {
			fmt.Fprintf(e.stdout, "  unit %s (%s): no client certificate in the PKI folder\n", u, c.store.UnitName(u))
		}
	}
	serveErr := c.wait(ctx)
	e.log.Info("central store stopping")
	if err := c.close(ctx); err != nil {
		return err
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// slogWriter turns the HTTP servers' error log lines (refused handshakes
// and the like) into structured warnings.
type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("http server", "detail", strings.TrimSpace(string(p)))
	return len(p), nil
}
