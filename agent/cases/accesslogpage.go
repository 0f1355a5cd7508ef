package cases

import (
	"context"
	"fmt"

	"clinicgw/agent/audit"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
)

// AccessLogPageSize is how many records a page of an access-log extract
// holds.
const AccessLogPageSize = 200

// AccessLogPage is one page of an access-log extract, newest first.
type AccessLogPage struct {
	Records []audit.Record
	// Next is the cursor of the next, older page (the sequence number of
	// this page's last record); 0 when this page is the last.
	Next uint64
}

// AccessLogPageByPatient returns a page of the access-log records about
// one patient for an auditor: those before the cursor before (0: from the
// newest), newest first, at most AccessLogPageSize. It reads only the
// page, whatever the log holds. The call is itself recorded, with the
// patient, allowed or denied.
func (s *Service) AccessLogPageByPatient(ctx context.Context, actor Actor, pnr personnummer.Personnummer, before uint64) (AccessLogPage, error) {
	if err := s.checkActor(actor, ReadAccessLog); err != nil {
		return AccessLogPage{}, fmt.Errorf("access log by patient: %w", err)
	}
	p := Person{PNR: pnr, Name: "-"}
	if err := checkPerson("patient", &p, s.clock.Now()); err != nil {
		return AccessLogPage{}, fmt.Errorf("access log by patient: %w", err)
	}
	pg, err := s.accessLogPage(ctx, actor, p.PNR, func(tx ReadTx, fn func(audit.Record) bool) error {
		return tx.AuditByPatientDesc(p.PNR, before, fn)
	})
	if err != nil {
		return AccessLogPage{}, fmt.Errorf("access log by patient: %w", err)
	}
	return pg, nil
}

// AccessLogPageByActor returns a page of the access-log records of one
// actor (an HSA-ID, "patient" or "system") for an auditor, as
// AccessLogPageByPatient does. The call is itself recorded, allowed or
// denied.
func (s *Service) AccessLogPageByActor(ctx context.Context, actor Actor, hsaID string, before uint64) (AccessLogPage, error) {
	if err := s.checkActor(actor, ReadAccessLog); err != nil {
		return AccessLogPage{}, fmt.Errorf("access log by actor: %w", err)
	}
	if !hsaid.Valid(hsaID) && hsaID != string(Patient) && hsaID != string(System) {
		return AccessLogPage{}, fmt.Errorf("access log by actor: %w", invalid("actor", "not an HSA-ID", "Ogiltigt HSA-id."))
	}
	pg, err := s.accessLogPage(ctx, actor, "", func(tx ReadTx, fn func(audit.Record) bool) error {
		return tx.AuditByActorDesc(hsaID, before, fn)
	})
	if err != nil {
		return AccessLogPage{}, fmt.Errorf("access log by actor: %w", err)
	}
	return pg, nil
}

// accessLogPage reads one more record than a page holds, to know whether
// another page follows, and records the read (accessLog).
func (s *Service) accessLogPage(ctx context.Context, actor Actor, patient personnummer.Personnummer,
	read func(ReadTx, func(audit.Record) bool) error) (AccessLogPage, error) {
	recs, err := s.accessLog(ctx, actor, patient, func(tx ReadTx, fn func(audit.Record) bool) error {
		n := 0
		return read(tx, func(r audit.Record) bool {
			fn(r)
			n++
			return n <= AccessLogPageSize
		})
	})
	if err != nil {
		return AccessLogPage{}, err
	}
	var pg AccessLogPage
	if len(recs) > AccessLogPageSize {
		recs = recs[:AccessLogPageSize]
		pg.Next = recs[len(recs)-1].Seq
	}
	pg.Records = recs
	return pg, nil
}
