package store

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/seal"
)

// recordingKEK is a KEK that remembers the additional data of each wrap.
type recordingKEK struct {
	KEK
	mu   sync.Mutex
	aads []string
}

func (k *recordingKEK) Wrap(p, aad []byte) ([]byte, error) {
	k.mu.Lock()
	k.aads = append(k.aads, string(aad))
	k.mu.Unlock()
	return k.KEK.Wrap(p, aad)
}

// keyReader hands out crypto/rand's bytes and keeps every 32-byte read:
// the seeds and data keys, to look for in the file.
type keyReader struct {
	mu   sync.Mutex
	keys [][]byte
}

func (r *keyReader) Read(p []byte) (int, error) {
	n, err := rand.Read(p)
	if len(p) == 32 {
		r.mu.Lock()
		r.keys = append(r.keys, bytes.Clone(p))
		r.mu.Unlock()
	}
	return n, err
}

var sealCtx = seal.Context{Unit: testUnit, ID: "01jbq3z6m0a8vcs9fkd2x7gq4r", Kind: "case"}

// TestSealingKeyRing: the first key is made once; rotation keeps the old
// key opening; both survive a reopen of the store; retiring the old one
// makes what was sealed to it a retired-key refusal, and after the next
// Open's compaction its wrapped private half is nowhere in the file; no
// private key is ever in the file in clear, and every one was wrapped by
// the KEK.
func TestSealingKeyRing(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "kek.key")
	if err := GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	fileKEK, err := LoadKeyFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	kek := &recordingKEK{KEK: fileKEK}
	random := &keyReader{}
	path := filepath.Join(dir, "store.db")
	open := func() *DB {
		t.Helper()
		db, err := Open(ctx, path, kek, Options{Unit: testUnit, Rand: random})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	if _, err := db.CurrentSealingKey(); !errors.Is(err, ErrNoSealingKey) {
		t.Fatalf("a new store's current sealing key: %v", err)
	}
	first, created, err := db.EnsureSealingKey(ctx)
	if err != nil || !created || !first.Current {
		t.Fatalf("EnsureSealingKey = %+v, %v, %v", first, created, err)
	}
	again, created, err := db.EnsureSealingKey(ctx)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("a second EnsureSealingKey made a key: %v %v %v", again.ID, created, err)
	}
	pub1, err := seal.ParsePublicKey(first.Public)
	if err != nil || pub1.ID() != first.ID {
		t.Fatalf("the stored public key: %v", err)
	}
	env1, err := seal.Seal(pub1, sealCtx, []byte("sealed to the first key"))
	if err != nil {
		t.Fatal(err)
	}

	second, err := db.RotateSealingKey(ctx)
	if err != nil || second.ID == first.ID {
		t.Fatalf("rotate: %v", err)
	}
	pub2, _ := seal.ParsePublicKey(second.Public)
	env2, err := seal.Seal(pub2, sealCtx, []byte("sealed to the second key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RetireSealingKey(ctx, second.ID); err == nil {
		t.Error("the current sealing key was retired")
	}
	db.Close()

	db = open()
	keys, err := db.SealingKeys()
	if err != nil || len(keys) != 2 || keys[0].ID != first.ID || keys[0].Current || !keys[1].Current || keys[1].ID != second.ID {
		t.Fatalf("after a reopen: %+v, %v", keys, err)
	}
	o, err := db.SealingOpener(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[*[]byte]string{&env1: "sealed to the first key", &env2: "sealed to the second key"} {
		if pt, err := o.Open(sealCtx, *env); err != nil || string(pt) != want {
			t.Errorf("after rotation and reopen: %q, %v", pt, err)
		}
	}
	var wrapped1 []byte
	if r, err := db.sealingRecord(); err != nil {
		t.Fatal(err)
	} else {
		wrapped1 = bytes.Clone(r.Keys[0].Wrapped)
	}
	if err := db.RetireSealingKey(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	db.bolt.View(func(btx *bolt.Tx) error {
		if btx.Bucket([]byte(bucketMeta)).Get(keyCompact) == nil {
			t.Error("a retired sealing key leaves no compaction pending: its wrapped private half would linger in a free page")
		}
		return nil
	})
	if o, err = db.SealingOpener(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Open(sealCtx, env1); !errors.Is(err, seal.ErrRetiredKey) {
		t.Errorf("sealed to the retired key: %v, want ErrRetiredKey", err)
	}
	if pt, err := o.Open(sealCtx, env2); err != nil || string(pt) != "sealed to the second key" {
		t.Errorf("the current key after a retirement: %v", err)
	}
	db.Close()
	db = open() // compacts
	if o, err = db.SealingOpener(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Open(sealCtx, env1); !errors.Is(err, seal.ErrRetiredKey) {
		t.Errorf("after a reopen, sealed to the retired key: %v", err)
	}
	db.Close()

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, wrapped1) {
		t.Error("the retired key's wrapped private half is still in the file")
	}
	if len(random.keys) < 2 {
		t.Fatal("no keys drawn")
	}
	for i, k := range random.keys {
		if bytes.Contains(raw, k) {
			t.Errorf("key %d drawn from the random source is in the file in clear", i)
		}
	}
	n := 0
	for _, aad := range kek.aads {
		if strings.HasPrefix(aad, "clinicgw sealing key v1 "+testUnit+" ") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d sealing keys wrapped by the KEK, want 2", n)
	}
}

// TestSealingKeyWrongUnitAAD: a wrapped private half moved into another
// unit's store (the same KEK) does not unwrap there.
func TestSealingKeyWrongUnitAAD(t *testing.T) {
	db, dir := testStore(t)
	if _, _, err := db.EnsureSealingKey(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := db.sealingRecord()
	if err != nil {
		t.Fatal(err)
	}
	kek, _ := LoadKeyFile(filepath.Join(dir, "kek.key"))
	if _, err := kek.Unwrap(r.Keys[0].Wrapped, sealingAAD("SE2321000016-OTHR", r.Keys[0].ID)); err == nil {
		t.Error("the sealing key unwraps for another unit")
	}
	if _, err := kek.Unwrap(r.Keys[0].Wrapped, sealingAAD(testUnit, r.Keys[0].ID)); err != nil {
		t.Errorf("the sealing key does not unwrap for its unit: %v", err)
	}
}

// TestCheckFindsDamagedSealingKey: store check unwraps every sealing key;
// a wrapped private half or a public half changed in the file is damage,
// named as the sealing key's.
func TestCheckFindsDamagedSealingKey(t *testing.T) {
	for _, member := range []string{"wrapped", "public"} {
		t.Run(member, func(t *testing.T) {
			db, dir := testStore(t)
			if _, _, err := db.EnsureSealingKey(ctx); err != nil {
				t.Fatal(err)
			}
			path := db.Path()
			db.Close()
			kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Check(ctx, path, kek, Options{Unit: testUnit}, nil); err != nil {
				t.Fatalf("a sound store: %v", err)
			}
			bdb, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = bdb.Update(func(btx *bolt.Tx) error {
				meta := btx.Bucket([]byte(bucketMeta))
				r, err := loadSealing(meta)
				if err != nil {
					return err
				}
				if member == "wrapped" {
					r.Keys[0].Wrapped[5] ^= 1
				} else {
					r.Keys[0].Public[5] ^= 1
				}
				raw, err := json.Marshal(r)
				if err != nil {
					return err
				}
				return meta.Put(keySealing, raw)
			})
			bdb.Close()
			if err != nil {
				t.Fatal(err)
			}
			_, err = Check(ctx, path, kek, Options{Unit: testUnit}, nil)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "sealing key") {
				t.Errorf("a changed %s: %v", member, err)
			}
		})
	}
}
