package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/cases/casestest"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// memStore is an in-memory cases.Store for tests. Cases are kept JSON-encoded, as
// the real store keeps them sealed, so nothing a caller holds aliases the
// stored state. Update works on a copy and installs it only when fn
// returns nil; transactions are serialised by one mutex. The access log is
// chained with audit.Next, so an entry the real store would refuse is
// refused here too.
type memStore struct {
	unit string

	mu    sync.Mutex
	cases map[cases.ID][]byte
	log   []audit.Record
	head  audit.Head

	cursor uint64
	outbox []cases.Outbound
	quar   []cases.Quarantined
	qseq   uint64
	cont   memCont
	cw     map[string]cases.ClientWrite
}

func newMemStore(unit string) *memStore {
	return &memStore{unit: unit, cases: map[cases.ID][]byte{}, head: audit.Head{Hash: audit.Genesis(unit)}}
}

// Update implements cases.Store.
func (s *memStore) Update(ctx context.Context, fn func(cases.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &memTx{cases: maps.Clone(s.cases), log: slices.Clip(s.log), head: s.head, writable: true,
		cursor: s.cursor, outbox: slices.Clip(s.outbox), quar: slices.Clip(s.quar), qseq: s.qseq, cont: s.cont.clone(), cw: maps.Clone(s.cw)}
	if err := fn(tx); err != nil {
		return err
	}
	s.cases, s.log, s.head, s.cursor, s.outbox, s.quar, s.qseq = tx.cases, tx.log, tx.head, tx.cursor, tx.outbox, tx.quar, tx.qseq
	s.cont, s.cw = tx.cont, tx.cw
	return nil
}

// Shared implements cases.Store: one caller at a time, as Update.
func (s *memStore) Shared(ctx context.Context, fn func(cases.Tx) error) error {
	return s.Update(ctx, fn)
}

// View implements cases.Store.
func (s *memStore) View(ctx context.Context, fn func(cases.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(&memTx{cases: s.cases, log: s.log, head: s.head, cursor: s.cursor, outbox: s.outbox, quar: s.quar, cont: s.cont, cw: s.cw})
}

type memTx struct {
	cases    map[cases.ID][]byte
	log      []audit.Record
	head     audit.Head
	writable bool
	cursor   uint64
	outbox   []cases.Outbound
	cont     memCont
	quar     []cases.Quarantined // JSON round-tripped on the way in, as the real store seals them
	qseq     uint64
	cw       map[string]cases.ClientWrite
}

func (tx *memTx) ClientWrite(key string) (cases.ClientWrite, bool, error) {
	w, ok := tx.cw[key]
	return w, ok, nil
}

func (tx *memTx) PruneClientWrites(before time.Time, max int) (int, error) {
	n := 0
	for k, w := range tx.cw {
		if n < max && w.At.Before(before) {
			delete(tx.cw, k)
			n++
		}
	}
	return n, nil
}

func (tx *memTx) PutClientWrite(w cases.ClientWrite) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	if _, ok := tx.cw[w.Key]; ok {
		return cases.ErrExists
	}
	if tx.cw == nil {
		tx.cw = map[string]cases.ClientWrite{}
	}
	tx.cw[w.Key] = w
	return nil
}

func (tx *memTx) Quarantined(fn func(cases.Quarantined) bool) error {
	for _, q := range tx.quar {
		if !fn(q) {
			return nil
		}
	}
	return nil
}

func (tx *memTx) Quarantine(q cases.Quarantined) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	if slices.ContainsFunc(tx.quar, func(x cases.Quarantined) bool { return x.Event.EventID == q.Event.EventID }) {
		return nil
	}
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	var c cases.Quarantined
	if err := json.Unmarshal(b, &c); err != nil {
		return err
	}
	tx.qseq++
	c.Seq = tx.qseq
	tx.quar = append(tx.quar, c)
	return nil
}

func (tx *memTx) Unquarantine(seq uint64) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	tx.quar = slices.DeleteFunc(slices.Clone(tx.quar), func(x cases.Quarantined) bool { return x.Seq == seq })
	return nil
}

func (tx *memTx) SyncCursor() (uint64, error) { return tx.cursor, nil }

func (tx *memTx) SetSyncCursor(seq uint64) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	tx.cursor = seq
	return nil
}

func (tx *memTx) Outbox(fn func(cases.Outbound) bool) error {
	for _, o := range tx.outbox {
		if !fn(o) {
			break
		}
	}
	return nil
}

func (tx *memTx) Enqueue(o cases.Outbound) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	if slices.ContainsFunc(tx.outbox, func(q cases.Outbound) bool { return q.Key == o.Key }) {
		return fmt.Errorf("outbox key %s already queued", o.Key)
	}
	tx.outbox = append(tx.outbox, o)
	return nil
}

func (tx *memTx) Requeue(o cases.Outbound) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	i := slices.IndexFunc(tx.outbox, func(q cases.Outbound) bool { return q.Key == o.Key })
	if i < 0 {
		return fmt.Errorf("outbox key %s not queued", o.Key)
	}
	tx.outbox = slices.Clone(tx.outbox)
	tx.outbox[i] = o
	return nil
}

func (tx *memTx) Dequeue(key string) error {
	if !tx.writable {
		return errors.New("read-only transaction")
	}
	tx.outbox = slices.DeleteFunc(slices.Clone(tx.outbox), func(q cases.Outbound) bool { return q.Key == key })
	return nil
}

func (tx *memTx) Case(id cases.ID) (*cases.Case, error) {
	b, ok := tx.cases[id]
	if !ok {
		return nil, fmt.Errorf("case %s: %w", id, cases.ErrNotFound)
	}
	c := new(cases.Case)
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("decode case %s: %w", id, err)
	}
	return c, nil
}

// each calls fn for every case in id order until fn returns false.
func (tx *memTx) each(fn func(*cases.Case) bool) error {
	for _, id := range slices.Sorted(maps.Keys(tx.cases)) {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if !fn(c) {
			return nil
		}
	}
	return nil
}

func (tx *memTx) Lookup(idx cases.Index, value string, fn func(cases.ID) bool) error {
	key := map[cases.Index]func(*cases.Case) string{
		cases.ByStatus:   func(c *cases.Case) string { return string(c.Status) },
		cases.ByAssignee: func(c *cases.Case) string { return c.Assignee },
		cases.ByType:     func(c *cases.Case) string { return string(c.Type) },
		cases.ByPatient:  func(c *cases.Case) string { return string(c.Patient.PNR) },
	}[idx]
	if key == nil {
		return fmt.Errorf("no index %q", idx)
	}
	if value == "" {
		return nil // the real store keeps no entries for empty values
	}
	return tx.each(func(c *cases.Case) bool { return key(c) != value || fn(c.ID) })
}

func (tx *memTx) LookupAny(idx cases.Index, values []string, fn func(cases.ID) bool) error {
	var ids []cases.ID
	for _, v := range values {
		if err := tx.Lookup(idx, v, func(id cases.ID) bool { ids = append(ids, id); return true }); err != nil {
			return err
		}
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		if !fn(id) {
			return nil
		}
	}
	return nil
}

func (tx *memTx) DueBefore(t time.Time, fn func(cases.ID, time.Time) bool) error {
	var due []*cases.Case
	if err := tx.each(func(c *cases.Case) bool {
		if c.Status.Open() && c.DueAt.Before(t) {
			due = append(due, c)
		}
		return true
	}); err != nil {
		return err
	}
	slices.SortStableFunc(due, func(a, b *cases.Case) int { return a.DueAt.Compare(b.DueAt) })
	for _, c := range due {
		if !fn(c.ID, c.DueAt) {
			break
		}
	}
	return nil
}

// Scan walks every case and keeps those whose idx value is one of values:
// the naive reference the real store's merged cursors must agree with.
func (tx *memTx) Scan(idx cases.Index, values []string, w cases.Walk, fn func(cases.ID) bool) error {
	key := map[cases.Index]func(*cases.Case) string{
		cases.ByStatus:   func(c *cases.Case) string { return string(c.Status) },
		cases.ByAssignee: func(c *cases.Case) string { return c.Assignee },
		cases.ByType:     func(c *cases.Case) string { return string(c.Type) },
		cases.ByStatusAssignee: func(c *cases.Case) string {
			return cases.IndexKey(string(c.Status), c.Assignee)
		},
		cases.ByStatusType: func(c *cases.Case) string { return cases.IndexKey(string(c.Status), string(c.Type)) },
		cases.ByStatusTypeAssignee: func(c *cases.Case) string {
			return cases.IndexKey(string(c.Status), string(c.Type), c.Assignee)
		},
		cases.ByQueue: func(c *cases.Case) string {
			if c.Status != cases.Received || c.Assignee != "" {
				return ""
			}
			return c.Group
		},
	}[idx]
	if key == nil {
		return fmt.Errorf("no index %q to scan", idx)
	}
	needsAssignee := idx == cases.ByAssignee || idx == cases.ByStatusAssignee || idx == cases.ByStatusTypeAssignee
	var ids []cases.ID
	if err := tx.each(func(c *cases.Case) bool {
		if slices.Contains(values, key(c)) && (c.Assignee != "" || !needsAssignee) {
			ids = append(ids, c.ID)
		}
		return true
	}); err != nil {
		return err
	}
	if w.Desc {
		slices.Reverse(ids)
	}
	for _, id := range ids {
		if w.After != "" && (!w.Desc && id <= w.After || w.Desc && id >= w.After) {
			continue
		}
		if !fn(id) {
			return nil
		}
	}
	return nil
}

// DueScan walks every case and keeps the open ones due before limit whose
// idx value is value: the naive reference for the store's due indexes.
func (tx *memTx) DueScan(idx cases.Index, value string, limit time.Time, from cases.DuePos, desc bool, fn func(cases.ID, time.Time) bool) error {
	key := map[cases.Index]func(*cases.Case) string{
		cases.ByDue:         func(*cases.Case) string { return "" },
		cases.ByTypeDue:     func(c *cases.Case) string { return string(c.Type) },
		cases.ByAssigneeDue: func(c *cases.Case) string { return c.Assignee },
		cases.ByTypeAssigneeDue: func(c *cases.Case) string {
			return cases.IndexKey(string(c.Type), c.Assignee)
		},
	}[idx]
	if key == nil {
		return fmt.Errorf("no due index %q to scan", idx)
	}
	needsAssignee := idx == cases.ByAssigneeDue || idx == cases.ByTypeAssigneeDue
	var due []*cases.Case
	if err := tx.each(func(c *cases.Case) bool {
		if c.Status.Open() && !c.DueAt.IsZero() && c.DueAt.Before(limit) && key(c) == value && (c.Assignee != "" || !needsAssignee) {
			due = append(due, c)
		}
		return true
	}); err != nil {
		return err
	}
	cmp := func(d time.Time, id cases.ID, p cases.DuePos) int {
		if c := d.Compare(p.Due); c != 0 {
			return c
		}
		return strings.Compare(string(id), string(p.ID))
	}
	slices.SortFunc(due, func(a, b *cases.Case) int { return cmp(a.DueAt, a.ID, cases.DuePos{Due: b.DueAt, ID: b.ID}) })
	if desc {
		slices.Reverse(due)
	}
	for _, c := range due {
		if from.ID != "" && (!desc && cmp(c.DueAt, c.ID, from) <= 0 || desc && cmp(c.DueAt, c.ID, from) >= 0) {
			continue
		}
		if !fn(c.ID, c.DueAt) {
			break
		}
	}
	return nil
}

func (tx *memTx) Cases(fn func(*cases.Case) bool) error { return tx.each(fn) }

func (tx *memTx) audit(match func(audit.Entry) bool, fn func(audit.Record) bool) error {
	for _, r := range tx.log {
		if match(r.Entry) && !fn(r) {
			break
		}
	}
	return nil
}

func (tx *memTx) AuditByPatient(pnr personnummer.Personnummer, fn func(audit.Record) bool) error {
	return tx.audit(func(e audit.Entry) bool { return e.Patient == string(pnr) }, fn)
}

func (tx *memTx) AuditByActor(actor string, fn func(audit.Record) bool) error {
	return tx.audit(func(e audit.Entry) bool { return e.Actor == actor }, fn)
}

func (tx *memTx) auditDesc(match func(audit.Entry) bool, before uint64, fn func(audit.Record) bool) error {
	for i := len(tx.log) - 1; i >= 0; i-- {
		r := tx.log[i]
		if (before == 0 || r.Seq < before) && match(r.Entry) && !fn(r) {
			break
		}
	}
	return nil
}

func (tx *memTx) AuditByPatientDesc(pnr personnummer.Personnummer, before uint64, fn func(audit.Record) bool) error {
	return tx.auditDesc(func(e audit.Entry) bool { return e.Patient == string(pnr) }, before, fn)
}

func (tx *memTx) AuditByActorDesc(actor string, before uint64, fn func(audit.Record) bool) error {
	return tx.auditDesc(func(e audit.Entry) bool { return e.Actor == actor }, before, fn)
}

func (tx *memTx) put(c *cases.Case) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode case %s: %w", c.ID, err)
	}
	tx.cases[c.ID] = b
	return nil
}

func (tx *memTx) Insert(c *cases.Case) error {
	if !tx.writable {
		return fmt.Errorf("insert in a read-only transaction")
	}
	if _, ok := tx.cases[c.ID]; ok {
		return fmt.Errorf("insert case %s: %w", c.ID, cases.ErrExists)
	}
	if c.Version != 1 {
		return fmt.Errorf("insert case %s: version %d, want 1", c.ID, c.Version)
	}
	return tx.put(c)
}

func (tx *memTx) Update(c *cases.Case) error {
	if !tx.writable {
		return fmt.Errorf("update in a read-only transaction")
	}
	old, err := tx.Case(c.ID)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if c.Version != old.Version+1 {
		return fmt.Errorf("update case %s: %w", c.ID, cases.ErrConflict)
	}
	return tx.put(c)
}

func (tx *memTx) AppendAudit(e audit.Entry) error {
	if !tx.writable {
		return fmt.Errorf("audit in a read-only transaction")
	}
	r, head, err := audit.Next(tx.head, e)
	if err != nil {
		return err
	}
	tx.log, tx.head = append(tx.log, r), head
	return nil
}

// TestMemStore checks the fake's own contract, which the suite relies on.
func TestMemStore(t *testing.T) {
	ctx := context.Background()
	s := newMemStore(casestest.Unit)
	received := time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Stockholm())
	c := &cases.Case{
		ID: "01jnjz5f8g0000000000000000", Unit: casestest.Unit, Type: casetype.AdviceNurse,
		Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980), Name: "Tolvan Kanariesson"},
		Fields:  []cases.Field{{Name: "symptom", Label: "Besvär", Value: "ont i halsen"}},
		Status:  cases.Received, ReceivedAt: received, DueAt: cases.DueDate(received), Version: 1,
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "hej", At: received}},
		History:  []cases.Event{{At: received, Actor: "system", Action: cases.Receive, To: cases.Received}},
	}
	if err := s.Update(ctx, func(tx cases.Tx) error { return tx.Insert(c) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx cases.Tx) error {
		d := *c // only top-level fields change; the store keeps its own JSON copy
		d.Version, d.Status = 2, cases.Assigned
		if err := tx.Update(&d); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	_ = s.View(ctx, func(tx cases.ReadTx) error {
		got, err := tx.Case(c.ID)
		if err != nil || got.Status != cases.Received {
			t.Errorf("a failed transaction left status %v (%v)", got.Status, err)
		}
		return nil
	})
	err = s.Update(ctx, func(tx cases.Tx) error { return tx.Update(c) })
	if !errors.Is(err, cases.ErrConflict) {
		t.Errorf("update with the same version: %v", err)
	}
	err = s.Update(ctx, func(tx cases.Tx) error {
		return tx.AppendAudit(audit.Entry{Actor: "x\n", Unit: casestest.Unit, Action: "read", Outcome: audit.Allowed,
			Time: time.Date(2026, 3, 9, 14, 30, 0, 0, workday.Stockholm())})
	})
	if err == nil {
		t.Error("an entry with a newline was logged")
	}
}

// TestServiceOnMemStore runs the service suite on the fake.
func TestServiceOnMemStore(t *testing.T) {
	casestest.RunServiceSuite(t, func(*testing.T) cases.Store { return newMemStore(casestest.Unit) })
}

func TestNewService(t *testing.T) {
	ok := cases.ServiceConfig{Unit: casestest.Unit, Store: newMemStore(casestest.Unit), Clock: clocktest.New(time.Time{}),
		Rand: rand.NewChaCha8([32]byte{}), Logger: slog.New(slog.DiscardHandler)}
	if _, err := cases.NewService(ok); err != nil {
		t.Fatal(err)
	}
	for i, mutate := range []func(*cases.ServiceConfig){
		func(c *cases.ServiceConfig) { c.Unit = "" }, func(c *cases.ServiceConfig) { c.Unit = "a\nb" },
		func(c *cases.ServiceConfig) { c.Store = nil }, func(c *cases.ServiceConfig) { c.Clock = nil },
		func(c *cases.ServiceConfig) { c.Rand = nil }, func(c *cases.ServiceConfig) { c.Logger = nil },
	} {
		cfg := ok
		mutate(&cfg)
		if _, err := cases.NewService(cfg); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}
