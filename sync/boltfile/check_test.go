package boltfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// sample writes a small bbolt file the way clinicgw's store uses bbolt
// (freelist not stored), with what the checker walks: branch pages,
// overflow pages, nested and inline buckets. freelist stores the freelist
// in a page, as a file compacted by an earlier clinicgw has it.
func sample(t testing.TB, pageSize int, freelist bool) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sample.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: pageSize, NoFreelistSync: !freelist})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("cases"))
		if err != nil {
			return err
		}
		for i := range 60 {
			if err := b.Put(fmt.Appendf(nil, "case-%03d", i), bytes.Repeat([]byte{byte(i)}, 100+i*7)); err != nil {
				return err
			}
		}
		if err := b.Put([]byte("big"), bytes.Repeat([]byte{7}, 3*pageSize)); err != nil {
			return err
		}
		nested, err := b.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		for i := range 40 {
			if err := nested.Put(fmt.Appendf(nil, "n%02d", i), make([]byte, 50)); err != nil {
				return err
			}
		}
		small, err := tx.CreateBucket([]byte("small")) // inline
		if err != nil {
			return err
		}
		return small.Put([]byte("k"), []byte("v"))
	})
	if err == nil {
		err = db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("cases")).Delete([]byte("case-010")) })
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckSound(t *testing.T) {
	for _, freelist := range []bool{false, true} {
		b := sample(t, 4096, freelist)
		var calls int
		rep, err := Check(context.Background(), bytes.NewReader(b), int64(len(b)), func(done, total uint64) { calls++ })
		if err != nil {
			t.Fatalf("freelist %v: %v", freelist, err)
		}
		if rep.PageSize != 4096 || rep.Buckets != 3 || rep.Freelist != freelist || len(rep.BadMeta) != 0 || calls == 0 {
			t.Errorf("freelist %v: report %+v, %d progress calls", freelist, rep, calls)
		}
		if rep.Reachable == 0 || rep.Reachable > rep.Pages {
			t.Errorf("freelist %v: %d reachable of %d pages", freelist, rep.Reachable, rep.Pages)
		}
	}
}

// TestCheckOneMetaBad: one meta page that does not check is what a power
// cut during a commit leaves; the file goes on from the other one.
func TestCheckOneMetaBad(t *testing.T) {
	b := sample(t, 4096, false)
	for page := range 2 {
		d := bytes.Clone(b)
		d[page*4096+20] ^= 0xff
		rep, err := Check(context.Background(), bytes.NewReader(d), int64(len(d)), nil)
		if err != nil || len(rep.BadMeta) != 1 || rep.BadMeta[0] != page || rep.Meta == page {
			t.Errorf("meta page %d flipped: %+v, %v", page, rep, err)
		}
	}
}

func TestCheckDamaged(t *testing.T) {
	b := sample(t, 4096, false)
	ps := 4096
	rep, err := Check(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	end := int(rep.Pages) * ps // the file may be longer: bbolt grows it ahead
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"text", []byte("hello, world\n"), ErrNotBolt},
		{"both metas", func() []byte { d := bytes.Clone(b); d[16] ^= 1; d[ps+16] ^= 1; return d }(), ErrNotBolt},
		{"cut in half", b[:len(b)/2], nil},
		{"one byte short", b[:end-1], nil},
		{"meta page only", b[:ps], nil},
		{"zeroed tree", func() []byte { d := bytes.Clone(b); clear(d[2*ps:]); return d }(), nil},
	}
	for _, tt := range tests {
		_, err := Check(context.Background(), bytes.NewReader(tt.file), int64(len(tt.file)), nil)
		if err == nil {
			t.Errorf("%s: passed", tt.name)
			continue
		}
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// FuzzCheck damages a bbolt file at random and demands: Check never
// panics, and whatever it passes, bbolt itself opens for writing (which
// walks the whole tree in a goroutine no recover reaches), checks, reads
// every key and value of, and writes to, without a panic or a fault.
func FuzzCheck(f *testing.F) {
	f.Add(sample(f, 1024, false))
	f.Add(sample(f, 1024, true))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzOne(t, b) })
}

func fuzzOne(t *testing.T, b []byte) {
	dir := t.TempDir()
	rep, err := Check(context.Background(), bytes.NewReader(b), int64(len(b)), nil)
	if _, err2 := CheckBytes(context.Background(), b, nil); (err == nil) != (err2 == nil) {
		t.Fatalf("Check and CheckBytes disagree: %v; %v", err, err2)
	}
	if err != nil {
		return
	}
	path := filepath.Join(dir, "fuzz.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return
	}
	defer db.Close()
	var errs []error
	db.View(func(tx *bolt.Tx) error {
		// bbolt's check asserts both meta pages' headers, also of the one
		// that does not check and is not used: that one is in BadMeta.
		if len(rep.BadMeta) > 0 {
			return nil
		}
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	if len(errs) > 0 {
		t.Fatalf("Check passed a file bbolt's own check faults: %v", errs)
	}
	var walk func(b *bolt.Bucket) error
	walk = func(b *bolt.Bucket) error {
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(b.Bucket(k))
			}
			_ = bytes.Count(v, []byte{0})
			return nil
		})
	}
	db.Update(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if err := walk(b); err != nil {
				return err
			}
			if err := b.Put([]byte("fuzz"), make([]byte, 3000)); err != nil {
				return err
			}
			return b.Delete([]byte("fuzz"))
		})
	})
}
