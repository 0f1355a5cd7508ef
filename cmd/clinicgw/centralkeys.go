package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"clinicgw/agent"
	"clinicgw/sync/central"
	"clinicgw/sync/kekfile"
	"clinicgw/sync/seal"
)

// `clinicgw central-keys`: the reference central store's keys, with the
// central store stopped (its file is locked meanwhile): its own sealing
// keys (list, rotate-sealing, retire-sealing; sync/central's
// sealrotate.go) and its key-encryption key (rewrap; kekrewrap.go).

func centralKeysCommand() *command {
	const kekArgs = "[--key-file FILE | --token-module FILE --token-label LABEL --token-key-label LABEL --token-pin-file FILE]"
	return &command{name: "central-keys", summary: "manage the reference central store's keys (with the central store stopped)", sub: []*command{
		{name: "list", args: "--dir DIR " + kekArgs, summary: "list the central store's sealing keys and its key-encryption key", flags: centralKeysListFlags},
		{name: "rotate-sealing", args: "--dir DIR " + kekArgs, summary: "make a new sealing key current, published from the next start; older keys keep opening what gateways sealed to them", flags: centralKeysRotateFlags},
		{name: "retire-sealing", args: "--dir DIR --key KEYID [--overlap DURATION] " + kekArgs, summary: "destroy an older sealing key once its successor has been current for the overlap; what is still sealed to it is refused and sealed anew by the gateway", flags: centralKeysRetireFlags},
		{name: "rewrap", args: "--dir DIR " + kekArgs + " [--new-key-file FILE | --new-token-key-label LABEL ...]", summary: "wrap the key ring under a new key-encryption key (a new key file in place of the old by default); safe to stop and run again", flags: centralKeysRewrapFlags},
	}}
}

// centralKeysCmd parses --dir and the KEK flags and runs fn with the
// store's keys opened (next: the KEK a rewrap moves to, else nil).
type centralKeysCmd struct {
	dir *string
	kek *centralKEKFlags
}

func addCentralKeysFlags(fs *flag.FlagSet) *centralKeysCmd {
	return &centralKeysCmd{
		dir: fs.String("dir", "", "`DIR` holds the central store's state (central.db), as for `clinicgw central`"),
		kek: addCentralKEKFlags(fs),
	}
}

func (c *centralKeysCmd) check() error {
	if *c.dir == "" {
		return usagef("--dir is required")
	}
	return c.kek.check()
}

func (c *centralKeysCmd) storePath() string { return filepath.Join(*c.dir, "central.db") }

// kekFile is the store's KEK file (none when the KEK is on a token).
func (c *centralKeysCmd) kekFile(keys centralKeys) string {
	if keys.KEK != nil {
		return ""
	}
	if keys.KEKFile != "" {
		return keys.KEKFile
	}
	return c.storePath() + ".kek"
}

func (c *centralKeysCmd) open(ctx context.Context, e *env, next central.KEK) (*central.Keys, centralKeys, func(), error) {
	keys, release, err := c.kek.open(ctx, e.log)
	if err != nil {
		return nil, centralKeys{}, nil, err
	}
	return c.openWith(ctx, e, keys, release, next)
}

// openWith is open with the store's KEK opened already (release frees it).
func (c *centralKeysCmd) openWith(ctx context.Context, e *env, keys centralKeys, release func() error, next central.KEK) (*central.Keys, centralKeys, func(), error) {
	k, err := central.OpenKeys(ctx, c.storePath(), central.Options{Logger: e.log, KEK: keys.KEK, KEKFile: keys.KEKFile}, next)
	if err != nil {
		release()
		return nil, centralKeys{}, nil, err
	}
	return k, keys, func() { k.Close(); release() }, nil
}

// withKeys runs fn with the store's keys opened (the flags checked).
func (c *centralKeysCmd) withKeys(fn func(e *env, k *central.Keys) error) func(context.Context, *env) error {
	return func(ctx context.Context, e *env) error {
		if err := c.check(); err != nil {
			return err
		}
		k, _, closeAll, err := c.open(ctx, e, nil)
		if err != nil {
			return err
		}
		defer closeAll()
		return fn(e, k)
	}
}

func centralKeysListFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	c := addCentralKeysFlags(fs)
	return c.withKeys(func(e *env, k *central.Keys) error {
		fmt.Fprintf(e.stdout, "key-encryption key %s\n\n", k.KEKID())
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEALING KEY\tCURRENT SINCE\tSTATE")
		for _, sk := range k.SealingKeys() {
			state := "current"
			if !sk.Current {
				state = "opens (rotated out " + sk.Until.Local().Format(time.DateTime) + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", sk.ID, sk.Since.Local().Format(time.DateTime), state)
		}
		return tw.Flush()
	})
}

func centralKeysRotateFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	c := addCentralKeysFlags(fs)
	return c.withKeys(func(e *env, k *central.Keys) error {
		sk, err := k.RotateSealingKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sealing key %s is current: the central store publishes it from its next start, and gateways move to it within their refresh period (an hour); the older keys keep opening. Retire the old key with `clinicgw central-keys retire-sealing` after %s.\n",
			sk.ID, central.DefaultSealingOverlap)
		return nil
	})
}

func centralKeysRetireFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	c := addCentralKeysFlags(fs)
	key := fs.String("key", "", "`KEYID` of the sealing key to retire (see central-keys list)")
	overlap := fs.Duration("overlap", central.DefaultSealingOverlap, "how long its successor must have been current (`DURATION`): longer than the gateways' refresh period, so that all have moved to it")
	return func(ctx context.Context, e *env) error {
		if err := c.check(); err != nil {
			return err
		}
		id, err := seal.ParseKeyID(*key)
		if err != nil {
			return usagef("--key: %v (copy the id from central-keys list)", err)
		}
		if *overlap < 0 {
			return usagef("--overlap must not be negative")
		}
		k, _, closeAll, err := c.open(ctx, e, nil)
		if err != nil {
			return err
		}
		defer closeAll()
		if err := k.RetireSealingKey(id, *overlap); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "sealing key %s retired: its private half is gone from the key ring; an item still sealed to it is refused and the gateway seals it anew to the current key\n", id)
		return nil
	}
}

func centralKeysRewrapFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	c := addCentralKeysFlags(fs)
	newFile := fs.String("new-key-file", "", "`FILE` to hold the new key-encryption key (made 0600 if missing); the old key file is removed when done. Default: a new key in place of the old key file")
	nt := &centralKEKFlags{
		keyFile:    new(string),
		module:     fs.String("new-token-module", "", "`FILE`: the PKCS#11 library of the token of the new key (default: --token-module)"),
		tokenLabel: fs.String("new-token-label", "", "`LABEL` of the token of the new key (default: --token-label)"),
		keyLabel:   fs.String("new-token-key-label", "", "`LABEL` of the new AES key on the token"),
		pinFile:    fs.String("new-token-pin-file", "", "`FILE` holds the new key's token's user PIN (default: --token-pin-file)"),
	}
	return func(ctx context.Context, e *env) error {
		if err := c.check(); err != nil {
			return err
		}
		onToken := *nt.keyLabel != ""
		if onToken {
			for _, p := range [][2]*string{{nt.module, c.kek.module}, {nt.tokenLabel, c.kek.tokenLabel}, {nt.pinFile, c.kek.pinFile}} {
				if *p[0] == "" {
					*p[0] = *p[1]
				}
			}
			if err := nt.check(); err != nil {
				return usagef("the new key on a token: %v", err)
			}
		}
		if onToken && *newFile != "" {
			return usagef("--new-key-file and --new-token-key-label name two new keys: give one")
		}
		progress := func(done, total int) {
			if done == total || done%max(1, total/10) == 0 {
				fmt.Fprintf(e.stdout, "rewrapped %d of %d keys\n", done, total)
			}
		}
		if !onToken && *newFile == "" {
			return rewrapInPlace(ctx, e, c, progress)
		}
		var next central.KEK
		var k *central.Keys
		var keys centralKeys
		var closeAll func()
		if ot := c.kek.token(); onToken && ot.OnToken() && ot.Module == *nt.module && ot.TokenLabel == *nt.tokenLabel {
			// Both keys on one token: one session.
			cfg := &agent.Config{}
			cfg.Store.Token = ot
			both, release, err := agent.OpenKEKs(ctx, cfg, e.log, *nt.keyLabel)
			if err != nil {
				return fmt.Errorf("the key-encryption keys on the token: %w", err)
			}
			next = both[1]
			if k, keys, closeAll, err = c.openWith(ctx, e, centralKeys{KEK: both[0]}, release, next); err != nil {
				return err
			}
		} else if onToken {
			cfg := &agent.Config{}
			cfg.Store.Token = nt.token()
			kek, release, err := agent.OpenKEK(ctx, cfg, e.log)
			if err != nil {
				return fmt.Errorf("the new key-encryption key on the token: %w", err)
			}
			defer release()
			next = kek
		} else {
			abs, _ := filepath.Abs(*newFile)
			kek, err := kekfile.LoadOrCreate(abs, nil)
			if err != nil {
				return fmt.Errorf("the new key-encryption key: %w", err)
			}
			next = kek
		}
		if k == nil {
			var err error
			if k, keys, closeAll, err = c.open(ctx, e, next); err != nil {
				return err
			}
		}
		defer closeAll()
		if k.Resumed() {
			fmt.Fprintf(e.stdout, "the key ring is under the new key-encryption key %s already (a rewrap stopped after it): finishing\n", next.ID())
		}
		if err := k.RewrapKEK(next, progress); err != nil {
			return fmt.Errorf("%w (run the command again to go on)", err)
		}
		if old := c.kekFile(keys); old != "" {
			if err := k.RetireKEKFile(old); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "the old key file %s is removed\n", old)
		} else if *c.kek.keyLabel != *nt.keyLabel || *c.kek.tokenLabel != *nt.tokenLabel {
			fmt.Fprintf(e.stdout, "the old key %q on token %q wraps nothing any more: delete it (e.g. pkcs11-tool --delete-object --type secrkey --label %s)\n", *c.kek.keyLabel, *c.kek.tokenLabel, *c.kek.keyLabel)
		}
		if onToken {
			fmt.Fprintf(e.stdout, "the key ring is wrapped by %s: start the central store with --token-module %s --token-label %s --token-key-label %s --token-pin-file %s\n",
				next.ID(), *nt.module, *nt.tokenLabel, *nt.keyLabel, *nt.pinFile)
		} else {
			fmt.Fprintf(e.stdout, "the key ring is wrapped by %s: start the central store with --key-file %s, and keep a copy of that file offline, apart from the store's backups\n", next.ID(), *newFile)
		}
		return nil
	}
}

// rewrapInPlace rotates the store's KEK file: a new key in its place.
func rewrapInPlace(ctx context.Context, e *env, c *centralKeysCmd, progress func(done, total int)) error {
	keys, release, err := c.kek.open(ctx, e.log)
	if err != nil {
		return err
	}
	release()
	path := c.kekFile(keys)
	if path == "" {
		return usagef("the key-encryption key is on a token: give the new one with --new-token-key-label (or --new-key-file)")
	}
	k, _, closeAll, err := c.open(ctx, e, nil)
	if err != nil {
		return err
	}
	defer closeAll()
	id, err := k.RotateFileKEK(path, nil, progress)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return fmt.Errorf("%w (run the command again to go on)", err)
	}
	fmt.Fprintf(e.stdout, "the key ring is wrapped by the new key-encryption key %s in %s; the old key is gone: replace the offline copy of the key file with this one\n", id, path)
	return nil
}
