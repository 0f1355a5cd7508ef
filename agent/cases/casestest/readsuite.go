package casestest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// The reads' suite: every read the Service offers, what it writes in the
// access log (the same entries, however the read is run), where it reads
// (in a read transaction, never inside the write transaction its entry
// commits in) and that nothing read is returned when its entry does not
// commit.

// readCall is one read of the Service: it returns what it read (nil,
// or an empty slice, when nothing) and its error.
type readCall struct {
	name  string
	actor cases.Actor
	call  func(e *env) (any, error)
	// want is the entries the read appends to the access log, in order,
	// Time and Unit left out (the clock's now and the suite's unit).
	want []audit.Entry
	// err, when not nil, is the error the read returns (matched with
	// errors.Is).
	err error
}

// readFixture is the cases the reads' table reads: c1 and c2 the adult
// patient's (c2 assigned to clinA), q routed to the therapists' queue.
type readFixture struct {
	c1, c2, q *cases.Case
}

func (e *env) readFixture() readFixture {
	var f readFixture
	f.c1 = e.receive()
	e.clock.Advance(time.Second) // ids in time order
	f.c2 = e.receive()
	e.do(dist, f.c2.ID, cases.Command{Action: cases.Assign, Assignee: hsaClinA})
	e.clock.Advance(time.Second)
	sub := e.sub()
	sub.Type = typeOT
	f.q = need(e.svc.Receive(e.ctx, sub))(e.t)
	return f
}

// readCalls is every read of the Service that writes an access-log
// entry, allowed and denied, with the entries it writes.
func (e *env) readCalls(f readFixture) []readCall {
	pnr := string(e.adult)
	entry := func(a cases.Actor, act cases.Action, c *cases.Case, o audit.Outcome) audit.Entry {
		en := audit.Entry{Actor: a.Name(), Action: string(act), Outcome: o}
		if c != nil {
			en.CaseID, en.Patient = string(c.ID), string(c.Patient.PNR)
		}
		return en
	}
	logRead := func(a cases.Actor, patient string, o audit.Outcome) audit.Entry {
		return audit.Entry{Actor: a.Name(), Action: string(cases.ReadAccessLog), Patient: patient, Outcome: o}
	}
	search := func(a cases.Actor, o audit.Outcome) audit.Entry {
		return audit.Entry{Actor: a.Name(), Action: string(cases.Search), Patient: pnr, Outcome: o}
	}
	allowed, denied := audit.Allowed, audit.Denied
	return []readCall{
		{"get by distributor", dist, func(e *env) (any, error) { return e.svc.Get(e.ctx, dist, f.c1.ID) },
			[]audit.Entry{entry(dist, cases.Read, f.c1, allowed)}, nil},
		{"get by assignee", clinA, func(e *env) (any, error) { return e.svc.Get(e.ctx, clinA, f.c2.ID) },
			[]audit.Entry{entry(clinA, cases.Read, f.c2, allowed)}, nil},
		{"get denied", clinB, func(e *env) (any, error) { return e.svc.Get(e.ctx, clinB, f.c2.ID) },
			[]audit.Entry{entry(clinB, cases.Read, f.c2, denied)}, cases.ErrNotAllowed},
		{"get unknown", dist, func(e *env) (any, error) { return e.svc.Get(e.ctx, dist, "01JXXXXXXXXXXXXXXXXXXXXXXX") },
			nil, cases.ErrNotFound},
		{"authorize denied", clinB, func(e *env) (any, error) { return nil, e.svc.Authorize(e.ctx, clinB, f.c1.ID) },
			[]audit.Entry{entry(clinB, cases.Read, f.c1, denied)}, cases.ErrNotAllowed},
		{"list by distributor", dist, func(e *env) (any, error) { return e.svc.List(e.ctx, dist, cases.Filter{}) },
			[]audit.Entry{entry(dist, cases.List, nil, allowed)}, nil},
		{"list own", clinA, func(e *env) (any, error) { return e.svc.List(e.ctx, clinA, cases.Filter{}) },
			[]audit.Entry{entry(clinA, cases.List, nil, allowed)}, nil},
		{"list another's (none)", clinA, func(e *env) (any, error) {
			return e.svc.List(e.ctx, clinA, cases.Filter{Assignee: hsaClinB})
		}, []audit.Entry{entry(clinA, cases.List, nil, allowed)}, nil},
		{"list due first", dist, func(e *env) (any, error) {
			return e.svc.List(e.ctx, dist, cases.Filter{Status: cases.InboxStatuses, DueFirst: true})
		}, []audit.Entry{entry(dist, cases.List, nil, allowed)}, nil},
		{"list overdue (none)", dist, func(e *env) (any, error) { return e.svc.List(e.ctx, dist, cases.Filter{Overdue: true}) },
			[]audit.Entry{entry(dist, cases.List, nil, allowed)}, nil},
		{"list denied", admin, func(e *env) (any, error) { return e.svc.List(e.ctx, admin, cases.Filter{}) },
			[]audit.Entry{entry(admin, cases.List, nil, denied)}, cases.ErrNotAllowed},
		{"queue", ot, func(e *env) (any, error) { return e.svc.Queue(e.ctx, ot, groupOT, "", 0) },
			[]audit.Entry{entry(ot, cases.List, nil, allowed)}, nil},
		{"queue denied", clinB, func(e *env) (any, error) { return e.svc.Queue(e.ctx, clinB, groupOT, "", 0) },
			[]audit.Entry{entry(clinB, cases.List, nil, denied)}, cases.ErrNotAllowed},
		{"search by distributor", dist, func(e *env) (any, error) { return e.svc.SearchPatient(e.ctx, dist, e.adult) },
			[]audit.Entry{search(dist, allowed), entry(dist, cases.SearchHit, f.q, allowed),
				entry(dist, cases.SearchHit, f.c2, allowed), entry(dist, cases.SearchHit, f.c1, allowed)}, nil},
		{"search by clinician", clinA, func(e *env) (any, error) { return e.svc.SearchPatient(e.ctx, clinA, e.adult) },
			[]audit.Entry{search(clinA, allowed), entry(clinA, cases.SearchHit, f.c2, allowed)}, nil},
		{"search denied", auditor, func(e *env) (any, error) { return e.svc.SearchPatient(e.ctx, auditor, e.adult) },
			[]audit.Entry{search(auditor, denied)}, cases.ErrNotAllowed},
		{"access log by patient", auditor, func(e *env) (any, error) {
			return e.svc.AccessLogByPatient(e.ctx, auditor, e.adult)
		}, []audit.Entry{logRead(auditor, pnr, allowed)}, nil},
		{"access log by patient denied", dist, func(e *env) (any, error) {
			return e.svc.AccessLogByPatient(e.ctx, dist, e.adult)
		}, []audit.Entry{logRead(dist, pnr, denied)}, cases.ErrNotAllowed},
		{"access log by actor", auditor, func(e *env) (any, error) {
			return e.svc.AccessLogByActor(e.ctx, auditor, hsaDist)
		}, []audit.Entry{logRead(auditor, "", allowed)}, nil},
		{"access log by actor denied", dist, func(e *env) (any, error) {
			return e.svc.AccessLogByActor(e.ctx, dist, hsaDist)
		}, []audit.Entry{logRead(dist, "", denied)}, cases.ErrNotAllowed},
		{"access-log page by patient", auditor, func(e *env) (any, error) {
			pg, err := e.svc.AccessLogPageByPatient(e.ctx, auditor, e.adult, 0)
			return pg.Records, err
		}, []audit.Entry{logRead(auditor, pnr, allowed)}, nil},
		{"access-log page by patient denied", clinA, func(e *env) (any, error) {
			pg, err := e.svc.AccessLogPageByPatient(e.ctx, clinA, e.adult, 0)
			return pg.Records, err
		}, []audit.Entry{logRead(clinA, pnr, denied)}, cases.ErrNotAllowed},
		{"access-log page by actor", auditor, func(e *env) (any, error) {
			pg, err := e.svc.AccessLogPageByActor(e.ctx, auditor, hsaClinA, 0)
			return pg.Records, err
		}, []audit.Entry{logRead(auditor, "", allowed)}, nil},
		{"access-log page by actor denied", admin, func(e *env) (any, error) {
			pg, err := e.svc.AccessLogPageByActor(e.ctx, admin, hsaClinA, 0)
			return pg.Records, err
		}, []audit.Entry{logRead(admin, "", denied)}, cases.ErrNotAllowed},
	}
}

// suiteReadsLogged: each read writes exactly the access-log entries it
// wrote when the reads ran inside their entries' write transaction
// (issue 18): who, which action, which case and patient, which outcome.
func suiteReadsLogged(t *testing.T, e *env) {
	f := e.readFixture()
	for _, rc := range e.readCalls(f) {
		t.Run(rc.name, func(t *testing.T) {
			before := len(e.records(rc.actor.Name()))
			got, err := rc.call(e)
			switch {
			case rc.err != nil && !errors.Is(err, rc.err):
				t.Fatalf("error %v, want %v", err, rc.err)
			case rc.err == nil && err != nil:
				t.Fatal(err)
			case rc.err == nil && isEmpty(got) && !strings.HasSuffix(rc.name, "(none)"):
				t.Fatalf("an allowed read returned nothing")
			}
			recs := e.records(rc.actor.Name())[before:]
			if len(recs) != len(rc.want) {
				t.Fatalf("%d access-log entries, want %d: %+v", len(recs), len(rc.want), recs)
			}
			for i, r := range recs {
				want := rc.want[i]
				want.Time, want.Unit = e.clock.Now(), Unit
				got := r.Entry
				if !got.Time.Equal(want.Time) {
					t.Errorf("entry %d: time %v, want %v", i, got.Time, want.Time)
				}
				got.Time = want.Time
				if got != want {
					t.Errorf("entry %d\n %+v, want\n %+v", i, got, want)
				}
			}
		})
	}
}

// suiteReadsOutsideWrites: a read decodes its cases and access-log
// records in a read transaction; the write transaction that commits its
// access-log entry (shared with other callers and with the sync's
// commits, one writer at a time) holds the entry alone.
func suiteReadsOutsideWrites(t *testing.T, e *env) {
	f := e.readFixture()
	for _, rc := range e.readCalls(f) {
		t.Run(rc.name, func(t *testing.T) {
			before := e.store.readInWrite.Load()
			_, _ = rc.call(e)
			if n := e.store.readInWrite.Load() - before; n != 0 {
				t.Errorf("%d cases or access-log records read inside a write transaction, want 0", n)
			}
		})
	}
}

// errCommit is the commit that fails in suiteReadNotShownUnlogged.
var errCommit = errors.New("the access-log entry's commit failed")

// suiteReadNotShownUnlogged: when the transaction of a read's access-log
// entry does not commit, the read returns its error and nothing of what
// it read, and the log holds no entry of it (nothing read is shown before
// its entry is on disk).
func suiteReadNotShownUnlogged(t *testing.T, e *env) {
	f := e.readFixture()
	for _, rc := range e.readCalls(f) {
		if rc.want == nil {
			continue // logs nothing, so has nothing to wait for
		}
		t.Run(rc.name, func(t *testing.T) {
			before := len(e.records(rc.actor.Name()))
			e.store.failWrites.Store(&errCommit)
			got, err := rc.call(e)
			e.store.failWrites.Store(nil)
			if !errors.Is(err, errCommit) {
				t.Errorf("error %v, want the commit's (%v)", err, errCommit)
			}
			if !isEmpty(got) {
				t.Errorf("returned %v though its access-log entry did not commit", got)
			}
			if n := len(e.records(rc.actor.Name())) - before; n != 0 {
				t.Errorf("%d access-log entries of a read whose commit failed", n)
			}
		})
	}
}

// isEmpty says a read returned nothing: nil, or an empty slice.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case *cases.Case:
		return v == nil
	case []*cases.Case:
		return len(v) == 0
	case []audit.Record:
		return len(v) == 0
	}
	panic(fmt.Sprintf("isEmpty: %T", v))
}
