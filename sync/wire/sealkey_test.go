package wire

import (
	"bytes"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The sealing key's bodies join the package's tables: the golden files,
// the decoders' fuzz targets and mutations, the OpenAPI schema checks.
func init() {
	bodies = append(bodies,
		body{"sealing-key-statement", func() Body { return canonicalSealingKeyStatement() }, wrap(DecodeSealingKeyStatement), MaxBodyBytes, func() any { return new(SealingKeyStatement) }},
		body{"published-sealing-key", func() Body {
			return PublishedSealingKey{Statements: []SealingKeyStatement{canonicalSealingKeyStatement()}}
		}, wrap(DecodePublishedSealingKey), MaxBodyBytes, func() any { return new(PublishedSealingKey) }},
	)
	schemaTypes["SealingKeyStatement"] = reflect.TypeFor[SealingKeyStatement]()
	schemaTypes["PublishedSealingKey"] = reflect.TypeFor[PublishedSealingKey]()
	pathConstants["PathSealingKey2"] = PathSealingKey2
}

// canonicalSealingKeyStatement has the form of a statement (its bytes are
// patterns, not a real key or signature: sync/seal tests those).
func canonicalSealingKeyStatement() SealingKeyStatement {
	return SealingKeyStatement{
		Unit:        "SE2321000016-15ZM",
		KeyID:       "0123456789abcdef0123456789abcdef",
		Suite:       SealingSuite,
		PublicKey:   b64(bytes.Repeat([]byte{0xa5}, SealingPublicKeyLen)),
		NotBefore:   t0,
		Certificate: b64(bytes.Repeat([]byte{0x30}, 600)),
		Signature:   b64(bytes.Repeat([]byte{0x5a}, 72)),
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func FuzzDecodeSealingKeyStatement(f *testing.F) {
	fuzzDecoder(f, "sealing-key-statement", DecodeSealingKeyStatement)
}

func FuzzDecodePublishedSealingKey(f *testing.F) {
	fuzzDecoder(f, "published-sealing-key", DecodePublishedSealingKey)
}

// TestSealingKeyStatementRules: each rule of the statement's form refuses
// a statement that breaks it, with a 400 problem naming the member.
func TestSealingKeyStatementRules(t *testing.T) {
	tests := []struct {
		member string
		change func(*SealingKeyStatement)
	}{
		{"unit", func(s *SealingKeyStatement) { s.Unit = "" }},
		{"unit", func(s *SealingKeyStatement) { s.Unit = "SE2321000016-15ZM\n" }},
		{"keyId", func(s *SealingKeyStatement) { s.KeyID = strings.ToUpper(s.KeyID) }},
		{"keyId", func(s *SealingKeyStatement) { s.KeyID = s.KeyID[1:] }},
		{"suite", func(s *SealingKeyStatement) { s.Suite = "HPKE-v1/X25519/HKDF-SHA256/AES-128-GCM" }},
		{"publicKey", func(s *SealingKeyStatement) { s.PublicKey = b64(make([]byte, SealingPublicKeyLen-1)) }},
		{"publicKey", func(s *SealingKeyStatement) { s.PublicKey = "" }},
		{"publicKey", func(s *SealingKeyStatement) { s.PublicKey = strings.TrimRight(s.PublicKey, "=") }},
		{"publicKey", func(s *SealingKeyStatement) {
			s.PublicKey = base64.URLEncoding.EncodeToString(make([]byte, SealingPublicKeyLen-1)) + "_-"
		}},
		{"notBefore", func(s *SealingKeyStatement) { s.NotBefore = time.Time{} }},
		{"certificate", func(s *SealingKeyStatement) { s.Certificate = "" }},
		{"certificate", func(s *SealingKeyStatement) { s.Certificate = b64(make([]byte, MaxCertificateBytes+1)) }},
		{"certificate", func(s *SealingKeyStatement) { s.Certificate = s.Certificate + "\n" }},
		{"signature", func(s *SealingKeyStatement) { s.Signature = "" }},
		{"signature", func(s *SealingKeyStatement) { s.Signature = b64(make([]byte, MaxSignatureBytes+1)) }},
	}
	for _, tc := range tests {
		s := canonicalSealingKeyStatement()
		tc.change(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.member+" ") {
			t.Errorf("%s broken: %v", tc.member, err)
		}
		b, _ := encode(s)
		if _, err := DecodeSealingKeyStatement(bytes.NewReader(b)); err == nil {
			t.Errorf("%s broken: decoded", tc.member)
		}
		if err := (PublishedSealingKey{Statements: []SealingKeyStatement{s}}).Validate(); err == nil || !strings.Contains(err.Error(), "statements[0]."+tc.member) {
			t.Errorf("%s broken in a published key: %v", tc.member, err)
		}
	}
	if err := (PublishedSealingKey{Statements: []SealingKeyStatement{}}).Validate(); err != nil {
		t.Errorf("no statement published: %v", err)
	}
	if err := (PublishedSealingKey{}).Validate(); err == nil {
		t.Error("statements missing: valid")
	}
	two := []SealingKeyStatement{canonicalSealingKeyStatement(), canonicalSealingKeyStatement()}
	if err := (PublishedSealingKey{Statements: two}).Validate(); err == nil {
		t.Error("two statements: valid")
	}
	pub, cert, sig, err := canonicalSealingKeyStatement().Decoded()
	if err != nil || len(pub) != SealingPublicKeyLen || len(cert) != 600 || len(sig) != 72 {
		t.Errorf("Decoded: %d %d %d, %v", len(pub), len(cert), len(sig), err)
	}
}

// TestOpenAPISealingKey: the endpoint's operations in openapi.json, and
// the statement's limits.
func TestOpenAPISealingKey(t *testing.T) {
	doc, _ := openAPI(t)
	put := at(t, doc, "paths", PathSealingKey2, "put")
	if got := at(t, put, "requestBody", "content", ContentTypeJSON, "schema", "$ref"); got != "#/components/schemas/SealingKeyStatement" {
		t.Errorf("put: request schema %v", got)
	}
	for _, c := range []string{"204", "400", "401", "403", "404", "413", "415"} {
		at(t, put, "responses", c)
	}
	get := at(t, doc, "paths", PathSealingKey2, "get")
	if got := at(t, get, "responses", "200", "content", ContentTypeJSON, "schema", "$ref"); got != "#/components/schemas/PublishedSealingKey" {
		t.Errorf("get: response schema %v", got)
	}
	for _, c := range []string{"200", "401", "403", "404"} {
		at(t, get, "responses", c)
	}
	s := at(t, doc, "components", "schemas", "SealingKeyStatement", "properties")
	if got := at(t, s, "suite", "const"); got != SealingSuite {
		t.Errorf("suite: %v, Go has %s", got, SealingSuite)
	}
	if at(t, s, "keyId", "maxLength") != float64(SealingKeyIDLen) || at(t, s, "keyId", "minLength") != float64(SealingKeyIDLen) {
		t.Error("keyId: the length differs from SealingKeyIDLen")
	}
	for member, want := range map[string]string{"publicKey": "1216 bytes", "certificate": "8 KiB", "signature": "1 KiB"} {
		if d := at(t, s, member, "description").(string); !strings.Contains(d, want) {
			t.Errorf("%s: the description does not state %s", member, want)
		}
	}
	if SealingPublicKeyLen != 1216 || MaxCertificateBytes != 8<<10 || MaxSignatureBytes != 1<<10 {
		t.Error("a sealing key limit changed: update openapi.json's text and this test")
	}
}
