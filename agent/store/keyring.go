package store

import (
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrWrongKey means the key-encryption key given does not open this store.
var ErrWrongKey = errors.New("the key-encryption key does not open this store")

// TermInfo describes one term of the key ring.
type TermInfo struct {
	Term    uint32
	Created time.Time
	Active  bool // new values are sealed under this term
	Retired bool // the data key is destroyed; values under it never open again
}

// keyringRecord is the key ring as stored in the meta bucket. Data keys are
// wrapped by the KEK, each bound to its term number.
type keyringRecord struct {
	Format   int          `json:"format"`
	KEKID    string       `json:"kekId"`
	Active   uint32       `json:"active"`
	Terms    []termRecord `json:"terms"`
	IndexKey []byte       `json:"indexKey"` // wrapped HMAC key for patient lookups
}

type termRecord struct {
	Term    uint32    `json:"term"`
	Created time.Time `json:"created"`
	Retired time.Time `json:"retired,omitzero"`
	Wrapped []byte    `json:"wrapped,omitempty"` // nil once retired
}

var keyKeyring = []byte("keyring")

func termAAD(term uint32) []byte {
	return []byte("clinicgw keyring v1 term " + strconv.FormatUint(uint64(term), 10))
}

var indexKeyAAD = []byte("clinicgw keyring v1 index key")

func newKey(random io.Reader) ([]byte, error) {
	k := make([]byte, 32)
	if _, err := io.ReadFull(random, k); err != nil {
		return nil, fmt.Errorf("new data key: %w", err)
	}
	return k, nil
}

// createKeyring makes a key ring with term 1 and a fresh index key.
func createKeyring(kek KEK, random io.Reader, now time.Time) (*keyringRecord, error) {
	kr := &keyringRecord{Format: 1, KEKID: kek.ID()}
	idx, err := newKey(random)
	if err != nil {
		return nil, err
	}
	if kr.IndexKey, err = kek.Wrap(idx, indexKeyAAD); err != nil {
		return nil, fmt.Errorf("wrap index key: %w", err)
	}
	if err := kr.addTerm(kek, random, now); err != nil {
		return nil, err
	}
	return kr, nil
}

func (kr *keyringRecord) addTerm(kek KEK, random io.Reader, now time.Time) error {
	term := uint32(1)
	if n := len(kr.Terms); n > 0 {
		term = kr.Terms[n-1].Term + 1
	}
	key, err := newKey(random)
	if err != nil {
		return err
	}
	wrapped, err := kek.Wrap(key, termAAD(term))
	if err != nil {
		return fmt.Errorf("wrap data key: %w", err)
	}
	kr.Terms = append(kr.Terms, termRecord{Term: term, Created: now.UTC(), Wrapped: wrapped})
	kr.Active = term
	return nil
}

// errKeyringDamaged means some of the key ring's wrapped keys open with
// the key-encryption key and others do not: the key is right, the ring is
// damaged.
var errKeyringDamaged = errors.New("its key ring is damaged")

// unlock unwraps every live data key and returns a sealer. None
// unwrapping is ErrWrongKey; some but not all, errKeyringDamaged.
func (kr *keyringRecord) unlock(kek KEK, random io.Reader) (*sealer, error) {
	if kr.KEKID != kek.ID() {
		return nil, fmt.Errorf("%w: the store was sealed with key %s, but the key given is %s — is this the right key file?", ErrWrongKey, kr.KEKID, kek.ID())
	}
	s := &sealer{active: kr.Active, aeads: make(map[uint32]cipher.AEAD, len(kr.Terms)), rand: random}
	opened := 0
	var failed []string
	idx, err := kek.Unwrap(kr.IndexKey, indexKeyAAD)
	if err != nil {
		failed = append(failed, "the index key")
	} else {
		s.index, opened = idx, opened+1
	}
	for _, t := range kr.Terms {
		if t.Wrapped == nil {
			s.aeads[t.Term] = nil // retired
			continue
		}
		key, err := kek.Unwrap(t.Wrapped, termAAD(t.Term))
		if err != nil {
			failed = append(failed, fmt.Sprintf("the data key of term %d", t.Term))
			continue
		}
		opened++
		if s.aeads[t.Term], err = newAEAD(key); err != nil {
			return nil, err
		}
	}
	switch {
	case len(failed) > 0 && opened == 0:
		return nil, fmt.Errorf("%w: %s does not unwrap", ErrWrongKey, strings.Join(failed, ", "))
	case len(failed) > 0:
		return nil, fmt.Errorf("%w: %s does not unwrap, while other keys of the ring do", errKeyringDamaged, strings.Join(failed, ", "))
	}
	if a, ok := s.aeads[kr.Active]; !ok || a == nil {
		return nil, fmt.Errorf("%w: active term %d has no key", errKeyringDamaged, kr.Active)
	}
	return s, nil
}

func (kr *keyringRecord) info() []TermInfo {
	out := make([]TermInfo, 0, len(kr.Terms))
	for _, t := range kr.Terms {
		out = append(out, TermInfo{Term: t.Term, Created: t.Created, Active: t.Term == kr.Active, Retired: t.Wrapped == nil})
	}
	return out
}

func loadKeyring(meta *bolt.Bucket) (*keyringRecord, error) {
	raw := meta.Get(keyKeyring)
	if raw == nil {
		return nil, nil
	}
	var kr keyringRecord
	if err := json.Unmarshal(raw, &kr); err != nil {
		return nil, fmt.Errorf("%w: it does not decode: %w", errKeyringDamaged, err)
	}
	if kr.Format != 1 {
		return nil, fmt.Errorf("key ring format %d is not known to this clinicgw", kr.Format)
	}
	return &kr, nil
}

func saveKeyring(meta *bolt.Bucket, kr *keyringRecord) error {
	raw, err := json.Marshal(kr)
	if err != nil {
		return err
	}
	return meta.Put(keyKeyring, raw)
}
