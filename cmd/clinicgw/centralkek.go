package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"

	"clinicgw/agent"
	"clinicgw/sync/central"
)

// centralKEKFlags are `clinicgw central`'s choices for the central store's
// key-encryption key, the gateway's ([store] key_file, [store.token]): a
// key file (mode 0600, made on the first start), or an AES key on a
// PKCS#11 token (an HSM, a TPM through tpm2-pkcs11, SoftHSM2) that never
// leaves it. The KEK wraps every key of the store's key ring: the
// patients' data keys, the patient index key and the store's sealing key.
type centralKEKFlags struct {
	keyFile                               *string
	module, tokenLabel, keyLabel, pinFile *string
}

func addCentralKEKFlags(fs *flag.FlagSet) *centralKEKFlags {
	return &centralKEKFlags{
		keyFile:    fs.String("key-file", "", "`FILE` holds the key-encryption key that wraps the store's keys (mode 0600, made on the first start; keep a copy offline, apart from the store's backups); default DIR/central.db.kek; not with --token-module"),
		module:     fs.String("token-module", "", "`FILE` is the PKCS#11 library of the token holding the key-encryption key instead of a key file (an HSM, a TPM through tpm2-pkcs11, SoftHSM2)"),
		tokenLabel: fs.String("token-label", "", "`LABEL` of the token holding the key-encryption key (pkcs11-tool -L lists them)"),
		keyLabel:   fs.String("token-key-label", "", "`LABEL` of the AES key on the token (pkcs11-tool -O lists them)"),
		pinFile:    fs.String("token-pin-file", "", "`FILE` holds the token's user PIN (mode 0600)"),
	}
}

// check reports a usage error: a token flag without the others, or both
// a key file and a token (one key, one place).
func (f *centralKEKFlags) check() error {
	tk := f.token()
	if !tk.OnToken() {
		if tk != (agent.TokenKEKConfig{}) {
			return usagef("--token-module is missing: the other --token- flags need the PKCS#11 library's path")
		}
		return nil
	}
	if *f.keyFile != "" {
		return usagef("--key-file and --token-module name two key-encryption keys: give one (one key, one place)")
	}
	if tk.TokenLabel == "" || tk.KeyLabel == "" || tk.PINFile == "" {
		return usagef("--token-module needs --token-label, --token-key-label and --token-pin-file")
	}
	return nil
}

func (f *centralKEKFlags) token() agent.TokenKEKConfig {
	return agent.TokenKEKConfig{Module: *f.module, TokenLabel: *f.tokenLabel, KeyLabel: *f.keyLabel, PINFile: *f.pinFile}
}

// centralKeys is what central.Open gets for its KEK.
type centralKeys struct {
	KEKFile string      // "" for the default beside the store
	KEK     central.KEK // nil for the key file
}

// open logs in to the token when one is named (release logs out), as the
// gateway does (agent.OpenKEK).
func (f *centralKEKFlags) open(ctx context.Context, log *slog.Logger) (centralKeys, func() error, error) {
	if f == nil || !f.token().OnToken() {
		var file string
		if f != nil && *f.keyFile != "" {
			file, _ = filepath.Abs(*f.keyFile)
		}
		return centralKeys{KEKFile: file}, func() error { return nil }, nil
	}
	cfg := &agent.Config{}
	cfg.Store.Token = f.token()
	kek, release, err := agent.OpenKEK(ctx, cfg, log)
	if err != nil {
		return centralKeys{}, nil, fmt.Errorf("the key-encryption key on the token (--token-module, --token-label, --token-key-label, --token-pin-file): %w", err)
	}
	return centralKeys{KEK: kek}, release, nil
}
