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
	tk := cfg.Store.Token
	if !tk.OnToken() {
		k, err := store.LoadKeyFile(cfg.KeyFilePath())
		return k, func() error { return nil }, err
	}
	pin, err := store.ReadSecretFile(cfg.Resolve(tk.PINFile))
	if err != nil {
		return nil, nil, fmt.Errorf("store.token.pin_file: %w", err)
	}
	t, err := token.Open(ctx, token.Config{Module: cfg.Resolve(tk.Module), TokenLabel: tk.TokenLabel, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("store.token: %w", err)
	}
	fail := func(err error) (store.KEK, func() error, error) {
		t.Close()
		return nil, nil, err
	}
	if err := t.Login(ctx, strings.TrimSpace(string(pin))); err != nil {
		return fail(fmt.Errorf("store.token: log in to token %q: %w", tk.TokenLabel, err))
	}
	k, err := t.KEK(ctx, tk.KeyLabel)
	if err != nil {
		return fail(fmt.Errorf("store.token: %w", err))
	}
	return tokenKEK{k: k, id: "pkcs11:token=" + tk.TokenLabel + ";object=" + tk.KeyLabel}, t.Close, nil
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
