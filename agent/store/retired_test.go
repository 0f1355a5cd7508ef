package store

import (
	"encoding/binary"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestRetiredBucketsChecked: a store holding a bucket its schema no longer
// has, or missing one its schema still has, is refused at Open as damaged,
// for schema 5's retired indexes and schema 7's idx-patient alike (a fold
// cut short, idx-patient in a store of schema 7, opens: TestPatientFoldKilled).
func TestRetiredBucketsChecked(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema uint32
		create string // a bucket put in
		drop   string // a bucket taken out
		want   string
	}{
		{"idx-status at schema 7", 7, bucketByStatus, "", "no longer has"},
		{"idx-patient missing at schema 6", 6, "", bucketByPatient, "is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, dir := testStore(t)
			if err := db.update(func(btx *bolt.Tx) error {
				if tc.create != "" {
					if _, err := btx.CreateBucket([]byte(tc.create)); err != nil {
						return err
					}
				}
				if tc.drop != "" {
					if err := btx.DeleteBucket([]byte(tc.drop)); err != nil && btx.Bucket([]byte(tc.drop)) != nil {
						return err
					}
				}
				return btx.Bucket([]byte(bucketMeta)).Put(keySchema, binary.BigEndian.AppendUint32(nil, tc.schema))
			}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			kek, err := LoadKeyFile(filepath.Join(dir, "kek.key"))
			if err != nil {
				t.Fatal(err)
			}
			db2, err := Open(ctx, filepath.Join(dir, "store.db"), kek, Options{Unit: testUnit})
			if err == nil {
				db2.Close()
				t.Fatalf("opened; want it refused (%s)", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("refused with %v; want %q", err, tc.want)
			}
		})
	}
}
