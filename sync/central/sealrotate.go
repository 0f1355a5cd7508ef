package central

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Rotation of the store's own sealing key (issue 22), with an overlap.
// Each key is a line of the key ring (keyring.go), wrapped by the KEK:
// the first under "~seal-key", each later one under "~seal-key.N" (N =
// 2, 3, …); its value is the HPKE seed and the time it became current
// (8 bytes, Unix seconds: its statement's notBefore). The current key is
// the highest N in the ring; only its statement is published.
//
//   - RotateSealingKey makes a new key current: its line is appended and
//     synced before it is used or published, and the statement signed
//     anew. The older keys stay in the ring and keep opening what
//     gateways sealed to them before they fetched the new statement.
//   - RetireSealingKey destroys an older key's private half: the ring is
//     rewritten without its line (replaced whole, as when a patient is
//     forgotten). It is refused for the current key, and until the key's
//     successor has been current for the overlap given (the operator's
//     `clinicgw central-keys retire-sealing --overlap`, default
//     DefaultSealingOverlap): by then every gateway has fetched the new
//     statement (a gateway fetches it again at least every
//     uplink.DefaultCentralKeyRefresh, and at once on a refusal naming an
//     unknown key), so nothing sealed to the old key is still on its way
//     but a retry, and a retry is sealed anew. An item that still arrives
//     sealed to a retired key is refused with wire.ProblemSealingKeyUnknown,
//     never applied; the gateway fetches the key and seals it again.

// DefaultSealingOverlap is how long a rotated-out sealing key keeps
// opening before it may be retired.
const DefaultSealingOverlap = 24 * time.Hour

// sealGen is one of the store's sealing keys.
type sealGen struct {
	n         int    // 1 for ownerSealKey, N for "~seal-key.N"
	owner     string // in the ring
	key       *seal.PrivateKey
	notBefore time.Time
}

// outboundSealing is the store's own sealing keys and the current one's
// statement.
type outboundSealing struct {
	mu   sync.Mutex
	keys []sealGen // by n; the last is current
	// The server certificate's key and chain, once SignSealingKey gave
	// them: a rotation signs the new key's statement with them.
	signer    crypto.Signer
	leaf      *x509.Certificate
	chain     [][]byte
	statement *wire.CentralSealingKeyStatement // nil until SignSealingKey
}

func (o *outboundSealing) current() sealGen {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.keys[len(o.keys)-1]
}

// opener opens with every key not yet retired.
func (o *outboundSealing) opener(unit string) *seal.Opener {
	o.mu.Lock()
	keys := make([]*seal.PrivateKey, len(o.keys))
	for i, g := range o.keys {
		keys[i] = g.key
	}
	o.mu.Unlock()
	return seal.NewOpener(unit, keys, nil)
}

// signCurrent signs the current key's statement, when a signer is held;
// o.mu is held.
func (o *outboundSealing) signCurrent(log *slog.Logger) error {
	if o.signer == nil {
		return nil
	}
	cur := o.keys[len(o.keys)-1]
	st, err := seal.SignCentralStatement(o.signer, o.leaf, o.chain, cur.key.Public(), cur.notBefore, rand.Reader)
	if err != nil {
		return err
	}
	o.statement = &st
	log.Info("central sealing key published", "keyId", st.KeyID)
	return nil
}

func sealOwner(n int) string {
	if n == 1 {
		return ownerSealKey
	}
	return ownerSealKey + "." + strconv.Itoa(n)
}

// sealGenOf decodes a sealing key's ring value.
func sealGenOf(n int, v []byte) (sealGen, error) {
	if len(v) != seal.SeedSize+8 {
		return sealGen{}, fmt.Errorf("the central store's sealing key %s in the key ring is %d bytes, not %d", sealOwner(n), len(v), seal.SeedSize+8)
	}
	k, err := seal.NewPrivateKey(v[:seal.SeedSize])
	if err != nil {
		return sealGen{}, fmt.Errorf("the central store's sealing key %s: %w", sealOwner(n), err)
	}
	return sealGen{n: n, owner: sealOwner(n), key: k, notBefore: time.Unix(int64(binary.BigEndian.Uint64(v[seal.SeedSize:])), 0)}, nil
}

// laterSealGens returns the n of every "~seal-key.N" line in the ring, in
// order.
func (r *keyRing) laterSealGens() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ns []int
	for owner := range r.wrapped {
		rest, ok := strings.CutPrefix(owner, ownerSealKey+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= 2 {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns
}

// loadSealingKeys reads the store's sealing keys from the ring. first is
// the first key's value (keyfiles.go's secret: moved from an older
// store's plain file, or made), read only when no later key is there or
// the first is still in the ring: once rotated out and retired, it must
// not be made anew.
func (s *Store) loadSealingKeys(first func() ([]byte, error)) error {
	later := s.ring.laterSealGens()
	o := &outboundSealing{}
	if len(later) == 0 || s.ring.has(ownerSealKey) {
		v, err := first()
		if err != nil {
			return err
		}
		g, err := sealGenOf(1, v)
		if err != nil {
			return err
		}
		o.keys = append(o.keys, g)
	}
	for _, n := range later {
		v, err := s.ring.key(sealOwner(n), false)
		if err != nil {
			return fmt.Errorf("the central store's sealing key %s in the key ring %s does not open with the key-encryption key %s (%w): start with the key-encryption key the store was made with", sealOwner(n), s.ring.path, s.ring.kek.ID(), err)
		}
		g, err := sealGenOf(n, v)
		if err != nil {
			return err
		}
		o.keys = append(o.keys, g)
	}
	s.outbound = o
	return nil
}

// SealingKey describes one of the store's sealing keys.
type SealingKey struct {
	ID seal.KeyID
	// Since is when it became current.
	Since time.Time
	// Current: the key gateways seal to now; the others only open.
	Current bool
	// Until is when its successor became current (zero for the current).
	Until time.Time
}

// SealingKeys lists the store's sealing keys, oldest first.
func (s *Store) SealingKeys() []SealingKey {
	o := s.outbound
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]SealingKey, len(o.keys))
	for i, g := range o.keys {
		out[i] = SealingKey{ID: g.key.ID(), Since: g.notBefore, Current: i == len(o.keys)-1}
		if i+1 < len(o.keys) {
			out[i].Until = o.keys[i+1].notBefore
		}
	}
	return out
}

// RotateSealingKey makes a new sealing key current, durably in the key
// ring before anything uses it, and publishes its statement (when
// SignSealingKey gave the store its certificate). The older keys keep
// opening. It is safe while the store serves.
func (s *Store) RotateSealingKey() (SealingKey, error) {
	o := s.outbound
	o.mu.Lock()
	defer o.mu.Unlock()
	n := o.keys[len(o.keys)-1].n + 1
	v := make([]byte, seal.SeedSize, seal.SeedSize+8)
	if _, err := io.ReadFull(s.rand, v); err != nil {
		return SealingKey{}, fmt.Errorf("rotate the central sealing key: %w", err)
	}
	now := s.clock.Now().UTC().Truncate(time.Second)
	if last := o.keys[len(o.keys)-1].notBefore; !now.After(last) {
		now = last.Add(time.Second) // a later key states a later time: gateways never go back
	}
	v = binary.BigEndian.AppendUint64(v, uint64(now.Unix()))
	g, err := sealGenOf(n, v)
	if err != nil {
		return SealingKey{}, err
	}
	if err := s.ring.put(g.owner, v); err != nil {
		return SealingKey{}, fmt.Errorf("rotate the central sealing key: %w", err)
	}
	o.keys = append(o.keys, g)
	if err := o.signCurrent(s.log); err != nil {
		return SealingKey{}, fmt.Errorf("rotate the central sealing key: the new key %s is in the key ring, its statement unsigned: %w", g.key.ID(), err)
	}
	s.log.Info("central sealing key rotated", "keyId", g.key.ID().String(), "generation", n)
	return SealingKey{ID: g.key.ID(), Since: g.notBefore, Current: true}, nil
}

// ErrSealingKeyInUse: the sealing key named is current, or its successor
// has been current for less than the overlap.
var ErrSealingKeyInUse = errors.New("the sealing key may still be sealed to")

// RetireSealingKey destroys the private half of the sealing key id (the
// key ring rewritten without it): what is sealed to it never opens again
// and is refused with wire.ProblemSealingKeyUnknown. It is refused for the
// current key and until its successor has been current for overlap.
func (s *Store) RetireSealingKey(id seal.KeyID, overlap time.Duration) error {
	o := s.outbound
	o.mu.Lock()
	defer o.mu.Unlock()
	i := slices.IndexFunc(o.keys, func(g sealGen) bool { return g.key.ID() == id })
	switch {
	case i < 0:
		return fmt.Errorf("retire the central sealing key %s: %w", id, fs.ErrNotExist)
	case i == len(o.keys)-1:
		return fmt.Errorf("retire the central sealing key %s: %w: it is the current key (rotate first)", id, ErrSealingKeyInUse)
	}
	since := o.keys[i+1].notBefore
	if now := s.clock.Now(); overlap > 0 && now.Sub(since) < overlap {
		return fmt.Errorf("retire the central sealing key %s: %w: its successor is current since %s, less than the overlap of %s; gateways may not all have fetched it yet (retry after %s)",
			id, ErrSealingKeyInUse, since.UTC().Format(time.RFC3339), overlap, since.Add(overlap).UTC().Format(time.RFC3339))
	}
	if _, err := s.ring.forget(o.keys[i].owner); err != nil {
		return fmt.Errorf("retire the central sealing key %s: %w", id, err)
	}
	o.keys = slices.Delete(o.keys, i, i+1)
	s.log.Info("central sealing key retired", "keyId", id.String())
	return nil
}
