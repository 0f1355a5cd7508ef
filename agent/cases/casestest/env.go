package casestest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The parties of the suite: a distributor, the clinician who gets the
// cases (clinA), another clinician, a unit administrator, an auditor and
// the patient.
const (
	hsaDist    = "SE2321000016-D001"
	hsaClinA   = "SE2321000016-C001"
	hsaClinB   = "SE2321000016-C002"
	hsaAdmin   = "SE2321000016-U001"
	hsaAuditor = "SE2321000016-G001"
)

var (
	dist    = cases.Actor{Kind: cases.Staff, HSAID: hsaDist, Roles: []cases.Role{cases.Distributor}}
	clinA   = cases.Actor{Kind: cases.Staff, HSAID: hsaClinA, Roles: []cases.Role{cases.Clinician}}
	clinB   = cases.Actor{Kind: cases.Staff, HSAID: hsaClinB, Roles: []cases.Role{cases.Clinician}}
	admin   = cases.Actor{Kind: cases.Staff, HSAID: hsaAdmin, Roles: []cases.Role{cases.UnitAdmin}}
	auditor = cases.Actor{Kind: cases.Staff, HSAID: hsaAuditor, Roles: []cases.Role{cases.Auditor}}
	patient = cases.Actor{Kind: cases.Patient}
)

// The scaffolding of RunServiceSuite. None of it depends on a particular
// store: the suite reaches its store only through the cases.Store interface.

// countingStore counts the transactions that write, and the cases read
// (decoded) through any transaction.
type countingStore struct {
	cases.Store
	mu      sync.Mutex
	updates int
	decoded atomic.Int64
	// readInWrite counts the cases and access-log records read inside a
	// write transaction (readsuite.go).
	readInWrite atomic.Int64
	// failWrites, when set, makes every write transaction fail at its
	// commit with that error, having run its fn (readsuite.go).
	failWrites atomic.Pointer[error]
}

// failing wraps fn so that its transaction fails at the commit when
// failWrites is set.
func (s *countingStore) failing(fn func(cases.Tx) error) func(cases.Tx) error {
	fail := s.failWrites.Load()
	if fail == nil {
		return fn
	}
	return func(tx cases.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return *fail
	}
}

func (s *countingStore) Update(ctx context.Context, fn func(cases.Tx) error) error {
	s.mu.Lock()
	s.updates++
	s.mu.Unlock()
	return s.Store.Update(ctx, s.failing(func(tx cases.Tx) error { return fn(countingTx{tx, &s.decoded, &s.readInWrite}) }))
}

func (s *countingStore) Shared(ctx context.Context, fn func(cases.Tx) error) error {
	s.mu.Lock()
	s.updates++
	s.mu.Unlock()
	return s.Store.Shared(ctx, s.failing(func(tx cases.Tx) error { return fn(countingTx{tx, &s.decoded, &s.readInWrite}) }))
}

func (s *countingStore) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	return s.Store.View(ctx, func(tx cases.ReadTx) error { return fn(countingReadTx{tx, &s.decoded}) })
}

// countingTx and countingReadTx count the cases a transaction decodes;
// countingTx the cases and access-log records it reads in w too.
type countingTx struct {
	cases.Tx
	n, w *atomic.Int64
}

func (t countingTx) Case(id cases.ID) (*cases.Case, error) {
	t.n.Add(1)
	t.w.Add(1)
	return t.Tx.Case(id)
}

func (t countingTx) Cases(fn func(*cases.Case) bool) error {
	return t.Tx.Cases(func(c *cases.Case) bool { t.n.Add(1); t.w.Add(1); return fn(c) })
}

// count counts the access-log records fn is called with in w.
func (t countingTx) count(fn func(audit.Record) bool) func(audit.Record) bool {
	return func(r audit.Record) bool { t.w.Add(1); return fn(r) }
}

func (t countingTx) AuditByPatient(pnr personnummer.Personnummer, fn func(audit.Record) bool) error {
	return t.Tx.AuditByPatient(pnr, t.count(fn))
}

func (t countingTx) AuditByActor(actor string, fn func(audit.Record) bool) error {
	return t.Tx.AuditByActor(actor, t.count(fn))
}

func (t countingTx) AuditByPatientDesc(pnr personnummer.Personnummer, before uint64, fn func(audit.Record) bool) error {
	return t.Tx.AuditByPatientDesc(pnr, before, t.count(fn))
}

func (t countingTx) AuditByActorDesc(actor string, before uint64, fn func(audit.Record) bool) error {
	return t.Tx.AuditByActorDesc(actor, before, t.count(fn))
}

type countingReadTx struct {
	cases.ReadTx
	n *atomic.Int64
}

func (t countingReadTx) Case(id cases.ID) (*cases.Case, error) { t.n.Add(1); return t.ReadTx.Case(id) }
func (t countingReadTx) Cases(fn func(*cases.Case) bool) error {
	return t.ReadTx.Cases(func(c *cases.Case) bool { t.n.Add(1); return fn(c) })
}

// CountFresh passes the store's index of new cases on, when it keeps one.
func (t countingReadTx) CountFresh() (int, bool, error) {
	if fc, ok := t.ReadTx.(cases.FreshCounter); ok {
		return fc.CountFresh()
	}
	return 0, false, nil
}

func (t countingTx) CountFresh() (int, bool, error) {
	if fc, ok := t.Tx.(cases.FreshCounter); ok {
		return fc.CountFresh()
	}
	return 0, false, nil
}

// CountQueues passes the store's queue index on, when it keeps one.
func (t countingReadTx) CountQueues() (map[string]int, bool, error) {
	if qc, ok := t.ReadTx.(cases.QueueCounter); ok {
		return qc.CountQueues()
	}
	return nil, false, nil
}

func (t countingTx) CountQueues() (map[string]int, bool, error) {
	if qc, ok := t.Tx.(cases.QueueCounter); ok {
		return qc.CountQueues()
	}
	return nil, false, nil
}

func (s *countingStore) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.updates }

// AddStats passes the statistics' aggregates on, when the store keeps
// them (cases.StatsStore), so that the suite's statistics come from them.
func (s *countingStore) AddStats(ctx context.Context, unit string, b *cases.StatsBuilder) (bool, error) {
	if agg, ok := s.Store.(cases.StatsStore); ok {
		return agg.AddStats(ctx, unit, b)
	}
	return false, nil
}

// LogReads passes a read's access-log entries on to a store that commits
// them by themselves (cases.ReadLogger), else commits them with Shared;
// failWrites fails it as it fails a commit.
func (s *countingStore) LogReads(ctx context.Context, entries []audit.Entry) error {
	rl, ok := s.Store.(cases.ReadLogger)
	if !ok {
		return s.Shared(ctx, func(tx cases.Tx) error {
			for _, e := range entries {
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	s.mu.Lock()
	s.updates++
	s.mu.Unlock()
	if fail := s.failWrites.Load(); fail != nil {
		return *fail
	}
	return rl.LogReads(ctx, entries)
}

// InboxBuckets passes the inbox's aggregates on, when the store keeps
// them (cases.InboxStore), so that the suite's inbox counts come from
// them; false when it keeps none.
func (s *countingStore) InboxBuckets(ctx context.Context, fn func(cases.InboxBucket, int)) (bool, error) {
	if agg, ok := s.Store.(cases.InboxStore); ok {
		return agg.InboxBuckets(ctx, fn)
	}
	return false, nil
}

// statsRecounter is a store that can compare its statistics' aggregates
// with a full recount (agent/store).
type statsRecounter interface {
	RecountStats(ctx context.Context) ([]string, error)
}

// env is one test's service on a fresh store. It uses the store only
// through the cases.Store interface, so the suite runs on any implementation.
type env struct {
	t                      *testing.T
	ctx                    context.Context
	svc                    *cases.Service
	store                  *countingStore
	clock                  *clocktest.Fake
	logs                   *logtest.Buffer
	adult, child, guardian personnummer.Personnummer
	seed                   byte
	outbound               atomic.Int32 // OnOutbound calls
	changedMu              sync.Mutex
	changed                []cases.Change // OnChange calls
	signals                []cases.Signal // OnSignal calls, under changedMu
	groups                 *groupSet      // the service's GroupSource (groupsuite.go)
}

func newEnv(t *testing.T, newStore func(*testing.T) cases.Store) *env {
	logs := new(logtest.Buffer)
	e := &env{logs: logs,
		t: t, ctx: t.Context(), store: &countingStore{Store: newStore(t)},
		clock:    clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Stockholm())), // a Monday
		adult:    personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980),
		child:    personnummer.Synthetic(time.Date(2019, 1, 15, 0, 0, 0, 0, time.UTC), 981),
		guardian: personnummer.Synthetic(time.Date(1985, 9, 30, 0, 0, 0, 0, time.UTC), 982),
		groups:   newGroupSet(),
	}
	svc, err := cases.NewService(cases.ServiceConfig{
		Unit: Unit, Store: e.store, Clock: e.clock, Rand: rand.NewChaCha8([32]byte{1}),
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnOutbound: func() { e.outbound.Add(1) },
		OnChange: func(ch cases.Change) {
			e.changedMu.Lock()
			e.changed = append(e.changed, cases.Change{IDs: slices.Clone(ch.IDs), Assignees: slices.Clone(ch.Assignees), Groups: slices.Clone(ch.Groups)})
			e.changedMu.Unlock()
		},
		Groups:   e.groups,
		RouteFor: func(typ casetype.Type) string { return suiteRoutes[typ] },
		OnSignal: func(sg cases.Signal) {
			e.changedMu.Lock()
			e.signals = append(e.signals, sg)
			e.changedMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	t.Cleanup(func() {
		// Whatever the test did to its cases, the store's statistics'
		// aggregates still equal a count of them.
		if rc, ok := e.store.Store.(statsRecounter); ok {
			diffs, err := rc.RecountStats(context.Background())
			if err != nil || len(diffs) > 0 {
				t.Errorf("the statistics' aggregates differ from a recount (%v):\n%s", err, strings.Join(diffs, "\n"))
			}
		}
		out := logs.String()
		for _, canary := range []string{string(e.adult), e.adult.String(), string(e.child), canaryName, canaryText} {
			if strings.Contains(out, canary) {
				t.Errorf("technical log carries patient data %q:\n%s", canary, out)
			}
		}
	})
	return e
}

// need(v, err)(t) returns v, failing t on err.
func need[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func (e *env) sub() cases.Submission {
	return cases.Submission{
		Type: casetype.AdviceNurse, Patient: cases.Person{PNR: e.adult, Name: canaryName}, Text: canaryText,
		Fields:      []cases.Field{{Name: "symptom", Label: "Besvär", Value: canaryText}},
		SubmittedAt: e.clock.Now().Add(-time.Minute),
	}
}

func (e *env) receive() *cases.Case {
	e.t.Helper()
	return need(e.svc.Receive(e.ctx, e.sub()))(e.t)
}

func (e *env) do(a cases.Actor, id cases.ID, cmd cases.Command) *cases.Case {
	e.t.Helper()
	return need(e.svc.Do(e.ctx, a, id, cmd))(e.t)
}

// records returns the access-log records of the actor named name.
func (e *env) records(name string) []audit.Record {
	e.t.Helper()
	var rs []audit.Record
	err := e.store.View(e.ctx, func(tx cases.ReadTx) error {
		return tx.AuditByActor(name, func(r audit.Record) bool { rs = append(rs, r); return true })
	})
	return need(rs, err)(e.t)
}

func (e *env) patientRecords(pnr personnummer.Personnummer) int {
	e.t.Helper()
	n := 0
	err := e.store.View(e.ctx, func(tx cases.ReadTx) error {
		return tx.AuditByPatient(pnr, func(audit.Record) bool { n++; return true })
	})
	return need(n, err)(e.t)
}

// anyCase as want.CaseID in oneAudit matches any non-empty case id.
const anyCase = "<any>"

// oneAudit runs fn and checks that it wrote exactly one access-log record
// equal to want, with Time the clock's now and Unit the suite's Unit.
func (e *env) oneAudit(want audit.Entry, fn func()) {
	e.t.Helper()
	before, beforeP := len(e.records(want.Actor)), e.patientRecords(e.adult)
	fn()
	rs := e.records(want.Actor)
	if len(rs) != before+1 {
		e.t.Fatalf("%d access-log records for %s, want %d", len(rs), want.Actor, before+1)
	}
	wantP := beforeP
	if want.Patient == string(e.adult) {
		wantP++
	}
	if got := e.patientRecords(e.adult); got != wantP {
		e.t.Errorf("%d access-log records about the patient, want %d", got, wantP)
	}
	got := rs[len(rs)-1].Entry
	want.Time, want.Unit = e.clock.Now(), Unit
	if !got.Time.Equal(want.Time) {
		e.t.Errorf("entry time %v, want %v", got.Time, want.Time)
	}
	got.Time = want.Time
	if want.CaseID == anyCase && got.CaseID != "" {
		want.CaseID = got.CaseID
	}
	if got != want {
		e.t.Errorf("entry\n %+v, want\n %+v", got, want)
	}
}

func caseEntry(actor cases.Actor, a cases.Action, c *cases.Case, o audit.Outcome) audit.Entry {
	return audit.Entry{Actor: actor.Name(), Action: string(a), CaseID: string(c.ID), Patient: string(c.Patient.PNR), Outcome: o}
}

func sameJSON(t *testing.T, got, want *cases.Case) {
	t.Helper()
	g, w := mustJSON(t, got), mustJSON(t, want)
	if !bytes.Equal(g, w) {
		t.Errorf("case\n%s\nwant\n%s", g, w)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func mustJSON(t *testing.T, c *cases.Case) []byte {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rnd is a deterministic random source for ids made by the suite itself.
func rnd(e *env) *rand.ChaCha8 {
	e.seed++
	return rand.NewChaCha8([32]byte{2, e.seed})
}
