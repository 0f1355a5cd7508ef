package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// The outbound sealing bodies join the package's tables: the golden
// files, the decoders' fuzz targets and mutations, the OpenAPI checks.
func init() {
	bodies = append(bodies,
		body{"published-central-sealing-key", func() Body {
			return PublishedCentralSealingKey{Statements: []CentralSealingKeyStatement{canonicalCentralStatement()}}
		}, wrap(DecodePublishedCentralSealingKey), MaxBodyBytes, func() any { return new(PublishedCentralSealingKey) }},
		body{"sealed-outbox-batch2", func() Body { return canonicalSealedOutboxBatch2() }, wrap(DecodeSealedOutboxBatch2), MaxBodyBytes, func() any { return new(SealedOutboxBatch2) }},
	)
	schemaTypes["CentralSealingKeyStatement"] = reflect.TypeFor[CentralSealingKeyStatement]()
	schemaTypes["PublishedCentralSealingKey"] = reflect.TypeFor[PublishedCentralSealingKey]()
	schemaTypes["SealedOutboxItem"] = reflect.TypeFor[SealedOutboxItem]()
	schemaTypes["SealedOutboxBatch2"] = reflect.TypeFor[SealedOutboxBatch2]()
	pathConstants["PathCentralSealingKey2"] = PathCentralSealingKey2
	pathConstants["PathOutboxSealed2"] = PathOutboxSealed2
}

// canonicalCentralStatement has the form of a statement (patterns, not a
// real key or signature: sync/seal tests those).
func canonicalCentralStatement() CentralSealingKeyStatement {
	return CentralSealingKeyStatement{
		KeyID:       "fedcba9876543210fedcba9876543210",
		Suite:       SealingSuite,
		PublicKey:   b64(bytes.Repeat([]byte{0xa5}, SealingPublicKeyLen)),
		NotBefore:   t0,
		Certificate: b64(bytes.Repeat([]byte{0x30}, 600)),
		Signature:   b64(bytes.Repeat([]byte{0x5a}, 72)),
		Chain:       []string{b64(bytes.Repeat([]byte{0x31}, 500))},
	}
}

func canonicalSealedOutboxBatch2() SealedOutboxBatch2 {
	return SealedOutboxBatch2{
		Items: []SealedOutboxItem{
			{IdempotencyKey: "k-1", CaseID: caseID1, Kind: OutboxAnswer, Sealed: b64(bytes.Repeat([]byte{0x01}, 1200))},
			{IdempotencyKey: "k-2", CaseID: caseID2, Kind: OutboxCaseInitiated, Sealed: b64(bytes.Repeat([]byte{0x02}, 1300))},
		},
		Staff: []ItemStaff{{IdempotencyKey: "k-1", AuthorHSAID: "SE2321000016-C001"}},
	}
}

// TestSealedOutboxRules: the sealed batch's form rules, and the check of
// an opened item against the clear members.
func TestSealedOutboxRules(t *testing.T) {
	good := canonicalSealedOutboxBatch2()
	if err := good.Validate(); err != nil {
		t.Fatalf("the canonical batch: %v", err)
	}
	for name, mut := range map[string]func(*SealedOutboxBatch2){
		"no items":        func(b *SealedOutboxBatch2) { b.Items = nil },
		"repeated key":    func(b *SealedOutboxBatch2) { b.Items[1].IdempotencyKey = b.Items[0].IdempotencyKey },
		"not base64":      func(b *SealedOutboxBatch2) { b.Items[0].Sealed = "a b" },
		"empty sealed":    func(b *SealedOutboxBatch2) { b.Items[0].Sealed = "" },
		"unknown kind":    func(b *SealedOutboxBatch2) { b.Items[0].Kind = "gossip" },
		"staff of no one": func(b *SealedOutboxBatch2) { b.Staff[0].IdempotencyKey = "k-9" },
		"bad case id":     func(b *SealedOutboxBatch2) { b.Items[0].CaseID = "" },
	} {
		b := canonicalSealedOutboxBatch2()
		mut(&b)
		if err := b.Validate(); err == nil {
			t.Errorf("%s: valid", name)
		}
	}
	it := canonicalOutboxBatch().Items[0]
	pt, err := SealedItemContent(it)
	if err != nil {
		t.Fatal(err)
	}
	clear := SealedOutboxItem{IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: it.Kind}
	got, err := OpenedItem(clear, pt)
	if err != nil || got.Digest() != it.Digest() {
		t.Fatalf("opened %+v, %v", got, err)
	}
	for name, c := range map[string]SealedOutboxItem{
		"another key":  {IdempotencyKey: "other", CaseID: it.CaseID, Kind: it.Kind},
		"another case": {IdempotencyKey: it.IdempotencyKey, CaseID: caseID2, Kind: it.Kind},
		"another kind": {IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: OutboxStatus},
	} {
		if _, err := OpenedItem(c, pt); err == nil {
			t.Errorf("%s: an item opened under clear members that are not its own", name)
		}
	}
	for name, pt := range map[string][]byte{"empty": nil, "not json": []byte("{"), "trailing": append(bytes.Clone(pt), "{}"...),
		"unknown member": []byte(`{"idempotencyKey":"x","zzz":1}`)} {
		if _, err := OpenedItem(clear, pt); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

// FuzzOpenedItem: the decoder of an opened item's plaintext never
// panics, and what it takes is a valid item naming the clear members.
func FuzzOpenedItem(f *testing.F) {
	it := canonicalOutboxBatch().Items[0]
	pt, _ := SealedItemContent(it)
	f.Add(pt)
	f.Add([]byte(`{}`))
	clear := SealedOutboxItem{IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: it.Kind}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := OpenedItem(clear, b)
		if err != nil {
			return
		}
		if got.Validate() != nil || got.IdempotencyKey != clear.IdempotencyKey || got.CaseID != clear.CaseID || got.Kind != clear.Kind {
			t.Fatalf("took %+v", got)
		}
	})
}

func FuzzDecodeSealedOutboxBatch2(f *testing.F) {
	fuzzDecoder(f, "sealed-outbox-batch2", DecodeSealedOutboxBatch2)
}

func FuzzDecodePublishedCentralSealingKey(f *testing.F) {
	fuzzDecoder(f, "published-central-sealing-key", DecodePublishedCentralSealingKey)
}
