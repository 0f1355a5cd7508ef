package store

import (
	"encoding/json"
	"fmt"

	"clinicgw/agent/cases"
)

// Client writes (cases.ClientWrite): what an integration system's write
// with its own identifier did, so that a retry, even after a restart,
// does it once. The key is the case service's hash of the system and its
// identifier (no patient data); the value, sealed, names the case and
// the message and holds a digest of what was asked.

const (
	bucketClientWrites   = "client-writes"
	bucketClientWritesAt = "client-writes-at" // when each was written (clientwriteprune.go)
)

func init() {
	allBuckets = append(allBuckets, bucketClientWrites, bucketClientWritesAt)
	sealedBuckets = append(sealedBuckets, bucketClientWrites)
	addedBuckets = append(addedBuckets, bucketClientWrites, bucketClientWritesAt)
}

// ClientWrite implements cases.ReadTx.
func (t *tx) ClientWrite(key string) (cases.ClientWrite, bool, error) {
	if key == "" || len(key) > maxIDLen*2 {
		return cases.ClientWrite{}, false, nil
	}
	v := t.bucket(bucketClientWrites).Get([]byte(key))
	if v == nil {
		return cases.ClientWrite{}, false, nil
	}
	plain, err := t.s.open(bucketClientWrites, []byte(key), v)
	if err != nil {
		return cases.ClientWrite{}, false, fmt.Errorf("client write: %w", err)
	}
	var w cases.ClientWrite
	if err := json.Unmarshal(plain, &w); err != nil {
		return cases.ClientWrite{}, false, fmt.Errorf("client write: %w", err)
	}
	w.Key = key
	return w, true, nil
}

// PutClientWrite implements cases.Tx.
func (t *tx) PutClientWrite(w cases.ClientWrite) error {
	if w.Key == "" || len(w.Key) > maxIDLen*2 {
		return fmt.Errorf("client write: a key is 1 to %d bytes", maxIDLen*2)
	}
	b := t.bucket(bucketClientWrites)
	if b.Get([]byte(w.Key)) != nil {
		return fmt.Errorf("client write: %w", cases.ErrExists)
	}
	plain, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("client write: %w", err)
	}
	sealed, err := t.s.seal(bucketClientWrites, []byte(w.Key), plain)
	if err != nil {
		return err
	}
	if err := t.indexClientWrite(w.At, w.Key); err != nil {
		return err
	}
	return b.Put([]byte(w.Key), sealed)
}
