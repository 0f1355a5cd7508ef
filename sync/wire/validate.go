package wire

import "clinicgw/sync/wire/hsaid"

// The Validate methods check a value against the protocol's rules: limits,
// enumerations, required members, id formats, timestamps and text. They
// are pure (no clock, no I/O) and return a *Problem (400) whose detail names
// the position and the rule, never the value.

// Validate checks an event.
func (e Event) Validate() error { return invalid(e.check("")) }

func (e Event) check(path string) error { return e.checkTexts(path, false) }

// checkTexts is check; ruled: the multi-line texts were held to the text
// rule as they were decoded (the fast page decoder's texts), so only
// whether a required one is blank is left.
func (e Event) checkTexts(path string, ruled bool) error {
	if err := checkSeq(member(path, "seq"), e.Seq, 1); err != nil {
		return err
	}
	if err := checkToken(member(path, "id"), e.ID); err != nil {
		return err
	}
	if !e.Kind.Valid() {
		return fail(member(path, "kind"), "is not a known event kind")
	}
	if err := checkCaseID(member(path, "caseId"), e.CaseID); err != nil {
		return err
	}
	if err := checkTime(member(path, "at"), e.At); err != nil {
		return err
	}
	if e.Sealed != "" {
		return e.checkSealed(path)
	}
	if e.Route != nil {
		return fail(member(path, "route"), "is only beside sealed")
	}
	switch {
	case (e.Kind == EventCaseCreated) != (e.Case != nil):
		return fail(member(path, "case"), "must be set for case.created and only then")
	case (e.Kind == EventCaseFollowUp) != (e.Message != nil):
		return fail(member(path, "message"), "must be set for case.followup and only then")
	case e.Case != nil:
		return within(member(path, "case"), e.Case.checkTexts("", ruled))
	case e.Message != nil:
		return within(member(path, "message"), e.Message.checkTexts("", ruled))
	}
	return nil
}

// Validate checks a new case.
func (c NewCase) Validate() error { return invalid(c.check("")) }

func (c NewCase) check(path string) error { return c.checkTexts(path, false) }

func (c NewCase) checkTexts(path string, ruled bool) error {
	if err := checkTypeName(member(path, "type"), c.Type); err != nil {
		return err
	}
	if err := c.Patient.check(""); err != nil {
		return within(member(path, "patient"), err)
	}
	if c.Guardian != nil {
		if err := c.Guardian.check(""); err != nil {
			return within(member(path, "guardian"), err)
		}
		if c.Guardian.PNR == c.Patient.PNR {
			return fail(member(path, "guardian.pnr"), "must not be the patient's")
		}
	}
	if c.FormVersion < 0 || c.FormVersion > MaxFormVersion {
		return failf(member(path, "formVersion"), "must be 1..%d when set", MaxFormVersion)
	}
	if len(c.Fields) > MaxFields {
		return failf(member(path, "fields"), "has more than %d fields", MaxFields)
	}
	var seen map[string]bool // made only for many fields: few are compared pairwise
	if len(c.Fields) > 8 {
		seen = make(map[string]bool, len(c.Fields))
	}
	for i, f := range c.Fields {
		if err := f.checkTexts("", ruled); err != nil {
			return within(index(member(path, "fields"), i), err)
		}
		repeated := seen[f.Name]
		if seen == nil {
			for _, g := range c.Fields[:i] {
				repeated = repeated || g.Name == f.Name
			}
		} else {
			seen[f.Name] = true
		}
		if repeated {
			return fail(member(index(member(path, "fields"), i), "name"), "repeats an earlier field's name")
		}
	}
	if err := multilineCheck(ruled)(member(path, "text"), c.Text, MaxTextLen, len(c.Fields) == 0); err != nil {
		if len(c.Fields) == 0 && c.Text == "" {
			return fail(path, "must have text, fields or both")
		}
		return err
	}
	return nil
}

// Validate checks a person.
func (p Person) Validate() error { return invalid(p.check("")) }

func (p Person) check(path string) error {
	if err := checkPNR(member(path, "pnr"), p.PNR); err != nil {
		return err
	}
	return checkLine(member(path, "name"), p.Name, MaxNameLen, true)
}

// Validate checks a form answer.
func (f Field) Validate() error { return invalid(f.check("")) }

func (f Field) check(path string) error { return f.checkTexts(path, false) }

func (f Field) checkTexts(path string, ruled bool) error {
	if err := checkToken(member(path, "name"), f.Name); err != nil {
		return err
	}
	if err := checkLine(member(path, "label"), f.Label, MaxLabelLen, true); err != nil {
		return err
	}
	return multilineCheck(ruled)(member(path, "value"), f.Value, MaxFieldValueLen, false)
}

// Validate checks a patient's message.
func (m PatientMessage) Validate() error { return invalid(m.check("")) }

func (m PatientMessage) check(path string) error { return m.checkTexts(path, false) }

func (m PatientMessage) checkTexts(path string, ruled bool) error {
	if err := checkToken(member(path, "id"), m.ID); err != nil {
		return err
	}
	return multilineCheck(ruled)(member(path, "text"), m.Text, MaxTextLen, true)
}

// Validate checks an inbox page on its own: at most MaxInboxLimit valid
// events with distinct ids in strictly increasing Seq order, Cursor equal
// to the last Seq, and More only with events. Follows checks it against the
// request.
func (p InboxPage) Validate() error { return invalid(p.check()) }

func (p InboxPage) check() error { return p.checkTexts(false) }

func (p InboxPage) checkTexts(ruled bool) error {
	if len(p.Events) > MaxInboxLimit {
		return failf("events", "has more than %d events", MaxInboxLimit)
	}
	ids := make(map[string]bool, len(p.Events))
	for i, e := range p.Events {
		if err := e.checkTexts("", ruled); err != nil {
			return within(index("events", i), err)
		}
		if i > 0 && e.Seq <= p.Events[i-1].Seq {
			return fail(member(index("events", i), "seq"), "is not greater than the previous event's")
		}
		if ids[e.ID] {
			return fail(member(index("events", i), "id"), "repeats an earlier event's id")
		}
		ids[e.ID] = true
	}
	if err := checkSeq("cursor", p.Cursor, 0); err != nil {
		return err
	}
	if n := len(p.Events); n > 0 && p.Cursor != p.Events[n-1].Seq {
		return fail("cursor", "must be the seq of the last event")
	}
	if p.More && len(p.Events) == 0 {
		return fail("more", "must be false on a page without events")
	}
	return nil
}

// Follows checks that p answers the request q: every event after q.After,
// no more than q.Limit events (DefaultInboxLimit if 0), and, on an empty
// page, the cursor unchanged. The gateway calls it on every page, after
// DecodeInboxPage.
func (p InboxPage) Follows(q InboxQuery) error {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultInboxLimit
	}
	switch {
	case len(p.Events) > limit:
		return invalid(failf("events", "has more than the %d events asked for", limit))
	case len(p.Events) > 0 && p.Events[0].Seq <= q.After:
		return invalid(fail("events[0].seq", "is not after the cursor asked for"))
	case len(p.Events) == 0 && p.Cursor != q.After:
		return invalid(fail("cursor", "must be the cursor asked for on a page without events"))
	}
	return nil
}

// Validate checks an ack: Cursor 1..MaxSeq.
func (a Ack) Validate() error { return invalid(checkSeq("cursor", a.Cursor, 1)) }

// Validate checks a message from staff.
func (m StaffMessage) Validate() error { return invalid(m.check("")) }

func (m StaffMessage) check(path string) error {
	if err := checkToken(member(path, "id"), m.ID); err != nil {
		return err
	}
	if err := checkMultiline(member(path, "text"), m.Text, MaxTextLen, true); err != nil {
		return err
	}
	if err := checkMultiline(member(path, "signature"), m.Signature, MaxSignatureLen, false); err != nil {
		return err
	}
	if err := checkLine(member(path, "authorTitle"), m.AuthorTitle, MaxLabelLen, true); err != nil {
		return err
	}
	if hsaid.Contains(m.AuthorTitle) {
		return fail(member(path, "authorTitle"), "must be a title, never an HSA-ID")
	}
	return nil
}

// checkItemHead checks what an outbox item carries in the clear, plain or
// sealed: its idempotency key, case id and kind.
func checkItemHead(path, key, caseID string, kind OutboxKind) error {
	if err := checkToken(member(path, "idempotencyKey"), key); err != nil {
		return err
	}
	if err := checkCaseID(member(path, "caseId"), caseID); err != nil {
		return err
	}
	if !kind.Valid() {
		return fail(member(path, "kind"), "is not a known outbox kind")
	}
	return nil
}

// Validate checks an outbox item.
func (it OutboxItem) Validate() error { return invalid(it.check("")) }

func (it OutboxItem) check(path string) error {
	if err := checkItemHead(path, it.IdempotencyKey, it.CaseID, it.Kind); err != nil {
		return err
	}
	if err := checkTime(member(path, "at"), it.At); err != nil {
		return err
	}
	isStatus := it.Kind == OutboxStatus
	switch {
	case it.Kind == OutboxAssignment && it.Message != nil:
		return fail(member(path, "message"), "must be set for answer, partial-answer, counter-question and case.initiated, and only then")
	case it.Kind != OutboxAssignment && isStatus == (it.Message != nil):
		return fail(member(path, "message"), "must be set for answer, partial-answer, counter-question and case.initiated, and only then")
	case isStatus != (it.Status != ""):
		return fail(member(path, "status"), "must be set for status and only then")
	case isStatus && !it.Status.Valid():
		return fail(member(path, "status"), "is not a known case status")
	case (it.Kind == OutboxCaseInitiated) != (it.Case != nil):
		return fail(member(path, "case"), "must be set for case.initiated and only then")
	}
	if it.Case != nil {
		if err := it.Case.check(member(path, "case")); err != nil {
			return err
		}
	}
	if it.Message != nil {
		return it.Message.check(member(path, "message"))
	}
	return nil
}

// Validate checks a case a unit started.
func (c InitiatedCase) Validate() error { return invalid(c.check("")) }

func (c InitiatedCase) check(path string) error {
	if err := checkTypeName(member(path, "type"), c.Type); err != nil {
		return err
	}
	if err := checkPNR(member(path, "patientPnr"), c.PatientPNR); err != nil {
		return err
	}
	if err := checkLine(member(path, "patientName"), c.PatientName, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkLine(member(path, "subject"), c.Subject, MaxLabelLen, true); err != nil {
		return err
	}
	if hsaid.Contains(c.Subject) {
		return fail(member(path, "subject"), "must not name staff by HSA-ID")
	}
	return nil
}

// Validate checks a batch: 1..MaxOutboxItems valid items with distinct
// idempotency keys.
func (b OutboxBatch) Validate() error { return invalid(b.check()) }

func (b OutboxBatch) check() error { return b.checkIn(false) }

// checkIn checks the batch as version 2's items (v2) or version 1's.
func (b OutboxBatch) checkIn(v2 bool) error {
	if len(b.Items) == 0 || len(b.Items) > MaxOutboxItems {
		return failf("items", "must hold 1 to %d items", MaxOutboxItems)
	}
	keys := make(map[string]bool, len(b.Items))
	for i, it := range b.Items {
		path := index("items", i)
		if err := it.check(path); err != nil {
			return err
		}
		if it.Kind == OutboxAssignment && !v2 {
			return fail(member(path, "kind"), "is assignment, which only version 2's outbox takes (its assignee in the batch's staff)")
		}
		if keys[it.IdempotencyKey] {
			return fail(member(path, "idempotencyKey"), "repeats an earlier item's key")
		}
		keys[it.IdempotencyKey] = true
	}
	return nil
}

// Validate checks one item's result: a Problem exactly when rejected.
func (r ItemResult) Validate() error { return invalid(r.check("")) }

func (r ItemResult) check(path string) error {
	if err := checkToken(member(path, "idempotencyKey"), r.IdempotencyKey); err != nil {
		return err
	}
	return checkOutcome(path, r.Status, r.Problem)
}

// checkOutcome is the rule every per-item result shares: a known status,
// and a Problem exactly when rejected.
func checkOutcome(path string, status ItemStatus, problem *Problem) error {
	if !status.Valid() {
		return fail(member(path, "status"), "is not a known item status")
	}
	if (status == ItemRejected) != (problem != nil) {
		return fail(member(path, "problem"), "must be set for rejected and only then")
	}
	if problem != nil {
		return problem.check(member(path, "problem"))
	}
	return nil
}

// Validate checks a result on its own: 1..MaxOutboxItems valid results with
// distinct keys. Matches checks it against the batch.
func (r OutboxResult) Validate() error { return invalid(r.check()) }

func (r OutboxResult) check() error {
	if len(r.Results) == 0 || len(r.Results) > MaxOutboxItems {
		return failf("results", "must hold 1 to %d results", MaxOutboxItems)
	}
	keys := make(map[string]bool, len(r.Results))
	for i, x := range r.Results {
		path := index("results", i)
		if err := x.check(path); err != nil {
			return err
		}
		if keys[x.IdempotencyKey] {
			return fail(member(path, "idempotencyKey"), "repeats an earlier result's key")
		}
		keys[x.IdempotencyKey] = true
	}
	return nil
}

// Matches checks that r answers b: one result per item, in the same order,
// with the same keys. The gateway calls it on every result, after
// DecodeOutboxResult.
func (r OutboxResult) Matches(b OutboxBatch) error {
	if len(r.Results) != len(b.Items) {
		return invalid(failf("results", "has %d results for %d items", len(r.Results), len(b.Items)))
	}
	for i := range r.Results {
		if r.Results[i].IdempotencyKey != b.Items[i].IdempotencyKey {
			return invalid(fail(index("results", i)+".idempotencyKey", "is not the key of the item in the same place"))
		}
	}
	return nil
}

// Validate checks a form set: at most MaxForms valid forms with distinct
// ids.
func (s FormSet) Validate() error { return invalid(s.check()) }

func (s FormSet) check() error {
	if len(s.Forms) > MaxForms {
		return failf("forms", "has more than %d forms", MaxForms)
	}
	ids := make(map[string]bool, len(s.Forms))
	for i, f := range s.Forms {
		path := index("forms", i)
		if err := f.check(path); err != nil {
			return err
		}
		if ids[f.ID] {
			return fail(member(path, "id"), "repeats an earlier form's id")
		}
		ids[f.ID] = true
	}
	return nil
}

// Validate checks a form: its id, version, texts and fields; field names
// distinct; options only (and always) on select and radio fields, with
// distinct values; each ShowIf naming an earlier select, radio or checkbox
// field and one of its values.
func (f Form) Validate() error { return invalid(f.check("")) }

func (f Form) check(path string) error {
	if err := checkTypeName(member(path, "id"), f.ID); err != nil {
		return err
	}
	if f.Version < 1 || f.Version > MaxFormVersion {
		return failf(member(path, "version"), "must be between 1 and %d", MaxFormVersion)
	}
	if err := f.Title.check(member(path, "title"), MaxLabelLen, true, false); err != nil {
		return err
	}
	if err := f.Intro.check(member(path, "intro"), MaxHelpLen, false, true); err != nil {
		return err
	}
	if len(f.Fields) > MaxFormFields {
		return failf(member(path, "fields"), "has more than %d fields", MaxFormFields)
	}
	byName := make(map[string]*FormField, len(f.Fields))
	for i := range f.Fields {
		ff := &f.Fields[i]
		p := index(member(path, "fields"), i)
		if err := ff.check(p); err != nil {
			return err
		}
		if byName[ff.Name] != nil {
			return fail(member(p, "name"), "repeats an earlier field's name")
		}
		if c := ff.ShowIf; c != nil {
			if err := c.check(member(p, "showIf"), byName); err != nil {
				return err
			}
		}
		byName[ff.Name] = ff
	}
	return nil
}

// Validate checks a form field on its own; Form.Validate also checks its
// ShowIf against the fields before it.
func (ff FormField) Validate() error { return invalid(ff.check("")) }

func (ff FormField) check(path string) error {
	if err := checkToken(member(path, "name"), ff.Name); err != nil {
		return err
	}
	if err := ff.Label.check(member(path, "label"), MaxLabelLen, true, false); err != nil {
		return err
	}
	if err := ff.Help.check(member(path, "help"), MaxHelpLen, false, true); err != nil {
		return err
	}
	if !ff.Kind.Valid() {
		return fail(member(path, "kind"), "is not a known field kind")
	}
	choice := ff.Kind == FieldSelect || ff.Kind == FieldRadio
	switch {
	case choice && (len(ff.Options) == 0 || len(ff.Options) > MaxOptions):
		return failf(member(path, "options"), "a select or radio field must have 1 to %d options", MaxOptions)
	case !choice && len(ff.Options) > 0:
		return fail(member(path, "options"), "only select and radio fields have options")
	}
	values := make(map[string]bool, len(ff.Options))
	for i, o := range ff.Options {
		p := index(member(path, "options"), i)
		if err := checkToken(member(p, "value"), o.Value); err != nil {
			return err
		}
		if err := o.Label.check(member(p, "label"), MaxLabelLen, true, false); err != nil {
			return err
		}
		if values[o.Value] {
			return fail(member(p, "value"), "repeats an earlier option's value")
		}
		values[o.Value] = true
	}
	if ff.ShowIf != nil {
		if err := checkToken(member(path, "showIf.field"), ff.ShowIf.Field); err != nil {
			return err
		}
		if err := checkToken(member(path, "showIf.equals"), ff.ShowIf.Equals); err != nil {
			return err
		}
	}
	return nil
}

// check checks a condition against the fields before it, by name.
func (c Condition) check(path string, before map[string]*FormField) error {
	ref := before[c.Field]
	if ref == nil {
		return fail(member(path, "field"), "does not name an earlier field")
	}
	switch ref.Kind {
	case FieldCheckbox:
		if c.Equals != "true" && c.Equals != "false" {
			return fail(member(path, "equals"), `must be "true" or "false" for a checkbox`)
		}
	case FieldSelect, FieldRadio:
		for _, o := range ref.Options {
			if o.Value == c.Equals {
				return nil
			}
		}
		return fail(member(path, "equals"), "is not one of the field's option values")
	default:
		return fail(member(path, "field"), "names a field that is not select, radio or checkbox")
	}
	return nil
}

// Validate checks a stream message: a known type; Seq 0..MaxSeq for hello
// and 1..MaxSeq for events.
func (m StreamMessage) Validate() error {
	if !m.Type.Valid() {
		return invalid(fail("type", "is not a known stream message type"))
	}
	min := uint64(1)
	if m.Type == StreamHello || m.Type == StreamBooking {
		min = 0
	}
	return invalid(checkSeq("seq", m.Seq, min))
}

// Validate checks a problem: Type a URI reference, Status 0 or 400..599,
// Title single-line, Detail text and Instance a URI reference, each within
// its limit.
func (p Problem) Validate() error { return invalid(p.check("")) }

func (p Problem) check(path string) error {
	if err := checkURIRef(member(path, "type"), p.Type, true); err != nil {
		return err
	}
	if err := checkLine(member(path, "title"), p.Title, MaxProblemTitleLen, false); err != nil {
		return err
	}
	if p.Status != 0 && (p.Status < 400 || p.Status > 599) {
		return fail(member(path, "status"), "must be an HTTP error status, 400 to 599")
	}
	if err := checkMultiline(member(path, "detail"), p.Detail, MaxProblemDetailLen, false); err != nil {
		return err
	}
	return checkURIRef(member(path, "instance"), p.Instance, false)
}
