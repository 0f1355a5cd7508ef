package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"time"

	"clinicgw/cardauth/bridge"
	"clinicgw/cardauth/pcsc"
	"clinicgw/sync/tlsconf"
)

func bridgeFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	gateway := fs.String("gateway", "", "`ORIGIN` of the gateway's web UI, https://host:port (required): the only page the bridge answers")
	ca := fs.String("ca", "", "`FILE` (PEM) with the CA that issued the gateway's certificate (required)")
	module := fs.String("module", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "`PATH` of the card's PKCS#11 module")
	reader := fs.String("reader", "", "`NAME` of the card reader to use (default: the first; see --list-readers)")
	label := fs.String("token-label", "", "`LABEL` of the token holding the keys, instead of the card in the reader (a SoftHSM2 test token); the reader still tells presence")
	listen := fs.String("listen", bridge.DefaultAddr, "`ADDR` to listen on; loopback only")
	list := fs.Bool("list-readers", false, "list the card readers and exit")
	return func(ctx context.Context, e *env) error {
		mon := pcsc.New(pcsc.Options{Logger: e.log})
		if *list {
			rs, err := mon.Readers()
			if err != nil {
				return err
			}
			for _, r := range rs {
				fmt.Fprintln(e.stdout, r)
			}
			return nil
		}
		if *gateway == "" || *ca == "" {
			return usagef("--gateway and --ca are required")
		}
		roots, err := tlsconf.LoadPool(*ca)
		if err != nil {
			return err
		}
		name := *reader
		if name == "" && *label == "" {
			rs, err := mon.Readers()
			if err != nil && !errors.Is(err, pcsc.ErrNoReaders) {
				return err
			}
			if len(rs) == 0 {
				return errors.New("no card reader is connected; connect one, or name it with --reader")
			}
			name = rs[0]
		}
		b, err := bridge.New(bridge.Config{
			Gateway: *gateway, GatewayTLS: tlsconf.Client(tls.Certificate{}, roots, "", nil),
			Cards:  bridge.NewTokenCards(*module, name, *label, e.log),
			Reader: bridge.PCSCReader{Monitor: mon, Name: name}, AppVersion: "clinicgw-bridge " + version, Logger: e.log,
		})
		if err != nil {
			return err
		}
		ln, err := bridge.Listen(*listen)
		if err != nil {
			return err
		}
		srv := tlsconf.NewHTTPServer(b.Handler(), nil, bridge.Limits)
		errc := make(chan error, 2)
		go func() { errc <- srv.Serve(ln) }()
		go func() { errc <- b.Run(ctx) }()
		fmt.Fprintf(e.stdout, "clinicgw bridge %s: http://%s for %s, reader %q. Stop with Ctrl-C.\n", version, ln.Addr(), *gateway, name)
		var runErr error
		select {
		case <-ctx.Done():
		case runErr = <-errc:
		}
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
		if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
			return runErr
		}
		return nil
	}
}
