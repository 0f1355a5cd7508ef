package central

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/seal"
)

// The store's own keys under its KEK (issue 22, item 3): the patient
// index key (sealing.go) and the store's sealing key seed (outseal.go)
// are lines of the key ring (keyring.go), wrapped by the KEK like the
// patients' data keys, under owners no personnummer hash can take
// ("~index-key", "~seal-key"). A store made before kept them as plain
// files beside its file (".index-key", ".seal-key"); Open moves each into
// the ring in three steps, each durable before the next: the key's line
// appended and synced; the plain file removed; its folder synced. A kill
// anywhere loses nothing: before the line is whole the plain file is
// still there (a torn line is cut off at the next load); after it, the
// ring holds the key and the next Open removes the plain file once it has
// checked that it holds the same key. A plain file holding another key
// than the ring's is refused: which one the store's data were made with
// cannot be told.

const (
	ownerIndexKey = "~index-key"
	ownerSealKey  = "~seal-key"
)

// keyMoveHook, when set (tests), is called after each step of moving a
// plain key file into the key ring; an error stops Open there, as a kill.
var keyMoveHook func(step string) error

func keyMoveStep(step string) error {
	if keyMoveHook == nil {
		return nil
	}
	return keyMoveHook(step)
}

// storeKey is one of the store's own keys in the ring.
type storeKey struct {
	owner  string // in the ring
	name   string // in steps and messages
	what   string // for people
	plain  string // the file an older store kept it in
	size   int    // of the key (and of the plain file)
	suffix func(fi fs.FileInfo) []byte
}

// secret returns k's value from the ring: moved there from k.plain when
// only that holds it, made from random when neither does. The value is
// the key followed by k.suffix of the plain file (or of nothing).
func (r *keyRing) secret(k storeKey) ([]byte, error) {
	plain, perr := os.ReadFile(k.plain)
	if perr != nil && !errors.Is(perr, fs.ErrNotExist) {
		return nil, fmt.Errorf("the %s %s: %w", k.what, k.plain, perr)
	}
	havePlain := perr == nil
	if havePlain && len(plain) != k.size {
		return nil, fmt.Errorf("the %s %s is %d bytes, not %d", k.what, k.plain, len(plain), k.size)
	}
	if r.has(k.owner) {
		v, err := r.key(k.owner, false)
		if err != nil {
			return nil, fmt.Errorf("the %s in the key ring %s does not open with the key-encryption key %s (%w): start with the key-encryption key the store was made with", k.what, r.path, r.kek.ID(), err)
		}
		if len(v) < k.size {
			return nil, fmt.Errorf("the %s in the key ring %s is %d bytes, not %d", k.what, r.path, len(v), k.size)
		}
		if havePlain {
			if !bytes.Equal(v[:k.size], plain) {
				return nil, fmt.Errorf("the %s file %s holds another key than the key ring %s: keep the one the store's data were made with (its backups tell) and move the other away", k.what, k.plain, r.path)
			}
			if err := removePlain(k); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	var v []byte
	if havePlain {
		fi, err := os.Stat(k.plain)
		if err != nil {
			return nil, err
		}
		v = plain
		if k.suffix != nil {
			v = append(v, k.suffix(fi)...)
		}
	} else {
		v = make([]byte, k.size)
		if _, err := io.ReadFull(r.rand, v); err != nil {
			return nil, err
		}
		if k.suffix != nil {
			v = append(v, k.suffix(nil)...)
		}
	}
	if err := r.put(k.owner, v); err != nil {
		return nil, fmt.Errorf("the %s: %w", k.what, err)
	}
	if err := keyMoveStep(k.name + " wrapped"); err != nil {
		return nil, err
	}
	if havePlain {
		if err := removePlain(k); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// removePlain removes k's plain file, durably.
func removePlain(k storeKey) error {
	if err := os.Remove(k.plain); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove the %s file %s (it is in the key ring now): %w", k.what, k.plain, err)
	}
	if err := keyMoveStep(k.name + " removed"); err != nil {
		return err
	}
	return atomicfile.SyncDir(filepath.Dir(k.plain))
}

// put wraps v for owner and appends it to the ring, synced.
func (r *keyRing) put(owner string, v []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, err := r.kek.Wrap(v, ringAAD(owner))
	if err != nil {
		return fmt.Errorf("wrap it with the key-encryption key %s: %w", r.kek.ID(), err)
	}
	if err := r.append(owner, w); err != nil {
		return fmt.Errorf("the key ring %s: %w", r.path, err)
	}
	r.wrapped[owner], r.open[owner] = w, v
	return nil
}

// loadStoreKeys loads the patient index key and the store's sealing key
// from the ring, moving them from indexFile and sealFile (older stores'
// plain files) when only those hold them.
func (s *Store) loadStoreKeys(indexFile, sealFile string, now func() time.Time) error {
	idx, err := s.ring.secret(storeKey{owner: ownerIndexKey, name: "index-key", what: "patient index key", plain: indexFile, size: IndexKeySize})
	if err != nil {
		return err
	}
	s.indexKey = idx
	// The sealing key's value is its seed and the time it was made (the
	// statement's notBefore), which the plain file kept as its mtime.
	return s.loadSealingKeys(func() ([]byte, error) {
		return s.ring.secret(storeKey{owner: ownerSealKey, name: "seal-key", what: "central store's sealing key", plain: sealFile, size: seal.SeedSize,
			suffix: func(fi fs.FileInfo) []byte {
				t := now()
				if fi != nil {
					t = fi.ModTime()
				}
				return binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
			}})
	})
}
