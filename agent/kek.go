package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"clinicgw/agent/store"
	"clinicgw/cardauth/token"
)

// OpenKEK returns the store's key-encryption key as cfg says: the key file,
// or an AES key on a PKCS#11 token (store.token), logged in with the PIN
// from its file. release frees the token; call it after the store closes.
func OpenKEK(ctx context.Context, cfg *Config, log *slog.Logger) (kek store.KEK, release func() error, err error) {
	keks, release, err := OpenKEKs(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return keks[0], release, nil
}

// OpenKEKs is OpenKEK returning, besides the configured key, the keys
// labelled more on the same token, in one session (a token opens once
// per process): moving a key ring from one key of a token to another.
// With the key file, more must be empty.
func OpenKEKs(ctx context.Context, cfg *Config, log *slog.Logger, more ...string) (keks []store.KEK, release func() error, err error) {
	tk := cfg.Store.Token
	if !tk.OnToken() {
		if len(more) > 0 {
			return nil, nil, fmt.Errorf("store.token: no token is configured for the keys %v", more)
		}
		k, err := store.LoadKeyFile(cfg.KeyFilePath())
		return []store.KEK{k}, func() error { return nil }, err
	}
	pin, err := store.ReadSecretFile(cfg.Resolve(tk.PINFile))
	if err != nil {
		return nil, nil, fmt.Errorf("store.token.pin_file: %w", err)
	}
	t, err := token.Open(ctx, token.Config{Module: cfg.Resolve(tk.Module), TokenLabel: tk.TokenLabel, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("store.token: %w", err)
	}
	fail := func(err error) ([]store.KEK, func() error, error) {
		t.Close()
		return nil, nil, err
	}
	if err := t.Login(ctx, strings.TrimSpace(string(pin))); err != nil {
		return fail(fmt.Errorf("store.token: log in to token %q: %w", tk.TokenLabel, err))
	}
	for _, label := range append([]string{tk.KeyLabel}, more...) {
		k, err := t.KEK(ctx, label)
		if err != nil {
			return fail(fmt.Errorf("store.token: %w", err))
		}
		keks = append(keks, tokenKEK{k: k, id: "pkcs11:token=" + tk.TokenLabel + ";object=" + label})
	}
	return keks, t.Close, nil
}

// tokenKEK is a token's key as the store's KEK. The token bounds each
// call with its own deadline.
type tokenKEK struct {
	k  *token.KEK
	id string
}

func (t tokenKEK) ID() string { return t.id }

func (t tokenKEK) Wrap(plaintext, aad []byte) ([]byte, error) {
	return t.k.Wrap(context.Background(), plaintext, aad)
}

func (t tokenKEK) Unwrap(wrapped, aad []byte) ([]byte, error) {
	return t.k.Unwrap(context.Background(), wrapped, aad)
}
