package agent

import (
	"errors"
	"fmt"
	"net"

	"clinicgw/agent/fhirapi"
	"clinicgw/sync/tlsconf"
)

// apiServer is the running integration API listener.
type apiServer struct {
	ln net.Listener
}

// startAPI serves the integration API ([api], agent/fhirapi) until the
// gateway stops. Its systems are the staff directory's systems section,
// as the directory in use says at each request (reloads included).
func (a *Agent) startAPI() (*fhirapi.Server, error) {
	c := a.cfg.API
	if a.login == nil {
		return nil, errors.New("the integration API needs staff login's directory ([login] with directory_file)")
	}
	certFile, keyFile, keys := c.CertFile, c.KeyFile, "api.cert_file, api.key_file"
	if certFile == "" {
		certFile, keyFile, keys = a.cfg.UI.CertFile, a.cfg.UI.KeyFile, "ui.cert_file, ui.key_file (for the integration API)"
	}
	cert, err := tlsconf.LoadKeyPair(a.cfg.Resolve(certFile), a.cfg.Resolve(keyFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keys, err)
	}
	var files []string
	for _, f := range append(append([]string{}, c.TrustAnchors...), c.FunctionCAs...) {
		files = append(files, a.cfg.Resolve(f))
	}
	// The roots and the function CAs anchor the handshake, so that a
	// person's certificate gets through it to be refused with an
	// OperationOutcome; the handler admits only chains through a
	// function CA (fhirapi.Config.FunctionCAs).
	pool, err := tlsconf.LoadPool(files...)
	if err != nil {
		return nil, fmt.Errorf("api.trust_anchors, api.function_cas: %w", err)
	}
	fcas, err := readCerts(a.cfg, c.FunctionCAs, "api.function_cas")
	if err != nil {
		return nil, err
	}
	lp := a.login
	bk, err := a.apiBooking(fcas) // apibooking.go
	if err != nil {
		return nil, err
	}
	h, err := fhirapi.New(fhirapi.Config{Cases: a.svc, Forms: a.forms, Diary: bk.diary, DiaryLog: bk.log, Unit: a.cfg.Unit.HSAID,
		IDKey: bk.idKey, Revocation: bk.revocation,
		Systems: func() fhirapi.Systems {
			if w := lp.dir.Load(); w != nil {
				if d := w.Current(); d != nil {
					return d
				}
			}
			return nil
		},
		FunctionCAs: fcas, RatePerMinute: c.Rate(), Clock: a.opts.Clock, Logger: a.log.With("part", "api")})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("api.listen: %w", err)
	}
	a.serve("integration API", ln, tlsconf.ServerClientCertIfGiven(cert, pool), h, nil)
	a.api = &apiServer{ln: ln}
	a.log.Info("integration API serving FHIR R4", "addr", ln.Addr().String())
	return h, nil
}

// APIAddr is where the integration API listens; "" without one.
func (a *Agent) APIAddr() string {
	if a.api == nil {
		return ""
	}
	return a.api.ln.Addr().String()
}
