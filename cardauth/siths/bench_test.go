package siths

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
)

// BenchmarkVerify is the login's certificate check: with a cached OCSP
// answer (the hot path), with a fetch from a loopback responder each time,
// and on a cached CRL while the responder is down (every login asks it
// again, and is refused fast on loopback).
func BenchmarkVerify(b *testing.B) {
	for _, alg := range []string{devpki.KeyECDSAP256, devpki.KeyRSA2048} {
		f := newFixture(b)
		leaf := f.person(b, alg)
		good := f.ocspFor(b, leaf, ocsp.Good, nil)
		for _, mode := range []string{"cached", "fetched", "crl-cached"} {
			b.Run(alg+"/"+mode, func(b *testing.B) {
				f.r.serve(good, f.crl(b, 24*time.Hour))
				if mode == "crl-cached" {
					f.r.set("/ocsp", answer{})
				}
				v := f.verifier(b, nil)
				for b.Loop() {
					if mode == "fetched" {
						v.mu.Lock()
						clear(v.ocsp.m)
						v.mu.Unlock()
					}
					if _, err := v.Verify(context.Background(), leaf, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
