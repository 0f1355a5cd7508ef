package casestest

import (
	"strings"
	"testing"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// The access log's suite: every read recorded, the extracts by patient
// and by member of staff, and their pages.

func suiteAccessLog(t *testing.T, e *env) {
	c := e.receive()
	need(e.svc.Get(e.ctx, dist, c.ID))(t)
	_, _ = e.svc.Get(e.ctx, clinB, c.ID)
	var recs []audit.Record
	e.oneAudit(audit.Entry{Actor: hsaAuditor, Action: "read-access-log", Patient: string(e.adult), Outcome: audit.Allowed}, func() {
		recs = need(e.svc.AccessLogByPatient(e.ctx, auditor, personnummer.Personnummer(e.adult.String())))(t)
	})
	var got []string
	for _, r := range recs {
		got = append(got, r.Entry.Actor+" "+r.Entry.Action+" "+string(r.Entry.Outcome))
	}
	want := "system receive ok|" + hsaDist + " read ok|" + hsaClinB + " read denied"
	if strings.Join(got, "|") != want {
		t.Errorf("extract %q, want %q", strings.Join(got, "|"), want)
	}
	e.oneAudit(audit.Entry{Actor: hsaAuditor, Action: "read-access-log", Outcome: audit.Allowed}, func() {
		if recs := need(e.svc.AccessLogByActor(e.ctx, auditor, hsaClinB))(t); len(recs) != 1 || recs[0].Entry.CaseID != string(c.ID) {
			t.Errorf("by actor: %+v", recs)
		}
	})
	e.oneAudit(audit.Entry{Actor: hsaDist, Action: "read-access-log", Patient: string(e.adult), Outcome: audit.Denied}, func() {
		_, err := e.svc.AccessLogByPatient(e.ctx, dist, e.adult)
		wantErr(t, err, cases.ErrNotAllowed)
	})
	_, err := e.svc.AccessLogByActor(e.ctx, admin, hsaDist)
	wantErr(t, err, cases.ErrNotAllowed)
	_, err = e.svc.AccessLogByPatient(e.ctx, auditor, "19800517-0000")
	wantErr(t, err, cases.ErrInvalidInput)
	_, err = e.svc.AccessLogByActor(e.ctx, auditor, "x\ny")
	wantErr(t, err, cases.ErrInvalidInput)
}

// suiteAccessLogPages: an extract is read a page at a time, newest first;
// the pages, older and back newer, cover the records each once, and each
// page view is one access-log entry.
func suiteAccessLogPages(t *testing.T, e *env) {
	c := e.receive()
	const n = cases.AccessLogPageSize*2 + 17
	err := e.store.Update(e.ctx, func(tx cases.Tx) error {
		for i := range n {
			err := tx.AppendAudit(audit.Entry{Time: e.clock.Now(), Actor: hsaClinB, Unit: Unit, Action: string(cases.Read),
				CaseID: string(c.ID), Patient: string(e.adult), Outcome: []audit.Outcome{audit.Allowed, audit.Denied}[i%2]})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, by := range []struct {
		name    string
		want    int
		patient string // what the extract's own entry names
		page    func(before uint64) (cases.AccessLogPage, error)
	}{
		{"patient", n + 1, string(e.adult), func(before uint64) (cases.AccessLogPage, error) { // and the case's receipt
			return e.svc.AccessLogPageByPatient(e.ctx, auditor, e.adult, before)
		}},
		{"staff", n, "", func(before uint64) (cases.AccessLogPage, error) {
			return e.svc.AccessLogPageByActor(e.ctx, auditor, hsaClinB, before)
		}},
	} {
		var seen []uint64
		var cursors []uint64
		for before := uint64(0); ; {
			var pg cases.AccessLogPage
			e.oneAudit(audit.Entry{Actor: hsaAuditor, Action: "read-access-log", Patient: by.patient, Outcome: audit.Allowed}, func() {
				pg = need(by.page(before))(t)
			})
			if len(pg.Records) > cases.AccessLogPageSize {
				t.Fatalf("%s: a page of %d records", by.name, len(pg.Records))
			}
			for _, r := range pg.Records {
				if len(seen) > 0 && r.Seq >= seen[len(seen)-1] {
					t.Fatalf("%s: record %d after %d: not newest first", by.name, r.Seq, seen[len(seen)-1])
				}
				seen = append(seen, r.Seq)
			}
			cursors = append(cursors, before)
			if pg.Next == 0 {
				break
			}
			before = pg.Next
		}
		if len(seen) != by.want || len(cursors) != 3 {
			t.Fatalf("%s: %d records in %d pages, want %d in 3", by.name, len(seen), len(cursors), by.want)
		}
		// Back to the newest (whose cursor, 0, now shows the extracts' own
		// entries too).
		for i := len(cursors) - 1; i > 0; i-- {
			pg := need(by.page(cursors[i]))(t)
			if pg.Records[0].Seq != seen[i*cases.AccessLogPageSize] {
				t.Fatalf("%s: page %d read back starts at %d, want %d", by.name, i, pg.Records[0].Seq, seen[i*cases.AccessLogPageSize])
			}
		}
	}
	// The system's and the patients' records are extracts too, whole or
	// paged (the actor is not an HSA-ID for them).
	for _, who := range []string{"system", "patient"} {
		if _, err := e.svc.AccessLogByActor(e.ctx, auditor, who); err != nil {
			t.Errorf("the whole extract of %q: %v", who, err)
		}
		if _, err := e.svc.AccessLogPageByActor(e.ctx, auditor, who, 0); err != nil {
			t.Errorf("a page of the extract of %q: %v", who, err)
		}
	}
	_, err = e.svc.AccessLogPageByPatient(e.ctx, dist, e.adult, 0)
	wantErr(t, err, cases.ErrNotAllowed)
	_, err = e.svc.AccessLogPageByActor(e.ctx, auditor, "x\ny", 0)
	wantErr(t, err, cases.ErrInvalidInput)
}
