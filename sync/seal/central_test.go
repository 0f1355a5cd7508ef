package seal

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire"
)

func leafOf(t *testing.T, c tls.Certificate) (crypto.Signer, *x509.Certificate, [][]byte) {
	t.Helper()
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return c.PrivateKey.(crypto.Signer), leaf, c.Certificate[1:]
}

// TestCentralStatement: the central store's statement, signed with its
// server certificate, verifies against the pinned central CA for the
// name dialled; a swapped key, an altered member, a statement without a
// signature or chain, one signed by another PKI's server, by a unit's
// client certificate of the same PKI, for another host name, or after
// the certificate expired is ErrCentralStatement.
func TestCentralStatement(t *testing.T) {
	now := time.Now()
	pki, err := devpki.New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := devpki.New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(c tls.Certificate, err error) tls.Certificate {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	server := issue(pki.Server("central.example"))
	k, other := seededKey(t, 1), seededKey(t, 2)
	signer, leaf, chain := leafOf(t, server)
	good, err := SignCentralStatement(signer, leaf, chain, k.Public(), now.Add(-time.Minute), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := VerifyCentralStatement(good, pki.RootPool(), "central.example", now)
	if err != nil || pub.ID() != k.ID() {
		t.Fatalf("the good statement: %v", err)
	}
	signedBy := func(c tls.Certificate) wire.CentralSealingKeyStatement {
		s, l, ch := leafOf(t, c)
		st, err := SignCentralStatement(s, l, ch, k.Public(), now.Add(-time.Minute), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	b64 := base64.StdEncoding.EncodeToString
	cases := map[string]struct {
		st   wire.CentralSealingKeyStatement
		name string
		at   time.Time
	}{
		"swapped key": {func() wire.CentralSealingKeyStatement {
			st := good
			st.PublicKey, st.KeyID = b64(other.Public().Bytes()), other.ID().String()
			return st
		}(), "central.example", now},
		"key id of another key": {func() wire.CentralSealingKeyStatement { st := good; st.KeyID = other.ID().String(); return st }(), "central.example", now},
		"unsigned":              {func() wire.CentralSealingKeyStatement { st := good; st.Signature = ""; return st }(), "central.example", now},
		"signature of another statement": {func() wire.CentralSealingKeyStatement {
			st := good
			st.Signature = signedBy(issue(pki.Server("central.example"))).Signature
			return st
		}(), "central.example", now},
		"not-before altered": {func() wire.CentralSealingKeyStatement {
			st := good
			st.NotBefore = st.NotBefore.Add(time.Second)
			return st
		}(), "central.example", now},
		"no chain":                    {func() wire.CentralSealingKeyStatement { st := good; st.Chain = nil; return st }(), "central.example", now},
		"another PKI's server":        {signedBy(issue(stranger.Server("central.example"))), "central.example", now},
		"a unit's client certificate": {signedBy(issue(pki.Unit("SE2321000016-15ZM", "Vårdcentralen"))), "central.example", now},
		"another host name":           {good, "other.example", now},
		"certificate expired":         {good, "central.example", now.Add(20 * 365 * 24 * time.Hour)},
	}
	if len(chain) == 0 {
		delete(cases, "no chain") // a PKI without intermediates: nothing to leave out
	}
	for name, c := range cases {
		if _, err := VerifyCentralStatement(c.st, pki.RootPool(), c.name, c.at); !errors.Is(err, ErrCentralStatement) {
			t.Errorf("%s: %v, want ErrCentralStatement", name, err)
		}
	}
	if _, err := VerifyCentralStatement(good, nil, "central.example", now); !errors.Is(err, ErrCentralStatement) {
		t.Errorf("no pinned CA: %v", err)
	}
}

// TestOutboxContext: an outbox item's envelope opens for its unit, key
// and kind only.
func TestOutboxContext(t *testing.T) {
	k := seededKey(t, 3)
	env, err := Seal(k.Public(), OutboxContext(unitA, "key-1", wire.OutboxAnswer), []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	o := NewOpener(unitA, []*PrivateKey{k}, nil)
	if _, err := o.Open(OutboxContext(unitA, "key-1", wire.OutboxAnswer), env); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Context{
		"another key":  OutboxContext(unitA, "key-2", wire.OutboxAnswer),
		"another kind": OutboxContext(unitA, "key-1", wire.OutboxCounterQuestion),
	} {
		if _, err := o.Open(c, env); !errors.Is(err, ErrAltered) {
			t.Errorf("%s: %v, want ErrAltered", name, err)
		}
	}
	if _, err := NewOpener(unitB, []*PrivateKey{k}, nil).Open(OutboxContext(unitB, "key-1", wire.OutboxAnswer), env); !errors.Is(err, ErrWrongUnit) {
		t.Errorf("another unit: %v, want ErrWrongUnit", err)
	}
}
