package central

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/kekfile"
)

// The central store's key ring (issue 22, item 3). What the patient pages
// show back to a patient is sealed (AES-256-GCM, atrest.go) under a data
// key of that patient's own, named by the keyed hash of their
// personnummer (pnrKey); the data keys are wrapped by the store's
// key-encryption key (KEK: a file of mode 0600 beside the store, or a
// PKCS#11 token through Options.KEK) and kept in the key ring file, apart
// from the store's bbolt file: an append-only list of "k <owner> <wrapped
// key>" lines, each appended and synced before the transaction that first
// uses its key commits. Forgetting a patient (ForgetPatient) rewrites the
// ring without their line (atomicfile: the old ring is replaced whole), so
// their data key is gone from every file the store writes at once, while
// the bbolt file, whose freed pages keep old values, never held it.

// KEK is a key-encryption key: it wraps and unwraps the key ring's data
// keys; the key itself stays with the implementation (a file, a token).
// A key file (sync/kekfile, the gateway's too) and the gateway's
// PKCS#11 KEK satisfy it.
type KEK interface {
	// ID is a non-secret fingerprint that tells keys apart in messages.
	ID() string
	// Wrap encrypts a data key; aad binds it to its place in the key ring.
	Wrap(plaintext, aad []byte) ([]byte, error)
	// Unwrap reverses Wrap; it fails if the key or aad differ.
	Unwrap(wrapped, aad []byte) ([]byte, error)
}

// errNoKey: the owner's data key is not in the ring (forgotten).
var errNoKey = errors.New("the data key is not in the key ring")

// dataKeySize is the size of a data key (AES-256).
const dataKeySize = 32

// keyRing is the store's data keys, wrapped in its file and unwrapped in
// memory as they are used.
type keyRing struct {
	path string
	kek  KEK
	rand io.Reader

	mu      sync.Mutex
	wrapped map[string][]byte // owner → wrapped data key
	open    map[string][]byte // owner → data key, once unwrapped
	// deferred: inside deferSync, new lines are written and synced once
	// at its end; unsynced: some were.
	deferred, unsynced bool
	// under: the KEK id the ring's "# kek" line names (kekrewrap.go).
	under string
}

// deferSync runs fn (in a write transaction, which bbolt runs one at a
// time) with the new keys' lines synced once, after fn and before the
// transaction commits, instead of one sync each.
func (r *keyRing) deferSync(fn func() error) error {
	r.mu.Lock()
	r.deferred = true
	r.mu.Unlock()
	err := fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deferred = false
	if !r.unsynced {
		return err
	}
	r.unsynced = false
	if err != nil {
		return err // the transaction rolls back: the lines name keys nothing uses
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("the key ring %s: %w", r.path, err)
	}
	if err := errors.Join(f.Sync(), f.Close(), atomicfile.SyncDir(filepath.Dir(r.path))); err != nil {
		return fmt.Errorf("the key ring %s: %w", r.path, err)
	}
	return nil
}

// ringAAD binds a wrapped data key to its owner.
func ringAAD(owner string) []byte { return []byte("clinicgw central data key v1\x00" + owner) }

// loadKeyRing reads the key ring file at path (none yet: an empty ring).
// A last line cut short by a power cut is left out: its key was never
// used by a committed transaction.
func loadKeyRing(path string, kek KEK, random io.Reader) (*keyRing, error) {
	r := &keyRing{path: path, kek: kek, rand: random, wrapped: map[string][]byte{}, open: map[string][]byte{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(b, '\n'); i+1 < len(b) {
		// A last line torn by a power cut: cut it off, or the next line
		// appended would run on from it and be lost with it.
		b = b[:i+1]
		if err := cutRing(path, int64(len(b))); err != nil {
			return nil, err
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<16)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "#" && f[1] == "kek" {
			r.under = f[2]
			continue
		}
		if len(f) != 3 || f[0] != "k" {
			continue // a torn last line
		}
		w, err := base64.StdEncoding.DecodeString(f[2])
		if err != nil {
			continue
		}
		r.wrapped[f[1]] = w
	}
	return r, sc.Err()
}

// key returns owner's data key: errNoKey when there is none and create is
// false; made, wrapped, appended to the ring file and synced when there is
// none and create is true.
func (r *keyRing) key(owner string, create bool) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if k := r.open[owner]; k != nil {
		return k, nil
	}
	if w := r.wrapped[owner]; w != nil {
		k, err := r.kek.Unwrap(w, ringAAD(owner))
		if err != nil {
			return nil, err
		}
		r.open[owner] = k
		return k, nil
	}
	if !create {
		return nil, errNoKey
	}
	k := make([]byte, dataKeySize)
	if _, err := io.ReadFull(r.rand, k); err != nil {
		return nil, err
	}
	w, err := r.kek.Wrap(k, ringAAD(owner))
	if err != nil {
		return nil, fmt.Errorf("wrap a data key: %w", err)
	}
	if err := r.append(owner, w); err != nil {
		return nil, fmt.Errorf("the key ring %s: %w", r.path, err)
	}
	r.wrapped[owner], r.open[owner] = w, k
	return k, nil
}

func ringLine(owner string, w []byte) string {
	return "k " + owner + " " + base64.StdEncoding.EncodeToString(w) + "\n"
}

// append adds one line to the ring file and syncs it (and, for a new
// file, its folder).
func (r *keyRing) append(owner string, w []byte) error {
	_, statErr := os.Stat(r.path)
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(ringLine(owner, w)); err != nil {
		f.Close()
		return err
	}
	if r.deferred {
		r.unsynced = true
		return f.Close()
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		return err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return atomicfile.SyncDir(filepath.Dir(r.path))
	}
	return nil
}

// forget removes owner's data key: the ring file is rewritten without it
// (replaced whole) before the key leaves memory.
func (r *keyRing) forget(owner string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.wrapped[owner] == nil {
		return false, nil
	}
	var buf strings.Builder
	if r.under != "" {
		buf.WriteString(kekHeader(r.under))
	}
	for o, w := range r.wrapped {
		if o != owner {
			buf.WriteString(ringLine(o, w))
		}
	}
	if err := atomicfile.Write(r.path, []byte(buf.String()), 0o600); err != nil {
		return false, fmt.Errorf("the key ring %s: %w", r.path, err)
	}
	if k := r.open[owner]; k != nil {
		clear(k)
	}
	delete(r.wrapped, owner)
	delete(r.open, owner)
	return true, nil
}

// has reports whether owner has a data key.
func (r *keyRing) has(owner string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wrapped[owner] != nil
}

// openKeyRing opens the store's key ring as opts say.
func openKeyRing(path string, opts Options) (*keyRing, error) {
	if opts.KeyRingFile == "" {
		opts.KeyRingFile = path + ".keyring"
	}
	kek := opts.KEK
	if kek == nil {
		if opts.KEKFile == "" {
			opts.KEKFile = path + ".kek"
		}
		if _, err := os.Stat(opts.KEKFile); errors.Is(err, fs.ErrNotExist) {
			if fi, err := os.Stat(opts.KeyRingFile); err == nil && fi.Size() > 0 {
				// A new KEK would open none of the ring's keys.
				return nil, fmt.Errorf("the key-encryption key %s is missing while the key ring %s holds keys: restore it from where its copy is kept, or open the store with the key-encryption key it was made with (Options.KEK, e.g. on a PKCS#11 token)", opts.KEKFile, opts.KeyRingFile)
			}
		}
		f, err := kekfile.LoadOrCreate(opts.KEKFile, opts.Rand)
		if err != nil {
			return nil, fmt.Errorf("the key-encryption key: %w", err)
		}
		kek = f
	}
	r, err := loadKeyRing(opts.KeyRingFile, kek, opts.Rand)
	if err != nil {
		return nil, fmt.Errorf("the key ring: %w", err)
	}
	if opts.KEK == nil {
		if kek, err = finishFileKEKSwap(opts.KEKFile, kek, r, opts.Rand); err != nil {
			return nil, fmt.Errorf("the key-encryption key: %w", err)
		}
	}
	// One key of the ring must open: another KEK opens none.
	for owner := range r.wrapped {
		if _, err := r.key(owner, false); err != nil {
			if r.under != "" && r.under != kek.ID() {
				return nil, fmt.Errorf("the key ring %s is wrapped by the key-encryption key %s, not %s: start with that key (a rewrap moved the ring to it)", opts.KeyRingFile, r.under, kek.ID())
			}
			return nil, fmt.Errorf("the key ring %s does not open with the key-encryption key %s: %w", opts.KeyRingFile, kek.ID(), err)
		}
		break
	}
	return r, nil
}

// cutRing truncates the ring file to size, synced.
func cutRing(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Truncate(size), f.Sync(), f.Close())
}
