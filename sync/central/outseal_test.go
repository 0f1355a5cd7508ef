package central

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// centralKey signs the store's sealing key with its server certificate
// and returns the key as a gateway verifies it.
func (e *env) centralKey() *seal.PublicKey {
	e.t.Helper()
	if err := e.store.SignSealingKey(e.server); err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathCentralSealingKey2, "", nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET central sealing key: %d %s", status, body)
	}
	p, err := wire.DecodePublishedCentralSealingKey(bytes.NewReader(body))
	if err != nil || len(p.Statements) != 1 {
		e.t.Fatalf("GET central sealing key: %v %s", err, body)
	}
	pub, err := seal.VerifyCentralStatement(p.Statements[0], e.pki.RootPool(), "127.0.0.1", time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return pub
}

// sealItem seals it as unit's gateway does.
func sealItem(t *testing.T, pub *seal.PublicKey, unit string, it wire.OutboxItem) wire.SealedOutboxItem {
	t.Helper()
	pt, err := wire.SealedItemContent(it)
	if err != nil {
		t.Fatal(err)
	}
	env, err := seal.Seal(pub, seal.OutboxContext(unit, it.IdempotencyKey, it.Kind), pt)
	if err != nil {
		t.Fatal(err)
	}
	return wire.SealedOutboxItem{IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: it.Kind, Sealed: base64.StdEncoding.EncodeToString(env)}
}

func (e *env) outboxSealed(unit string, items ...wire.SealedOutboxItem) wire.OutboxResult {
	e.t.Helper()
	batch := wire.SealedOutboxBatch2{Items: items}
	b, err := wire.Marshal(batch)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.do(e.api, unit, http.MethodPost, wire.PathOutboxSealed2, wire.ContentTypeJSON, b)
	if status != http.StatusOK {
		e.t.Fatalf("sealed outbox: %d %s", status, body)
	}
	res, err := wire.DecodeOutboxResult(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := res.Matches(batch.Keys()); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// TestSealedOutbox: an answer sealed to the central store's key opens and
// applies as a plain one would; the same item sealed anew, and plain at
// PathOutbox2, are duplicates. An item sealed to another key, altered,
// truncated, moved to another item, sealed by another unit or opening to
// another item than it names is rejected with a problem and changes
// nothing; the good item beside them applies. The key file is the
// store's own, mode 0600, and the key stays across a reopen.
func TestSealedOutbox(t *testing.T) {
	e := newEnv(t)
	if status, _, body := e.do(e.api, unitA, http.MethodGet, wire.PathCentralSealingKey2, "", nil); status != http.StatusOK || !bytes.Contains(body, []byte(`"statements":[]`)) {
		t.Fatalf("before the key is signed: %d %s", status, body)
	}
	pub := e.centralKey()
	id := e.submit(unitA, "Kanarietext")
	it := answer("k-1", id, "Kanariesvar sealed")
	if r := e.outboxSealed(unitA, sealItem(t, pub, unitA, it)); r.Results[0].Status != wire.ItemAccepted {
		t.Fatalf("the sealed answer: %+v", r.Results[0])
	}
	pc, err := e.store.PatientCase(e.ctx, adultPNR, id)
	if err != nil || pc.Messages[len(pc.Messages)-1].Text != "Kanariesvar sealed" {
		t.Fatalf("the patient sees %+v, %v", pc.Messages, err)
	}
	if r := e.outboxSealed(unitA, sealItem(t, pub, unitA, it)); r.Results[0].Status != wire.ItemDuplicate {
		t.Errorf("the answer sealed anew: %+v, want a duplicate", r.Results[0])
	}
	// The answer plain, after sealed ones: refused (outdowngrade_test.go).
	plain, _ := wire.Marshal(wire.OutboxBatch{Items: []wire.OutboxItem{it}})
	if status, _, body := e.do(e.api, unitA, http.MethodPost, wire.PathOutbox, wire.ContentTypeJSON, plain); status != http.StatusConflict {
		t.Errorf("the answer plain: %d %s, want 409", status, body)
	}

	stranger, err := seal.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, seal.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	id2 := e.submit(unitA, "Kanarietext två")
	bad := answer("k-bad", id2, "Kanariesvar som inte får komma fram")
	good := answer("k-good", id2, "Kanariesvar som kommer fram")
	flip := func(s wire.SealedOutboxItem, at int) wire.SealedOutboxItem {
		b, _ := s.SealedBytes()
		b[at] ^= 1
		s.Sealed = base64.StdEncoding.EncodeToString(b)
		return s
	}
	moved := sealItem(t, pub, unitA, answer("k-other", id2, "Kanariesvar som inte får komma fram"))
	moved.IdempotencyKey = bad.IdempotencyKey
	otherCase := bad
	otherCase.CaseID = id
	namesOther := sealItem(t, pub, unitA, otherCase)
	namesOther.CaseID = id2
	refusals := map[string]wire.SealedOutboxItem{
		"sealed to another key":                 sealItem(t, stranger.Public(), unitA, bad),
		"a bit flipped in the encapsulated key": flip(sealItem(t, pub, unitA, bad), 100),
		"the last bit flipped": func() wire.SealedOutboxItem {
			s := sealItem(t, pub, unitA, bad)
			b, _ := s.SealedBytes()
			return flip(s, len(b)-1)
		}(),
		"truncated": func() wire.SealedOutboxItem {
			s := sealItem(t, pub, unitA, bad)
			b, _ := s.SealedBytes()
			s.Sealed = base64.StdEncoding.EncodeToString(b[:len(b)-10])
			return s
		}(),
		"moved from another item":      moved,
		"sealed by another unit":       sealItem(t, pub, unitB, bad),
		"opens to another item's case": namesOther,
	}
	for name, s := range refusals {
		before := e.dump()
		r := e.outboxSealed(unitA, s)
		if r.Results[0].Status != wire.ItemRejected || r.Results[0].Problem == nil {
			t.Errorf("%s: %+v, want rejected with a problem", name, r.Results[0])
		}
		if after := e.dump(); after != before {
			t.Errorf("%s: the store changed", name)
		}
	}
	r := e.outboxSealed(unitA, sealItem(t, stranger.Public(), unitA, bad), sealItem(t, pub, unitA, good))
	if r.Results[0].Status != wire.ItemRejected || r.Results[1].Status != wire.ItemAccepted {
		t.Errorf("a refused item beside a good one: %+v", r.Results)
	}
	pc, _ = e.store.PatientCase(e.ctx, adultPNR, id2)
	for _, m := range pc.Messages {
		if m.Text == bad.Message.Text {
			t.Errorf("a refused item was applied")
		}
	}
	if !e.store.ring.has(ownerSealKey) {
		t.Fatalf("the sealing key is not in the key ring")
	}
	idBefore := e.store.SealingKeyID()
	e.reopen()
	if e.store.SealingKeyID() != idBefore || e.centralKey().ID() != pub.ID() {
		t.Errorf("the key changed across a reopen")
	}
	e.checkLogs("Kanariesvar", "Kanarietext")
}
