package token

import (
	"context"
	"crypto"
	"crypto/x509"
)

// Fake is the in-memory module for the external tests' shared tables.
type Fake = fakeP11

// NewFake makes a fake card in a reader named desc.
func NewFake(desc, label, pin string) *Fake { return newFakeP11(desc, label, pin) }

// AddCert stores a certificate and its key on the fake card.
func (f *fakeP11) AddCert(cert *x509.Certificate, key crypto.Signer, id []byte, label string, alwaysAuth bool) {
	f.addCert(cert, key, id, label, alwaysAuth)
}

// OpenFake opens the fake card as Open opens a module's token; cfg.Module
// names the fake in the process's registry.
func OpenFake(ctx context.Context, cfg Config, f *Fake) (*Token, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return open(ctx, cfg, func() (*module, error) { return register(cfg.Module, f), nil })
}
