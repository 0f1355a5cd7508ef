package bridge

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"clinicgw/cardauth/pcsc"
	"clinicgw/cardauth/token"
)

// The real bindings: presence from PC/SC, the card through PKCS#11.

// PCSCReader watches one reader (or, with Name "", any) through PC/SC.
type PCSCReader struct {
	Monitor *pcsc.Monitor
	Name    string
}

// Watch reports the card's presence at start and after every change; a
// lost PC/SC service counts as no card.
func (r PCSCReader) Watch(ctx context.Context, fn func(bool)) error {
	var mu sync.Mutex
	present := map[string]bool{}
	last, started := false, false
	report := func() {
		now := false
		for _, p := range present {
			now = now || p
		}
		if !started || now != last {
			started, last = true, now
			fn(now)
		}
	}
	return r.Monitor.Run(ctx, func(e pcsc.Event) {
		mu.Lock()
		defer mu.Unlock()
		if r.Name != "" && e.Reader != "" && e.Reader != r.Name {
			return
		}
		switch e.Kind {
		case pcsc.CardInserted:
			present[e.Reader] = true
		case pcsc.CardRemoved, pcsc.ReaderRemoved:
			delete(present, e.Reader)
		case pcsc.ServiceDown:
			clear(present)
		}
		report()
	})
}

// Connected reports whether the reader (with Name "", any reader) is
// connected. PC/SC without a service counts as no reader: Windows stops
// its smart card service when the last reader goes, and without pcscd no
// reader can be seen either. The check runs where it can be abandoned
// when ctx ends.
func (r PCSCReader) Connected(ctx context.Context) (bool, error) {
	type result struct {
		names []string
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		names, err := r.Monitor.Readers()
		ch <- result{names, err}
	}()
	var res result
	select {
	case <-ctx.Done():
		return false, fmt.Errorf("list the card readers: %w", ctx.Err())
	case res = <-ch:
	}
	switch {
	case errors.Is(res.err, pcsc.ErrNoReaders), errors.Is(res.err, pcsc.ErrNoService):
		return false, nil
	case res.err != nil:
		return false, fmt.Errorf("list the card readers: %w", res.err)
	case r.Name == "":
		return len(res.names) > 0, nil
	}
	return slices.Contains(res.names, r.Name), nil
}

// TokenCards opens the card through a PKCS#11 module.
type TokenCards struct {
	Config token.Config
}

// NewTokenCards reads the card in reader through module; with a token
// label the keys are on a token of their own (a SoftHSM2 token in tests),
// found by the label, and the reader only tells presence.
func NewTokenCards(module, reader, tokenLabel string, log *slog.Logger) TokenCards {
	c := token.Config{Module: module, Reader: reader, Logger: log}
	if tokenLabel != "" {
		c.Reader, c.TokenLabel = "", tokenLabel
	}
	return TokenCards{Config: c}
}

// Open opens the token in the configured reader or with the label.
func (c TokenCards) Open(ctx context.Context) (Card, error) {
	t, err := token.Open(ctx, c.Config)
	if errors.Is(err, token.ErrNoToken) {
		return nil, ErrNoCard
	}
	if err != nil {
		return nil, err
	}
	return &tokenCard{t: t}, nil
}

type tokenCard struct {
	t    *token.Token
	auth *token.Signer
}

func (c *tokenCard) authSigner(ctx context.Context) (*token.Signer, error) {
	if c.auth == nil {
		s, err := c.t.AuthCert(ctx)
		if err != nil {
			return nil, err
		}
		c.auth = s
	}
	return c.auth, nil
}

func (c *tokenCard) AuthCertificate(ctx context.Context) (*x509.Certificate, error) {
	s, err := c.authSigner(ctx)
	if err != nil {
		return nil, err
	}
	return s.Certificate(), nil
}

func (c *tokenCard) Signer(ctx context.Context, pin string) (crypto.Signer, error) {
	s, err := c.authSigner(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.t.Login(ctx, pin); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *tokenCard) PINPad() bool {
	info, err := c.t.Info(context.Background())
	return err == nil && info.ProtectedAuthPath
}

func (c *tokenCard) Close() error { return c.t.Close() }
