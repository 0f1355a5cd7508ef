package booking

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"io"
	"sync"
)

// Published time ids. The central store holds a free time under an
// opaque id, "t" and 25 base32 characters of HMAC-SHA256(key, the time's
// key): nothing in it names the clinician (a time's own id holds the
// clinician's HSA-ID). The key is random, made once and sealed in the
// diary's meta bucket, so an id stays the same across publications and
// restarts, and only the gateway can map it back (publicIDs: a map filled
// by each publication and, on a miss, by one walk of the clear index of
// every time). A request naming a time by its own id (the publication of
// the release before) is still decided by it, so requests queued at the
// central store across the switch are answered.
//
// A time type goes by an opaque id too, "y" and 25 base32 characters of
// HMAC-SHA256(key, "type", NUL, the type's id), under the same key: the
// patient pages put it in their addresses (?typ=), which end up in
// browser history, logs and the Referer, and a unit's own type ids name
// kinds of care ("psykolog-30"). The central store only compares type
// ids, so it needs no other change; an old link with a type's own id
// finds no type there and says so.

const (
	publicKeyName = "public-id-key"
	publicIDLen   = 25 // base32 characters after "t": 125 bits
)

var publicEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// publicIDs is the key and the map back from published ids.
type publicIDs struct {
	mu   sync.Mutex
	key  []byte
	back map[string]SlotID
}

// publicKey returns the diary's id key, making it on first use.
func (d *Diary) publicKey(ctx context.Context) ([]byte, error) {
	d.pub.mu.Lock()
	key := d.pub.key
	d.pub.mu.Unlock()
	if key != nil {
		return key, nil
	}
	err := d.st.Update(ctx, func(tx Tx) error {
		v, err := tx.Get(bMeta, []byte(publicKeyName))
		if err != nil || v != nil {
			key = v
			return err
		}
		key = make([]byte, 32)
		if _, err := io.ReadFull(d.rand, key); err != nil {
			return fmt.Errorf("the key of published time ids: %w", err)
		}
		return tx.Put(bMeta, []byte(publicKeyName), key)
	})
	if err != nil {
		return nil, err
	}
	d.pub.mu.Lock()
	if d.pub.key == nil {
		d.pub.key = key
	}
	key = d.pub.key
	d.pub.mu.Unlock()
	return key, nil
}

// publicID is the published id of the time with key k.
func publicID(key, k []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(k)
	return "t" + publicEnc.EncodeToString(m.Sum(nil))[:publicIDLen]
}

// publicTypeID is the published id of the time type typeID.
func publicTypeID(key []byte, typeID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("type\x00"))
	m.Write([]byte(typeID))
	return "y" + publicEnc.EncodeToString(m.Sum(nil))[:publicIDLen]
}

// PublicTypeID is the id the central store knows the time type typeID by
// (what its patient pages put in ?typ=).
func (d *Diary) PublicTypeID(ctx context.Context, typeID string) (string, error) {
	key, err := d.publicKey(ctx)
	if err != nil {
		return "", err
	}
	return publicTypeID(key, typeID), nil
}

// remember records published ids' times.
func (d *Diary) remember(ids map[string]SlotID) {
	d.pub.mu.Lock()
	defer d.pub.mu.Unlock()
	if d.pub.back == nil {
		d.pub.back = make(map[string]SlotID, len(ids))
	}
	for p, id := range ids {
		d.pub.back[p] = id
	}
}

// resolve maps an id from the central store to the time: a published id,
// or a time's own id (the release before). An id no time has is the
// NotFound decline.
func (d *Diary) resolve(ctx context.Context, id string) (SlotID, error) {
	if _, err := keyOf(SlotID(id)); err == nil {
		return SlotID(id), nil
	}
	if len(id) != 1+publicIDLen || id[0] != 't' {
		return "", decline(NotFound)
	}
	d.pub.mu.Lock()
	s, ok := d.pub.back[id]
	d.pub.mu.Unlock()
	if ok {
		return s, nil
	}
	key, err := d.publicKey(ctx)
	if err != nil {
		return "", err
	}
	found := map[string]SlotID{}
	err = d.st.View(ctx, func(tx Tx) error {
		return tx.IndexScan(iTimes, nil, nil, func(k, v []byte) bool {
			it, ok := parseIndexed(k, v)
			if ok {
				found[publicID(key, k)] = formatID(it)
			}
			return true
		})
	})
	if err != nil {
		return "", err
	}
	d.remember(found)
	if s, ok := found[id]; ok {
		return s, nil
	}
	return "", decline(NotFound)
}

// resolveRequest maps the request's time ids; a decline if one is not a
// time's.
func (d *Diary) resolveRequest(ctx context.Context, time, from string) (SlotID, SlotID, error) {
	t, err := d.resolve(ctx, time)
	if err != nil {
		return "", "", err
	}
	if from == "" {
		return t, "", nil
	}
	f, err := d.resolve(ctx, from)
	return t, f, err
}

// Resolve is the time a central store's id names: a published id, or a
// time's own id. An id no time has is the NotFound decline.
func (d *Diary) Resolve(ctx context.Context, id string) (SlotID, error) { return d.resolve(ctx, id) }
