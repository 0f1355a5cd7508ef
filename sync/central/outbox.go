package central

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// outboxRecord remembers an applied outbox item under its idempotency key
// (and one that was a duplicate of a message applied under another key).
type outboxRecord struct {
	Digest []byte          `json:"digest"` // wire.OutboxItem.Digest
	Status wire.ItemStatus `json:"status"` // always accepted: rejected items leave no record
	CaseID string          `json:"caseId"`
}

// notice is a patient notice to send once the transaction has committed.
type notice struct {
	pnr    string
	caseID string
}

// serveOutbox answers POST wire.PathOutbox: each item is applied in order,
// in one transaction, and gets its own result. An item for a case that is
// not the unit's is rejected (forbidden); a key seen before with the same
// content is a duplicate, with other content rejected (conflict); so is a
// message id the case already holds (wire.MessageDigest). An assignment
// item (version 2) changes nothing of the case: it is kept, with its
// assignee, among the unit's confirmed items only.
func (s *Store) serveOutbox(w http.ResponseWriter, r *http.Request, unit string) {
	var batch wire.OutboxBatch2
	var err error
	if r.URL.Path == wire.PathOutbox2 {
		batch, err = decode(w, r, wire.MaxBodyBytes, wire.DecodeOutboxBatch2)
	} else {
		var b1 wire.OutboxBatch
		b1, err = decode(w, r, wire.MaxBodyBytes, wire.DecodeOutboxBatch)
		batch.Items = b1.Items
	}
	if err != nil {
		s.writeError(w, "outbox", unit, err)
		return
	}
	res, notices, err := s.applyOutbox(unit, batch, false)
	if err != nil {
		s.writeError(w, "outbox", unit, err)
		return
	}
	s.outCounts.add(unit, 0, len(batch.Items), 0)
	if err := wire.WriteJSON(w, http.StatusOK, res); err != nil {
		s.log.Error("outbox response", "unit", unit, "err", err)
	}
	s.sendNotices(r.Context(), notices)
}

// applyOutbox applies a batch for unit in one transaction; whom on the
// unit's staff its items name (version 2) is kept with the confirmed
// items only, never on the patient's pages. sealed says the items came
// sealed (outdowngrade.go: a plain batch after sealed ones is refused).
func (s *Store) applyOutbox(unit string, batch wire.OutboxBatch2, sealed bool) (wire.OutboxResult, []notice, error) {
	staff := batch.StaffOf()
	var res wire.OutboxResult
	var notices []notice
	var counts [3]int // accepted, duplicate, rejected
	err := s.db.Update(func(tx *bolt.Tx) error {
		res.Results, notices, counts = res.Results[:0], notices[:0], [3]int{}
		ub := unitBucket(tx, unit)
		if err := s.outboundSealing(ub, unit, sealed, len(batch.Items)); err != nil {
			return err
		}
		records := ub.Bucket([]byte(bucketOutbox))
		for _, it := range batch.Items {
			result, n, err := s.applyItem(tx, records, unit, it, staff[it.IdempotencyKey])
			if err != nil {
				return err
			}
			res.Results = append(res.Results, result)
			switch result.Status {
			case wire.ItemAccepted:
				counts[0]++
			case wire.ItemDuplicate:
				counts[1]++
			default:
				counts[2]++
			}
			if n != nil {
				notices = append(notices, *n)
			}
		}
		return nil
	})
	if err != nil {
		return wire.OutboxResult{}, nil, fmt.Errorf("apply outbox: %w", err)
	}
	s.log.Info("outbox applied", "unit", unit, "accepted", counts[0], "duplicates", counts[1], "rejected", counts[2])
	return res, notices, nil
}

// applyItem applies one item in tx and returns its result and, for a new
// message, the notice to send.
func (s *Store) applyItem(tx *bolt.Tx, records *bolt.Bucket, unit string, it wire.OutboxItem, staff wire.ItemStaff) (wire.ItemResult, *notice, error) {
	result := wire.ItemResult{IdempotencyKey: it.IdempotencyKey, Status: wire.ItemAccepted}
	reject := func(p *wire.Problem) (wire.ItemResult, *notice, error) {
		result.Status, result.Problem = wire.ItemRejected, p
		s.log.Warn("outbox item rejected", "unit", unit, "caseId", it.CaseID, "key", it.IdempotencyKey, "problem", p.Type)
		return result, nil, nil
	}
	digest := wire.AssignmentDigest(it, staff) // it.Digest(), with the assignee of an assignment
	if v := records.Get([]byte(it.IdempotencyKey)); v != nil {
		var rec outboxRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return result, nil, fmt.Errorf("read outbox record: %w", err)
		}
		if !bytes.Equal(rec.Digest, digest[:]) {
			return reject(wire.Conflict("The idempotency key was used before for other content; an item keeps its key and content for ever."))
		}
		result.Status = wire.ItemDuplicate
		return result, nil, nil
	}
	c, err := s.getCase(tx, it.CaseID)
	if err != nil {
		return result, nil, err
	}
	if it.Kind == wire.OutboxCaseInitiated {
		if c != nil {
			if c.Unit != unit {
				return reject(wire.Forbidden("The case is not one of this care unit's cases."))
			}
			return reject(wire.Conflict("A case with this id exists; a unit starts a case once, under a new id."))
		}
		n, p, err := s.initiateCase(tx, unit, it)
		if err != nil || p != nil {
			if p != nil {
				return reject(p)
			}
			return result, nil, err
		}
		if err := putRecord(records, it.IdempotencyKey, digest, it.CaseID); err != nil {
			return result, nil, err
		}
		return result, n, s.keepConfirmed(unitBucket(tx, unit), it, staff, s.now())
	}
	// A case that does not exist and one of another unit get the same
	// answer, so a unit learns nothing of other units' cases.
	if c == nil || c.Unit != unit {
		return reject(wire.Forbidden("The case is not one of this care unit's cases."))
	}
	if it.Kind == wire.OutboxAssignment || c.forgotten {
		// A forgotten patient's case (forget.go) keeps nothing new either.
		// A reassignment is staff's business: kept for the unit among its
		// confirmed items (with the assignee), nothing of the case changes,
		// so the patient's pages show nothing of it.
		if err := putRecord(records, it.IdempotencyKey, digest, c.ID); err != nil {
			return result, nil, err
		}
		return result, nil, s.keepConfirmed(unitBucket(tx, unit), it, staff, s.now())
	}
	var n *notice
	if m := it.Message; m != nil {
		// A message id names one message for ever: the same message again
		// is a duplicate, other content under its id a conflict, and
		// neither changes the case.
		if i := slices.IndexFunc(c.Messages, func(x messageRecord) bool { return x.ID == m.ID }); i >= 0 {
			if c.Messages[i].digest(c.ID) != wire.MessageDigest(it.CaseID, it.Kind, it.At, *m) {
				return reject(wire.Conflict("The message id was used before in this case for another message; a message keeps its id and content for ever."))
			}
			result.Status = wire.ItemDuplicate
			return result, nil, putRecord(records, it.IdempotencyKey, digest, c.ID)
		}
		c.Messages = append(c.Messages, messageRecord{ID: m.ID, Kind: string(it.Kind), Text: m.Text,
			Signature: m.Signature, AuthorTitle: m.AuthorTitle, At: it.At.UTC()})
		to := c.Patient.PNR
		if c.Guardian != nil {
			to = c.Guardian.PNR
		}
		if to != "" { // a case sealed to its unit before its patient copy was kept has none
			n = &notice{pnr: to, caseID: c.ID}
		}
	}
	// A withdrawn case stays withdrawn: the unit's message still reaches
	// the thread, but the patient's decision stands.
	if c.Status != wire.StatusWithdrawn {
		switch it.Kind {
		case wire.OutboxAnswer:
			c.Status = wire.StatusAnswered
		case wire.OutboxPartialAnswer:
			c.Status = wire.StatusPartiallyAnswered
		case wire.OutboxCounterQuestion:
			c.Status = wire.StatusWaitingForPatient
		case wire.OutboxStatus:
			c.Status = it.Status
		}
	}
	c.UpdatedAt = s.now()
	if err := s.putCase(tx, c); err != nil {
		return result, nil, err
	}
	if err := putRecord(records, it.IdempotencyKey, digest, c.ID); err != nil {
		return result, nil, err
	}
	return result, n, s.keepConfirmed(unitBucket(tx, unit), it, staff, s.now())
}

// putRecord remembers an accepted item under its idempotency key.
func putRecord(records *bolt.Bucket, key string, digest [sha256.Size]byte, caseID string) error {
	b, err := json.Marshal(outboxRecord{Digest: digest[:], Status: wire.ItemAccepted, CaseID: caseID})
	if err != nil {
		return fmt.Errorf("outbox record: %w", err)
	}
	return records.Put([]byte(key), b)
}

// kindInitiated marks the first message of a case the unit started.
const kindInitiated = string(wire.OutboxCaseInitiated)

// initiateCase creates the case of a case.initiated item in tx, for the
// patient it names, with the unit's first message, and returns the notice
// to send; or a problem when the item cannot apply (the personnummer is
// not a real one).
func (s *Store) initiateCase(tx *bolt.Tx, unit string, it wire.OutboxItem) (*notice, *wire.Problem, error) {
	in, m := it.Case, it.Message
	// The date of birth is judged at the item's time of record (the
	// gateway's clock, when staff started the case), with the clock-skew
	// tolerance: a newborn's case is not refused because this clock is
	// still on the day before.
	ref := s.now()
	if it.At.After(ref) {
		ref = it.At
	}
	pnr, err := personnummer.Parse(in.PatientPNR, ref.Add(wire.ClockSkewTolerance))
	if err != nil {
		return nil, wire.BadRequest("case.patientPnr is not a valid personnummer or samordningsnummer (date or check digit)."), nil
	}
	status := wire.StatusAnswered
	if in.ReplyAllowed {
		status = wire.StatusWaitingForPatient
	}
	now := s.now()
	c := &caseRecord{ID: it.CaseID, Unit: unit, Type: in.Type, Title: in.Subject,
		Patient: wire.Person{PNR: string(pnr), Name: in.PatientName}, Status: status,
		CreatedAt: it.At.UTC(), UpdatedAt: now, FromUnit: true, NoReply: !in.ReplyAllowed,
		Messages: []messageRecord{{ID: m.ID, Kind: kindInitiated, Text: m.Text, Signature: m.Signature,
			AuthorTitle: m.AuthorTitle, At: it.At.UTC()}},
	}
	if err := s.putCase(tx, c); err != nil {
		return nil, nil, err
	}
	if err := tx.Bucket([]byte(bucketPatients)).Put(patientKey(s.pnrKey(c.Patient.PNR), c.ID), []byte(rolePatient)); err != nil {
		return nil, nil, fmt.Errorf("patient index: %w", err)
	}
	return &notice{pnr: c.Patient.PNR, caseID: c.ID}, nil, nil
}

// sendNotices tells the patients (or guardians) that messages wait. It
// runs after the commit: a failure is logged and the message stays.
func (s *Store) sendNotices(ctx context.Context, notices []notice) {
	for _, n := range notices {
		if err := s.notifier.Notify(context.WithoutCancel(ctx), n.pnr, NoticeText); err != nil {
			// The error is not logged: a notifier's text might name the person.
			s.log.Warn("patient notice failed", "caseId", n.caseID)
		}
	}
}
