package cases

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"
	"unicode/utf8"

	"clinicgw/agent/audit"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
)

// List limits: a Filter with Limit 0 gets DefaultListLimit cases.
const (
	DefaultListLimit = 200
	MaxListLimit     = 1000
)

// ServiceConfig is what NewService needs; every field is required.
type ServiceConfig struct {
	Unit   string // the care unit's HSA-ID
	Store  Store
	Clock  clock.Clock
	Rand   io.Reader // for case and message ids
	Logger *slog.Logger
	// OnOutbound, when not nil, is called after each commit that queued a
	// change for the central store (the uplink's Kick), outside the
	// transaction. It must not block.
	OnOutbound func()
	// OnChange, when not nil, is called after each commit that created or
	// changed cases, with what changed, outside the transaction (the UI
	// pushes it to open pages). It must not block.
	OnChange func(Change)
	// OnSignal, when not nil, is called after each commit with what other
	// parts act on (notices): new cases arrived, a case was assigned. It
	// must not block.
	OnSignal func(Signal)
	// SyncRetention is how long central events applied here and outbox
	// items the central store confirmed are kept for a reconciliation
	// (continuity.go); DefaultSyncRetention if 0.
	SyncRetention time.Duration
	// ClientWriteRetention is how long an integration system's write
	// with its own identifier is remembered (ClientWrite: a retry within
	// it is answered, not written again; after it, the identifier makes
	// a new write); DefaultClientWriteRetention if 0.
	ClientWriteRetention time.Duration
	// Services, when not nil, gives the unit's catalogue's answer rule and
	// current version of a service (a case type) for a case of it arriving
	// now; nil: every service answers within DefaultAnswerDays and records
	// no version.
	Services ServiceRules
	// Groups says who is in which staff group (groups.go); nil: the unit
	// has no groups, no one sees a queue, every case goes to the inbox.
	Groups GroupSource
	// RouteFor, when not nil, names the group whose queue a case arriving
	// from the central store goes to (the unit's service catalogue); nil,
	// or a group that does not exist: the message administrator's inbox.
	RouteFor RouteFunc
}

// ServiceRules is the unit's catalogue of services as the case service
// reads it (sync/wire/catalog.Catalog): Rule is the current version of
// service id and its answer rule in working days ((0, DefaultAnswerDays)
// for an id it does not have); RuleAt is the answer rule of version
// version of it, and whether the catalogue's history knows that version
// (when not, the current rule).
type ServiceRules interface {
	Rule(id string) (version, days int)
	RuleAt(id string, version int) (days int, known bool)
}

// SignalKind says what a Signal is.
type SignalKind int

// The signals.
const (
	SignalArrived  SignalKind = iota + 1 // Count new cases arrived from the central store
	SignalAssigned                       // a case was assigned or reassigned to Assignee
)

// Signal is something that happened to cases, for notices: it carries no
// patient data.
type Signal struct {
	Kind     SignalKind
	Count    int    // SignalArrived
	Assignee string // SignalAssigned: the HSA-ID
}

// Change is what a commit changed, for the pages that show it.
type Change struct {
	IDs []ID
	// Assignees are the staff whose own lists ("my cases") the change
	// touches: the cases' assignees before and after it. A new case is on
	// no one's own list.
	Assignees []string
	// Groups are the staff groups whose queues the change touches: the
	// cases' groups before and after it (groups.go).
	Groups []string
}

// assignees lists the non-empty, distinct HSA-IDs among ids.
func assignees(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Service is the cases API: every caller (UI, sync, CLI, demo) reads and
// changes cases through it, so that the workflow's rules hold and every
// access to patient data writes one access-log entry in the same store
// transaction as the access.
type Service struct {
	unit  string
	store Store
	clock clock.Clock
	rand  io.Reader
	log   *slog.Logger
	// onOutbound is ServiceConfig.OnOutbound, or a no-op.
	onOutbound func()
	onChange   func(Change)
	onSignal   func(Signal)
	retention  time.Duration // ServiceConfig.SyncRetention
	clientKeep time.Duration // ServiceConfig.ClientWriteRetention
	services   ServiceRules  // ServiceConfig.Services; nil: the defaults
	groups     GroupSource   // ServiceConfig.Groups; nil: none
	routeFor   RouteFunc     // ServiceConfig.RouteFor; nil: all to the inbox
}

// NewService checks cfg and returns a Service for one care unit.
func NewService(cfg ServiceConfig) (*Service, error) {
	switch {
	case !hsaid.Valid(cfg.Unit):
		return nil, errors.New("new cases service: the unit must be an HSA-ID")
	case cfg.Store == nil:
		return nil, errors.New("new cases service: no store")
	case cfg.Clock == nil:
		return nil, errors.New("new cases service: no clock")
	case cfg.Rand == nil:
		return nil, errors.New("new cases service: no random source")
	case cfg.Logger == nil:
		return nil, errors.New("new cases service: no logger")
	}
	onOutbound := cfg.OnOutbound
	if onOutbound == nil {
		onOutbound = func() {}
	}
	onChange := cfg.OnChange
	if onChange == nil {
		onChange = func(Change) {}
	}
	onSignal := cfg.OnSignal
	if onSignal == nil {
		onSignal = func(Signal) {}
	}
	retention := cfg.SyncRetention
	if retention <= 0 {
		retention = DefaultSyncRetention
	}
	clientKeep := cfg.ClientWriteRetention
	if clientKeep <= 0 {
		clientKeep = DefaultClientWriteRetention
	}
	return &Service{unit: cfg.Unit, store: cfg.Store, clock: cfg.Clock, rand: cfg.Rand, log: cfg.Logger,
		onOutbound: onOutbound, onChange: onChange, onSignal: onSignal, retention: retention, clientKeep: clientKeep, services: cfg.Services,
		groups: cfg.Groups, routeFor: cfg.RouteFor}, nil
}

// entry is an access-log entry by actor about case c (nil for none) at now.
func (s *Service) entry(now time.Time, actor Actor, action Action, c *Case, outcome audit.Outcome) audit.Entry {
	e := audit.Entry{Time: now, Actor: actor.Name(), Unit: s.unit, Action: string(action), Outcome: outcome}
	if c != nil {
		e.CaseID = string(c.ID)
		e.Patient = string(c.Patient.PNR)
	}
	return e
}

// denied logs a refused access: case id, actor HSA-ID and action only.
func (s *Service) denied(msg string, actor Actor, action Action, id ID) {
	s.log.Warn(msg, "caseId", string(id), "actor", actor.Name(), "action", string(action))
}

// checkActor refuses, and logs, an actor that cannot be named in the
// access log (an unknown kind, a malformed HSA-ID).
func (s *Service) checkActor(a Actor, action Action) error {
	switch a.Kind {
	case Patient, System:
		return nil
	case Staff, Integration:
		if hsaid.Valid(a.HSAID) {
			return nil
		}
	}
	s.log.Warn("malformed actor refused", "action", string(action))
	return fmt.Errorf("malformed actor: %w", ErrNotAllowed)
}

// readable reports whether actor may read c, a case of this unit.
func (s *Service) readable(actor Actor, c *Case) bool {
	return c.Unit == s.unit && CanRead(actor, c)
}

// Receive validates a new case from the central store and stores it with
// its access-log entry. A submission whose ID is already stored is not
// stored again: the stored case is returned.
func (s *Service) Receive(ctx context.Context, sub Submission) (*Case, error) {
	cs, err := s.ReceiveBatch(ctx, []Submission{sub})
	if err != nil {
		return nil, err
	}
	return cs[0], nil
}

// ReceiveBatch stores a page of submissions in one transaction: either all
// of them (repeat deliveries skipped) or, when one is invalid, none, and
// the error names the submission's index. The result is in the order of
// subs.
func (s *Service) ReceiveBatch(ctx context.Context, subs []Submission) ([]*Case, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	now := s.clock.Now()
	fresh := make([]*Case, len(subs))
	for i, sub := range subs {
		c, err := s.newCase(sub, now)
		if err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				s.log.Warn("submission refused", "index", i, "field", ve.Field)
			}
			return nil, fmt.Errorf("receive case: submission %d: %w", i, err)
		}
		fresh[i] = c
	}
	var out []*Case
	var changed []ID
	var queues []string
	err := s.store.Update(ctx, func(tx Tx) error {
		out, changed, queues = make([]*Case, len(subs)), nil, nil
		seen := make(map[ID]*Case, len(subs))
		for i, c := range fresh {
			stored, ok := seen[c.ID]
			if !ok && subs[i].ID != "" {
				old, err := tx.Case(c.ID)
				switch {
				case err == nil:
					stored, ok = old, true
				case !errors.Is(err, ErrNotFound):
					return fmt.Errorf("submission %d: %w", i, err)
				}
			}
			if ok {
				if stored.Patient.PNR != c.Patient.PNR || stored.Type != c.Type {
					return fmt.Errorf("submission %d: a different case has id %s: %w", i, c.ID, ErrExists)
				}
				out[i] = stored
				continue
			}
			c = cloneCase(c) // the store may keep what it is given; fn may run twice
			if err := tx.Insert(c); err != nil {
				return fmt.Errorf("submission %d: %w", i, err)
			}
			if err := tx.AppendAudit(s.entry(now, Actor{Kind: System}, Receive, c, audit.Allowed)); err != nil {
				return fmt.Errorf("submission %d: %w", i, err)
			}
			seen[c.ID], out[i] = c, c
			changed = append(changed, c.ID)
			queues = assignees(append(queues, c.Group)...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("receive cases: %w", err)
	}
	if len(changed) > 0 {
		s.onChange(Change{IDs: changed, Groups: queues}) // new cases: no one's own list yet
	}
	return out, nil
}

// newIDs returns the id of a new case — given, or a new one if "" — and
// of its first message.
func (s *Service) newIDs(given ID, now time.Time) (ID, ID, error) {
	id := given
	if id == "" {
		var err error
		if id, err = caseid.New(now, s.rand); err != nil {
			return "", "", fmt.Errorf("new case id: %w", err)
		}
	}
	var msgID ID
	var err error
	if given == "" {
		msgID, err = caseid.New(now, s.rand)
	} else {
		// A case the central store named gets the same first message id
		// every time it arrives: after a restore of this store, the case
		// pulled again is the case it was. (No random bits are drawn
		// for it: each would be thrown away.)
		msgID, err = firstMessageID(given)
	}
	if err != nil {
		return "", "", fmt.Errorf("new message id: %w", err)
	}
	return id, msgID, nil
}

// firstMessageID is the id of the first message of the case the
// central store named given: the case id's time and the first 80 bits
// of a SHA-256 of it, hashed from the stack.
func firstMessageID(given ID) (ID, error) {
	const prefix = "clinicgw first message\x00"
	var buf [len(prefix) + caseid.Len]byte
	seed := sha256.Sum256(append(append(buf[:0], prefix...), given...))
	return caseid.NewFrom(given.Time(), [10]byte(seed[:10]))
}

// newCase validates sub and builds the case it becomes when it arrives at
// now: due two working days from when it was sent (DueFrom).
func (s *Service) newCase(sub Submission, now time.Time) (*Case, error) {
	if err := validateSubmission(&sub, now); err != nil {
		return nil, err
	}
	return s.buildCase(sub, now, false)
}

// fitText returns s cut to MaxTextRunes characters.
func fitText(s string) string {
	if utf8.RuneCountInString(s) <= MaxTextRunes {
		return s
	}
	return string([]rune(s)[:MaxTextRunes])
}

// buildCase builds the case a checked submission becomes when it arrives
// at now. owned: the case keeps sub.Fields as they are, not a copy (an
// inbound event's, handed over: Inbound).
func (s *Service) buildCase(sub Submission, now time.Time, owned bool) (*Case, error) {
	id, msgID, err := s.newIDs(sub.ID, now)
	if err != nil {
		return nil, err
	}
	// The case, its first message and its first history entry in one
	// allocation: the receive step appends them within their capacity.
	nc := new(newCase)
	c := &nc.c
	fields := sub.Fields
	if !owned {
		fields = slices.Clone(fields)
	}
	*c = Case{
		ID: id, Unit: s.unit, Type: sub.Type, Patient: sub.Patient, Guardian: sub.Guardian,
		Fields: fields, SentAt: DueFrom(sub.SubmittedAt, now), ReceivedAt: now, Version: 1,
		Group:    s.routeOf(sub.Type),
		Messages: nc.msg[:0:1], History: nc.hist[:0:1],
	}
	if s.services != nil {
		// The case keeps the service's version and answer rule it was
		// written under, whatever the catalogue becomes.
		c.ServiceVersion, c.AnswerDays = s.services.Rule(string(sub.Type))
		if v := sub.FormVersion; v > 0 && v != c.ServiceVersion {
			// The version the patient wrote on, not the one current
			// when the case arrived; one the catalogue does not know is
			// kept as sent, under the current rule.
			var known bool
			c.ServiceVersion = v
			if c.AnswerDays, known = s.services.RuleAt(string(sub.Type), v); !known {
				s.log.Warn("case written on a service version the catalogue does not know",
					"caseId", string(id), "type", string(sub.Type), "version", v)
			}
		}
		if c.AnswerDays == DefaultAnswerDays {
			c.AnswerDays = 0
		}
	}
	// The submission is checked (checkSubmission): its text is put in
	// the first message once the step is made, not checked again by the
	// workflow, which would hold it to this version's length (a text the
	// central store accepted longer is kept whole, flagged).
	cmd := Command{Action: Receive, SentAt: sub.SubmittedAt}
	if err := Apply(c, Actor{Kind: System}, cmd, now, string(msgID)); err != nil {
		return nil, err
	}
	c.Messages[0].Text = sub.Text
	// The patient wrote the first message, when they submitted it.
	c.Messages[0].Author, c.Messages[0].At = Actor{Kind: Patient}.Name(), sub.SubmittedAt
	return c, nil
}

// newCase is a case as buildCase makes it, with room for what receiving
// it adds.
type newCase struct {
	c    Case
	msg  [1]Message
	hist [1]Event
}

// Get returns the case with the given id if actor may read it, and records
// the read, allowed or denied, in the access log. An unknown id returns
// ErrNotFound and logs nothing: no patient data was touched.
func (s *Service) Get(ctx context.Context, actor Actor, id ID) (*Case, error) {
	if err := s.checkActor(actor, Read); err != nil {
		return nil, fmt.Errorf("get case: %w", err)
	}
	actor = s.withGroups(actor)
	if !validID(id) {
		return nil, fmt.Errorf("get case: %w", ErrNotFound)
	}
	now := s.clock.Now()
	var c *Case
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get case: %w", err)
	}
	var refused error
	outcome := audit.Allowed
	if !s.readable(actor, c) {
		outcome, refused = audit.Denied, fmt.Errorf("read case %s: %w", id, ErrNotAllowed)
	}
	// A denied read is in the access log too.
	if err := s.logRead(ctx, s.entry(now, actor, Read, c, outcome)); err != nil {
		return nil, fmt.Errorf("get case: %w", err)
	}
	if refused != nil {
		s.denied("case read denied", actor, Read, id)
		return nil, fmt.Errorf("get case: %w", refused)
	}
	return c, nil
}

// Authorize reports whether actor may read case id, without reading it
// for them: nothing of the patient's is returned, so an allowed check is
// not in the access log; a refused one is, as an attempt (the UI checks a
// page's live subscription with it).
func (s *Service) Authorize(ctx context.Context, actor Actor, id ID) error {
	if err := s.checkActor(actor, Read); err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	actor = s.withGroups(actor)
	if !validID(id) {
		return fmt.Errorf("authorize: %w", ErrNotFound)
	}
	var got *Case
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		got, err = tx.Case(id)
		return err
	})
	if err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	if s.readable(actor, got) {
		return nil
	}
	if err := s.logRead(ctx, s.entry(s.clock.Now(), actor, Read, got, audit.Denied)); err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	s.denied("case read denied", actor, Read, id)
	return fmt.Errorf("authorize case %s: %w", id, ErrNotAllowed)
}

// Do carries out a workflow command on a case and records it in the access
// log in the same transaction. A refused command (*TransitionError) is
// recorded too, with outcome denied; the case is then unchanged. A staff
// member who may not read the case is refused before the workflow's rules
// are consulted, so the refusal tells nothing about the case.
func (s *Service) Do(ctx context.Context, actor Actor, id ID, cmd Command) (*Case, error) {
	c, _, err := s.do(ctx, actor, id, cmd, doHook{})
	return c, err
}

// doHook lets a caller of do check and record inside its transaction
// (systemwrite.go); its zero value does nothing.
type doHook struct {
	// before runs first in the transaction: a case it returns is the
	// answer and nothing changes (a retry of a write already made).
	before func(tx Tx, now time.Time) (*Case, error)
	// check, when the actor may read the case, refuses the command on it
	// like the workflow would: the refusal is in the access log.
	check func(got *Case) error
	// after runs in the transaction once the command is applied to next,
	// with the id of the message it appended, if any.
	after func(tx Tx, next *Case, msgID string, now time.Time) error
	// run, when set, runs the transaction's body instead of the store's
	// Update, inside a transaction the caller owns (DoWithin); a refusal
	// then rolls that transaction back and is logged in one of its own.
	run func(body func(Tx) error) error
}

// do is Do with h; done reports that h.before answered.
func (s *Service) do(ctx context.Context, actor Actor, id ID, cmd Command, h doHook) (_ *Case, done bool, _ error) {
	if err := s.checkActor(actor, cmd.Action); err != nil {
		return nil, false, fmt.Errorf("%s case: %w", cmd.Action, err)
	}
	if !isWorkflowAction(cmd.Action) {
		return nil, false, fmt.Errorf("do case: %w", &TransitionError{Action: cmd.Action, Reason: "not a workflow action",
			Err: ErrInvalidCommand, sv: swedish("cases.refused.unknownAction")})
	}
	if !validID(id) {
		return nil, false, fmt.Errorf("%s case: %w", cmd.Action, ErrNotFound)
	}
	actor = s.withGroups(actor)
	now := s.clock.Now()
	msgID, err := caseid.New(now, s.rand)
	if err != nil {
		return nil, false, fmt.Errorf("%s case: new message id: %w", cmd.Action, err)
	}
	var c *Case
	var refused error
	queued := false
	before, beforeGroup := "", "" // the assignee and group before the command
	run := h.run
	if run == nil {
		run = func(body func(Tx) error) error { return s.store.Update(ctx, body) }
	}
	var got *Case // the case as read, for a refusal's entry
	err = run(func(tx Tx) error {
		c, refused, queued, done = nil, nil, false, false
		if h.before != nil {
			prior, err := h.before(tx, now)
			if err != nil || prior != nil {
				c, done = prior, prior != nil
				return err
			}
		}
		var err error
		if got, err = tx.Case(id); err != nil {
			return err
		}
		before, beforeGroup = got.Assignee, got.Group
		next := cloneCase(got)
		if !s.readable(actor, got) {
			refused = &TransitionError{Action: cmd.Action, Reason: "the actor may not see this case",
				Err: ErrNotAllowed, sv: swedish("cases.refused.noAccess")}
		} else if err := runCheck(h.check, got); err != nil {
			refused = err
		} else if cmd.Action == Route && cmd.Group != "" && !s.groupExists(cmd.Group) {
			refused = &TransitionError{Action: cmd.Action, From: got.Status, Reason: "no such group",
				Err: ErrInvalidCommand, sv: swedish("cases.refused.noSuchGroup")}
		} else if err := Apply(next, actor, cmd, now, string(msgID)); err != nil {
			var te *TransitionError
			if !errors.As(err, &te) {
				return err
			}
			refused = err
		}
		if refused != nil && h.run != nil {
			return refused // the caller's transaction rolls back
		}
		if refused != nil {
			return tx.AppendAudit(s.entry(now, actor, cmd.Action, got, audit.Denied))
		}
		next.Version++
		if err := tx.Update(next); err != nil {
			return err
		}
		if o, ok := outboundFor(got, next, cmd, string(msgID), now); ok {
			if err := tx.Enqueue(o); err != nil {
				return err
			}
			queued = true
		}
		c = next
		if h.after != nil {
			if err := h.after(tx, next, string(msgID), now); err != nil {
				return err
			}
		}
		return tx.AppendAudit(s.entry(now, actor, cmd.Action, next, audit.Allowed))
	})
	if err != nil && refused != nil && errors.Is(err, refused) {
		if lerr := s.store.Update(ctx, func(tx Tx) error {
			return tx.AppendAudit(s.entry(now, actor, cmd.Action, got, audit.Denied))
		}); lerr != nil {
			return nil, false, fmt.Errorf("%s case: %w", cmd.Action, lerr)
		}
		err = nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("%s case: %w", cmd.Action, err)
	}
	if refused != nil {
		if errors.Is(refused, ErrNotAllowed) {
			s.denied("case command denied", actor, cmd.Action, id)
		}
		return nil, false, fmt.Errorf("%s case: %w", cmd.Action, refused)
	}
	if done {
		return c, true, nil
	}
	if queued {
		s.onOutbound()
	}
	s.onChange(Change{IDs: []ID{c.ID}, Assignees: assignees(before, c.Assignee), Groups: assignees(beforeGroup, c.Group)})
	if (cmd.Action == Assign || cmd.Action == Reassign || cmd.Action == Take) && c.Assignee != "" {
		s.onSignal(Signal{Kind: SignalAssigned, Assignee: c.Assignee})
	}
	return c, false, nil
}

// runCheck runs check on got, if there is one.
func runCheck(check func(*Case) error, got *Case) error {
	if check == nil {
		return nil
	}
	return check(got)
}

// isWorkflowAction reports whether a is in the transition table.
func isWorkflowAction(a Action) bool {
	for _, t := range transitions {
		if t.action == a {
			return true
		}
	}
	return false
}

// Stats returns the unit's statistics for the period [from, to) (a zero to
// means no end), for a unit administrator or a distributor. It writes no
// access-log entry: the access log records who saw which patient's data,
// and Stats returns only counts and durations, nothing about any patient.
// A store with aggregates (StatsStore) answers a period of whole Stockholm
// days from them, without opening a case; the result is the same.
func (s *Service) Stats(ctx context.Context, actor Actor, from, to time.Time) (Stats, error) {
	if err := s.checkActor(actor, "stats"); err != nil {
		return Stats{}, fmt.Errorf("case statistics: %w", err)
	}
	if !actor.Has(UnitAdmin) && !actor.Has(Distributor) {
		s.denied("case statistics denied", actor, "stats", "")
		return Stats{}, fmt.Errorf("case statistics: %w", ErrNotAllowed)
	}
	if !to.IsZero() && !to.After(from) {
		return Stats{}, fmt.Errorf("case statistics: %w", invalid("to", "not after from", swedish("cases.in.toBeforeFrom")))
	}
	now := s.clock.Now()
	if agg, ok := s.store.(StatsStore); ok {
		b := NewStatsBuilder(from, to, now)
		if _, _, _, _, aligned := b.Days(); aligned {
			done, err := agg.AddStats(ctx, s.unit, b)
			if err != nil {
				return Stats{}, fmt.Errorf("case statistics: %w", err)
			}
			if done {
				return b.Result(), nil
			}
		}
	}
	// No aggregates, or a period that is not whole days: count every case.
	b := NewStatsBuilder(from, to, now)
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.Cases(func(c *Case) bool {
			if c.Unit == s.unit {
				b.Add(c)
			}
			return true
		})
	})
	if err != nil {
		return Stats{}, fmt.Errorf("case statistics: %w", err)
	}
	return b.Result(), nil
}

// AccessLogByPatient returns the access-log records about one patient,
// oldest first, for an auditor. The call is itself recorded, with the
// patient, allowed or denied.
func (s *Service) AccessLogByPatient(ctx context.Context, actor Actor, pnr personnummer.Personnummer) ([]audit.Record, error) {
	if err := s.checkActor(actor, ReadAccessLog); err != nil {
		return nil, fmt.Errorf("access log by patient: %w", err)
	}
	p := Person{PNR: pnr, Name: "-"}
	if err := checkPerson("patient", &p, s.clock.Now()); err != nil {
		return nil, fmt.Errorf("access log by patient: %w", err)
	}
	recs, err := s.accessLog(ctx, actor, p.PNR, func(tx ReadTx, fn func(audit.Record) bool) error {
		return tx.AuditByPatient(p.PNR, fn)
	})
	if err != nil {
		return nil, fmt.Errorf("access log by patient: %w", err)
	}
	return recs, nil
}

// AccessLogByActor returns the access-log records of one actor (an HSA-ID,
// "patient" or "system"), oldest first, for an auditor. The call is itself
// recorded, allowed or denied.
func (s *Service) AccessLogByActor(ctx context.Context, actor Actor, hsaID string) ([]audit.Record, error) {
	if err := s.checkActor(actor, ReadAccessLog); err != nil {
		return nil, fmt.Errorf("access log by actor: %w", err)
	}
	if !hsaid.Valid(hsaID) && hsaID != string(Patient) && hsaID != string(System) {
		return nil, fmt.Errorf("access log by actor: %w", invalid("actor", "not an HSA-ID", swedish("cases.in.badHSAID")))
	}
	recs, err := s.accessLog(ctx, actor, "", func(tx ReadTx, fn func(audit.Record) bool) error {
		return tx.AuditByActor(hsaID, fn)
	})
	if err != nil {
		return nil, fmt.Errorf("access log by actor: %w", err)
	}
	return recs, nil
}

// accessLog reads records with read for an auditor and records the read.
func (s *Service) accessLog(ctx context.Context, actor Actor, patient personnummer.Personnummer,
	read func(ReadTx, func(audit.Record) bool) error) ([]audit.Record, error) {
	allowed := actor.Has(Auditor)
	now := s.clock.Now()
	var recs []audit.Record
	outcome := audit.Denied
	if allowed {
		outcome = audit.Allowed
		err := s.store.View(ctx, func(tx ReadTx) error {
			return read(tx, func(r audit.Record) bool { recs = append(recs, r); return true })
		})
		if err != nil {
			return nil, err
		}
	}
	e := s.entry(now, actor, ReadAccessLog, nil, outcome)
	e.Patient = string(patient)
	if err := s.logRead(ctx, e); err != nil {
		return nil, err
	}
	if !allowed {
		s.denied("access log read denied", actor, ReadAccessLog, "")
		return nil, ErrNotAllowed
	}
	return recs, nil
}
