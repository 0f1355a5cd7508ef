package wire

import (
	"bytes"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The sealing epoch joins the package's tables (golden file, decoders'
// fuzz targets and mutations, the OpenAPI schema checks).
func init() {
	bodies = append(bodies,
		body{"sealing-epoch", func() Body { return canonicalSealingEpoch() }, wrap(DecodeSealingEpoch), MaxBodyBytes, func() any { return new(SealingEpoch) }},
	)
	schemaTypes["SealingEpoch"] = reflect.TypeFor[SealingEpoch]()
	pathConstants["PathSealingEpochs2"] = PathSealingEpochs2
}

func canonicalSealingEpoch() SealingEpoch {
	return SealingEpoch{ID: "fedcba9876543210fedcba9876543210", KeyID: "0123456789abcdef0123456789abcdef",
		Enc: b64(bytes.Repeat([]byte{0x5a}, SealingEpochEncBytes))}
}

func FuzzDecodeSealingEpoch(f *testing.F) { fuzzDecoder(f, "sealing-epoch", DecodeSealingEpoch) }

// TestSealingEpochRules: the id and key id are lower-case hex of their
// length, the encapsulated key exactly 1120 bytes of strict base64.
func TestSealingEpochRules(t *testing.T) {
	good := canonicalSealingEpoch()
	if err := good.Validate(); err != nil || len(good.EncBytes()) != SealingEpochEncBytes {
		t.Fatalf("the canonical epoch: %v", err)
	}
	for _, tc := range []struct {
		name, field string
		change      func(*SealingEpoch)
	}{
		{"upper-case id", "id", func(e *SealingEpoch) { e.ID = strings.ToUpper(e.ID) }},
		{"short id", "id", func(e *SealingEpoch) { e.ID = e.ID[:30] }},
		{"no key id", "keyId", func(e *SealingEpoch) { e.KeyID = "" }},
		{"short enc", "enc", func(e *SealingEpoch) { e.Enc = b64(make([]byte, SealingEpochEncBytes-1)) }},
		{"long enc", "enc", func(e *SealingEpoch) { e.Enc = b64(make([]byte, SealingEpochEncBytes+3)) }},
		{"unpadded enc", "enc", func(e *SealingEpoch) { e.Enc = strings.TrimRight(b64(make([]byte, SealingEpochEncBytes+1)), "=") }},
	} {
		e := good
		tc.change(&e)
		err := e.Validate()
		var p *Problem
		if !errors.As(err, &p) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want a problem naming %s", tc.name, err, tc.field)
		}
	}
}

// TestParseSealingEpochQuery: one id, of its form, nothing else.
func TestParseSealingEpochQuery(t *testing.T) {
	id := canonicalSealingEpoch().ID
	if got, err := ParseSealingEpochQuery(url.Values{"id": {id}}); err != nil || got != id {
		t.Fatalf("%q, %v", got, err)
	}
	for _, q := range []url.Values{{}, {"id": {id, id}}, {"id": {strings.ToUpper(id)}}, {"id": {id[:31]}}, {"id": {id}, "x": {"1"}}, {"ID": {id}}} {
		if _, err := ParseSealingEpochQuery(q); !isBadRequest(err) {
			t.Errorf("%v: %v, want a 400 problem", q, err)
		}
	}
}

func isBadRequest(err error) bool {
	p, ok := errors.AsType[*Problem](err)
	return ok && p.Status == 400
}
