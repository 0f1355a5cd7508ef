package central

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"testing"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// TestSealingEpochTable: for a gateway that asks (envelope=3) the unit's
// events name their epoch and the store serves its record, bound to its
// id; one of another unit, unknown, or asked for wrongly is not served.
// A store restored from a backup of before the epoch refuses the events
// given back until the epoch is put back, refuses an epoch put back
// altered or for another unit, and then takes the events.
func TestSealingEpochTable(t *testing.T) {
	e := newEnv(t)
	k, backup := sealedBackup(e, "?envelope=3")
	e.submit(unitA, "Kanarietext om halsont")
	e.submit(unitA, "Kanarietext om hosta")
	sent := e.inbox(unitA, 0, 10).Events
	var id seal.EpochID
	for i, ev := range sent {
		env, _ := ev.SealedBytes()
		key, ep, ok := seal.EpochOf(env)
		if !ok || key != k.ID() || (i > 0 && ep != id) {
			t.Fatalf("event %d does not name the epoch of the unit's key", i)
		}
		id = ep
	}
	get := func(unit, query string) (int, []byte) {
		status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathSealingEpochs2+query, "", nil)
		return status, body
	}
	status, body := get(unitA, "?id="+id.String())
	if status != http.StatusOK {
		t.Fatalf("GET the epoch: %d %s", status, body)
	}
	rec, err := wire.DecodeSealingEpoch(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := seal.EpochRecordOf(unitA, rec); err != nil || r.ID() != id {
		t.Fatalf("the record served does not bind: %v", err)
	}
	for _, tc := range []struct {
		unit, query string
		want        int
	}{
		{unitB, "?id=" + id.String(), http.StatusNotFound},
		{unitA, "?id=" + seal.EpochID{1}.String(), http.StatusNotFound},
		{unitA, "", http.StatusBadRequest},
		{unitA, "?id=" + id.String() + "&id=" + id.String(), http.StatusBadRequest},
		{unitA, "?id=XYZ", http.StatusBadRequest},
	} {
		if status, _ := get(tc.unit, tc.query); status != tc.want {
			t.Errorf("GET %s as %s: %d, want %d", tc.query, tc.unit, status, tc.want)
		}
	}

	e.close()
	copyTestFile(t, backup, e.path)
	e.open()
	if status, _ := get(unitA, "?id="+id.String()); status != http.StatusNotFound {
		t.Fatalf("the restored store serves the lost epoch: %d", status)
	}
	for _, r := range e.reconcile(unitA, wire.ReconcileBatch{Events: sent}).Results {
		if r.Status != wire.ItemRejected || r.Problem == nil || r.Problem.Status != http.StatusConflict {
			t.Errorf("event %s given back without its epoch: %s", r.ID, r.Status)
		}
	}
	put := func(unit string, ep wire.SealingEpoch) int {
		b, _ := wire.Marshal(ep)
		status, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathSealingEpochs2, wire.ContentTypeJSON, b)
		return status
	}
	altered := rec
	enc := rec.EncBytes()
	enc[7] ^= 1
	altered.Enc = base64.StdEncoding.EncodeToString(enc)
	if status := put(unitA, altered); status != http.StatusBadRequest {
		t.Errorf("PUT an altered epoch: %d, want 400", status)
	}
	if status := put(unitB, rec); status != http.StatusBadRequest {
		t.Errorf("PUT the epoch as another unit: %d, want 400", status)
	}
	if status := put(unitA, rec); status != http.StatusNoContent {
		t.Fatalf("PUT the epoch: %d", status)
	}
	if status := put(unitA, rec); status != http.StatusNoContent {
		t.Fatalf("PUT the epoch again: %d", status)
	}
	for _, r := range e.reconcile(unitA, wire.ReconcileBatch{Events: sent}).Results {
		if r.Status != wire.ItemAccepted {
			t.Errorf("event %s given back after its epoch: %s %+v", r.ID, r.Status, r.Problem)
		}
	}
	if status, body := get(unitA, "?id="+id.String()); status != http.StatusOK || !bytes.Equal(bytes.TrimSpace(body), bytes.TrimSpace(mustMarshal(t, rec))) {
		t.Errorf("the epoch put back is served as %d %s", status, body)
	}
}

func mustMarshal(t *testing.T, v wire.Body) []byte {
	t.Helper()
	b, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealedBackup publishes a new sealing key for unitA, switches its
// sealing on with query (envelope=3 or none) and backs the store up to
// the returned file: a backup of before the unit's first sealed event.
func sealedBackup(e *env, query string) (*seal.PrivateKey, string) {
	t := e.t
	t.Helper()
	k, err := seal.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if status := e.putSealingKey(unitA, statementOf(t, e.certs[unitA], unitA, k.Public())); status != http.StatusNoContent {
		t.Fatalf("PUT sealing key: %d", status)
	}
	b, _ := wire.Marshal(wire.SealingSwitch{Sealed: true})
	if status, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathSealing2+query, wire.ContentTypeJSON, b); status != http.StatusOK {
		t.Fatalf("sealing on: %d %s", status, body)
	}
	backup := filepath.Join(t.TempDir(), "central-backup.db")
	if err := e.store.Backup(e.ctx, backup); err != nil {
		t.Fatal(err)
	}
	return k, backup
}
