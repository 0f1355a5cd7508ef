package central

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Outbound sealing (issue 22, item 4): the central store's own sealing
// key pair (HPKE, the suite of sync/seal), whose private half is a
// 32-byte seed in the store's key ring, wrapped by its KEK (keyfiles.go;
// an older store's plain ".seal-key" file is moved there at Open). The gateway
// seals its outbox items to the public half (wire.PathOutboxSealed2);
// the store opens each at receipt and applies it exactly as a plain item
// of wire.PathOutbox2, so the idempotency digests are over the opened
// item and a retry sealed anew is a duplicate, not a conflict. An item
// that does not open — sealed to another key, altered, truncated, moved
// to another item, kind or unit, or opening to another item than its
// clear members name — is rejected with a problem and never applied.
//
// The key is rotated with an overlap (sealrotate.go): the store holds
// every key not yet retired and opens with any of them, and publishes
// the current one's statement only.
//
// The key is published at GET wire.PathCentralSealingKey2 in a statement
// signed with the key of the store's TLS server certificate
// (seal.SignCentralStatement), once whoever serves the API has called
// SignSealingKey with that certificate; until then the answer holds no
// statement, and the gateway seals nothing.

// SignSealingKey signs the store's sealing key statement with the key of
// cert, the store's TLS server certificate (issued by the central CA the
// gateways pin), and publishes it from then on.
func (s *Store) SignSealingKey(cert tls.Certificate) error {
	if len(cert.Certificate) == 0 {
		return errors.New("sign the central sealing key: the server certificate is empty")
	}
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return fmt.Errorf("sign the central sealing key: the server certificate's key (%T) cannot sign", cert.PrivateKey)
	}
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("sign the central sealing key: %w", err)
		}
	}
	s.outbound.mu.Lock()
	defer s.outbound.mu.Unlock()
	s.outbound.signer, s.outbound.leaf, s.outbound.chain = signer, leaf, cert.Certificate[1:]
	return s.outbound.signCurrent(s.log)
}

// SealingKeyID returns the id of the store's own sealing key.
func (s *Store) SealingKeyID() seal.KeyID { return s.outbound.current().key.ID() }

// serveGetCentralSealingKey answers GET wire.PathCentralSealingKey2.
func (s *Store) serveGetCentralSealingKey(w http.ResponseWriter, r *http.Request, unit string) {
	out := wire.PublishedCentralSealingKey{Statements: []wire.CentralSealingKeyStatement{}}
	s.outbound.mu.Lock()
	if st := s.outbound.statement; st != nil {
		out.Statements = append(out.Statements, *st)
	}
	s.outbound.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	if err := wire.WriteJSON(w, http.StatusOK, out); err != nil {
		s.log.Error("central sealing key response", "unit", unit, "err", err)
	}
}

// serveOutboxSealed answers POST wire.PathOutboxSealed2: each item is
// opened, then the opened ones are applied as a wire.PathOutbox2 batch;
// the results keep the batch's order.
func (s *Store) serveOutboxSealed(w http.ResponseWriter, r *http.Request, unit string) {
	sb, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeSealedOutboxBatch2)
	if err != nil {
		s.writeError(w, "outbox", unit, err)
		return
	}
	opener := s.outbound.opener(unit)
	results := make([]*wire.ItemResult, len(sb.Items))
	var batch wire.OutboxBatch2
	opened := map[string]bool{}
	for i, sit := range sb.Items {
		it, why := openItem(opener, unit, sit)
		if why != "" {
			s.log.Warn("sealed outbox item refused", "unit", unit, "caseId", sit.CaseID, "key", sit.IdempotencyKey, "why", why)
			p := wire.BadRequest("The sealed item does not open with the central store's sealing key (" + why + "): fetch the central store's key again and seal the item anew.")
			if why == whyOtherKey {
				p = wire.SealingKeyUnknown("The sealed item names a sealing key the central store does not hold (retired after a rotation, or never its): fetch the central store's key again and seal the item anew.")
			}
			results[i] = &wire.ItemResult{IdempotencyKey: sit.IdempotencyKey, Status: wire.ItemRejected, Problem: p}
			continue
		}
		batch.Items = append(batch.Items, it)
		opened[it.IdempotencyKey] = true
	}
	for _, st := range sb.Staff {
		if opened[st.IdempotencyKey] {
			batch.Staff = append(batch.Staff, st)
		}
	}
	var notices []notice
	if len(batch.Items) > 0 {
		if err := batch.Validate(); err != nil {
			s.writeError(w, "outbox", unit, err)
			return
		}
		var res wire.OutboxResult
		if res, notices, err = s.applyOutbox(unit, batch, true); err != nil {
			s.writeError(w, "outbox", unit, err)
			return
		}
		s.outCounts.add(unit, len(batch.Items), 0, 0)
		j := 0
		for i := range results {
			if results[i] == nil {
				results[i] = &res.Results[j]
				j++
			}
		}
	}
	s.outCounts.add(unit, 0, 0, len(sb.Items)-len(batch.Items))
	out := wire.OutboxResult{Results: make([]wire.ItemResult, len(results))}
	for i, r := range results {
		out.Results[i] = *r
	}
	if err := wire.WriteJSON(w, http.StatusOK, out); err != nil {
		s.log.Error("outbox response", "unit", unit, "err", err)
	}
	s.sendNotices(r.Context(), notices)
}

// whyOtherKey: the item is sealed to a key the store does not hold.
const whyOtherKey = "sealed to another key"

// openItem opens a sealed item for unit; why says (without content) why
// it does not open.
func openItem(opener *seal.Opener, unit string, sit wire.SealedOutboxItem) (wire.OutboxItem, string) {
	env, ok := sit.SealedBytes()
	if !ok {
		return wire.OutboxItem{}, "not base64"
	}
	pt, err := opener.Open(seal.OutboxContext(unit, sit.IdempotencyKey, sit.Kind), env)
	switch {
	case errors.Is(err, seal.ErrUnknownKey), errors.Is(err, seal.ErrRetiredKey):
		return wire.OutboxItem{}, whyOtherKey
	case errors.Is(err, seal.ErrWrongUnit):
		return wire.OutboxItem{}, "sealed by another unit"
	case errors.Is(err, seal.ErrTruncated):
		return wire.OutboxItem{}, "truncated"
	case errors.Is(err, seal.ErrAltered):
		return wire.OutboxItem{}, "altered or moved from another item"
	case err != nil:
		return wire.OutboxItem{}, "malformed"
	}
	it, err := wire.OpenedItem(sit, pt)
	if err != nil {
		return wire.OutboxItem{}, "opens to another item than it names"
	}
	return it, ""
}
