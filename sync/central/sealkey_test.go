package central

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// statementOf signs pub for unit with the certificate cert.
func statementOf(t *testing.T, cert tls.Certificate, unit string, pub *seal.PublicKey) wire.SealingKeyStatement {
	t.Helper()
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	st, err := seal.SignStatement(cert.PrivateKey.(crypto.Signer), leaf, unit, pub, time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) putSealingKey(unit string, st wire.SealingKeyStatement) int {
	e.t.Helper()
	b, err := wire.Marshal(st)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, _ := e.do(e.api, unit, http.MethodPut, wire.PathSealingKey2, wire.ContentTypeJSON, b)
	return status
}

func (e *env) getSealingKey(unit string) []wire.SealingKeyStatement {
	e.t.Helper()
	status, ct, body := e.do(e.api, unit, http.MethodGet, wire.PathSealingKey2, "", nil)
	if status != http.StatusOK || ct != wire.ContentTypeJSON {
		e.t.Fatalf("GET sealing key: %d %s %s", status, ct, body)
	}
	p, err := wire.DecodePublishedSealingKey(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	return p.Statements
}

// TestSealingKeyPublication: the store keeps a unit's statement signed
// with the request's own client certificate and serves it back, after a
// reopen too; it refuses one for another unit, one signed with another
// unit's certificate and one whose key was swapped, and keeps the one it
// had. No key material reaches its log.
func TestSealingKeyPublication(t *testing.T) {
	e := newEnv(t)
	k1, _ := seal.GenerateKey(rand.Reader)
	k2, _ := seal.GenerateKey(rand.Reader)
	if got := e.getSealingKey(unitA); len(got) != 0 {
		t.Fatalf("a unit that published nothing: %v", got)
	}
	good := statementOf(t, e.certs[unitA], unitA, k1.Public())
	if status := e.putSealingKey(unitA, good); status != http.StatusNoContent {
		t.Fatalf("PUT the unit's own statement: %d", status)
	}
	swapped := good
	swapped.PublicKey, swapped.KeyID = base64.StdEncoding.EncodeToString(k2.Public().Bytes()), k2.ID().String()
	refused := map[string]struct {
		as string
		st wire.SealingKeyStatement
	}{
		"unit B publishes A's statement":                 {unitB, good},
		"unit B publishes a statement for A":             {unitB, statementOf(t, e.certs[unitB], unitA, k2.Public())},
		"unit A publishes one signed with B's cert":      {unitA, statementOf(t, e.certs[unitB], unitA, k2.Public())},
		"unit A publishes its statement with a key swap": {unitA, swapped},
	}
	for what, tc := range refused {
		if status := e.putSealingKey(tc.as, tc.st); status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", what, status)
		}
	}
	for _, round := range []string{"before a reopen", "after a reopen"} {
		got := e.getSealingKey(unitA)
		if len(got) != 1 || got[0] != good {
			t.Fatalf("%s: unit A's published key %v", round, got)
		}
		if got := e.getSealingKey(unitB); len(got) != 0 {
			t.Errorf("%s: unit B publishes %v", round, got)
		}
		e.reopen()
	}
	next := statementOf(t, e.certs[unitA], unitA, k2.Public())
	if status := e.putSealingKey(unitA, next); status != http.StatusNoContent {
		t.Fatalf("PUT a rotated key: %d", status)
	}
	if got := e.getSealingKey(unitA); len(got) != 1 || got[0] != next {
		t.Errorf("after rotation: %v", got)
	}
	if status, _, _ := e.do(e.api, unitA, http.MethodPut, wire.PathSealingKey2, wire.ContentTypeJSON, []byte(`{"unit":"x"}`)); status != http.StatusBadRequest {
		t.Errorf("a broken statement: %d", status)
	}
	logs := e.logs.String()
	for _, secret := range []string{good.PublicKey[:40], good.Signature[:20], good.Certificate[:40]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds key material %q", secret)
		}
	}
	if !strings.Contains(logs, "sealing key published") || !strings.Contains(logs, k1.ID().String()) {
		t.Error("the publication is not in the log")
	}
}
