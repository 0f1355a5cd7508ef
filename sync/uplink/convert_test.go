package uplink

import (
	"crypto/tls"
	"reflect"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

var (
	t1      = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	caseID1 = "01jnmq8h7c0000000000000000"
)

func TestInboundOf(t *testing.T) {
	child, guardian := "201807019830", patients[0]
	events := []wire.Event{
		{Seq: 1, ID: "e1", Kind: wire.EventCaseCreated, CaseID: caseID1, At: t1, Case: &wire.NewCase{
			Type: "advice-nurse", Patient: wire.Person{PNR: child, Name: "Barn"},
			Guardian: &wire.Person{PNR: guardian, Name: "Förälder"},
			Fields:   []wire.Field{{Name: "question", Label: "Fråga", Value: "Feber"}}, Text: "Hej",
		}},
		{Seq: 2, ID: "e2", Kind: wire.EventCaseFollowUp, CaseID: caseID1, At: t1.Add(time.Hour),
			Message: &wire.PatientMessage{ID: "m2", Text: "Igen"}},
		{Seq: 3, ID: "e3", Kind: wire.EventCaseWithdrawn, CaseID: caseID1, At: t1.Add(2 * time.Hour)},
	}
	want := []cases.Inbound{
		{Kind: cases.InboundCreated, EventID: "e1", CaseID: cases.ID(caseID1), At: t1, Submission: &cases.Submission{
			ID: cases.ID(caseID1), Type: casetype.AdviceNurse,
			Patient:  cases.Person{PNR: personnummer.Personnummer(child), Name: "Barn"},
			Guardian: &cases.Person{PNR: personnummer.Personnummer(guardian), Name: "Förälder"},
			Fields:   []cases.Field{{Name: "question", Label: "Fråga", Value: "Feber"}}, Text: "Hej", SubmittedAt: t1,
			TextsChecked: true, // the page's decoder checked the texts
		}},
		{Kind: cases.InboundFollowUp, EventID: "e2", CaseID: cases.ID(caseID1), At: t1.Add(time.Hour), MessageID: "m2", Text: "Igen",
			TextChecked: true}, // the page's decoder checked the text
		{Kind: cases.InboundWithdrawn, EventID: "e3", CaseID: cases.ID(caseID1), At: t1.Add(2 * time.Hour)},
	}
	if got := inboundOf(events); !reflect.DeepEqual(got, want) {
		t.Errorf("inboundOf:\n got %+v\nwant %+v", got, want)
	}
	// The wire's kinds are the case service's.
	for _, k := range []wire.EventKind{wire.EventCaseCreated, wire.EventCaseFollowUp, wire.EventCaseWithdrawn} {
		if !strings.HasPrefix(string(k), "case.") || string(cases.InboundKind(k)) != string(k) {
			t.Errorf("kind %s", k)
		}
	}
	if cases.InboundCreated != cases.InboundKind(wire.EventCaseCreated) || cases.InboundFollowUp != cases.InboundKind(wire.EventCaseFollowUp) ||
		cases.InboundWithdrawn != cases.InboundKind(wire.EventCaseWithdrawn) {
		t.Error("the wire's event kinds and the case service's inbound kinds differ")
	}
}

func TestItemOf(t *testing.T) {
	answer := cases.Outbound{Key: "k1", CaseID: cases.ID(caseID1), Kind: cases.OutboundAnswer, At: t1,
		Status: cases.Answered, MessageID: "m1", Text: "Svar", Signature: "Dr A"}
	status := cases.Outbound{Key: "k2", CaseID: cases.ID(caseID1), Kind: cases.OutboundStatus, At: t1, Status: cases.Assigned}
	initiated := cases.Outbound{Key: "k3", CaseID: cases.ID(caseID1), Kind: cases.OutboundInitiated, At: t1,
		Status: cases.WaitingForPatient, MessageID: "k3", Text: "Hej", Signature: "Dr A", AuthorTitle: "Läkare",
		Initiated: &cases.InitiatedCase{Type: casetype.ContactMe, Patient: cases.Person{PNR: personnummer.Personnummer(patients[0])},
			Subject: "Provsvar", ReplyAllowed: true}}
	for _, tc := range []struct {
		name string
		in   cases.Outbound
		want wire.OutboxItem
		ok   bool
	}{
		{"answer", answer, wire.OutboxItem{IdempotencyKey: "k1", CaseID: caseID1, Kind: wire.OutboxAnswer, At: t1,
			Message: &wire.StaffMessage{ID: "m1", Text: "Svar", Signature: "Dr A", AuthorTitle: neutralTitle}}, true},
		{"answer with a title", func() cases.Outbound { o := answer; o.AuthorTitle = "Distriktssköterska"; return o }(),
			wire.OutboxItem{IdempotencyKey: "k1", CaseID: caseID1, Kind: wire.OutboxAnswer, At: t1,
				Message: &wire.StaffMessage{ID: "m1", Text: "Svar", Signature: "Dr A", AuthorTitle: "Distriktssköterska"}}, true},
		{"status", status, wire.OutboxItem{IdempotencyKey: "k2", CaseID: caseID1, Kind: wire.OutboxStatus, At: t1,
			Status: wire.StatusAssigned}, true},
		{"counter-question", func() cases.Outbound { o := answer; o.Kind = cases.OutboundCounterQuestion; return o }(),
			wire.OutboxItem{IdempotencyKey: "k1", CaseID: caseID1, Kind: wire.OutboxCounterQuestion, At: t1,
				Message: &wire.StaffMessage{ID: "m1", Text: "Svar", Signature: "Dr A", AuthorTitle: neutralTitle}}, true},
		{"case initiated", initiated, wire.OutboxItem{IdempotencyKey: "k3", CaseID: caseID1, Kind: wire.OutboxCaseInitiated, At: t1,
			Message: &wire.StaffMessage{ID: "k3", Text: "Hej", Signature: "Dr A", AuthorTitle: "Läkare"},
			Case:    &wire.InitiatedCase{Type: "contact-me", PatientPNR: patients[0], Subject: "Provsvar", ReplyAllowed: true}}, true},
		{"case initiated, no reply, a name", func() cases.Outbound {
			o := initiated
			in := *o.Initiated
			in.ReplyAllowed, in.Patient.Name = false, "Testa"
			o.Initiated, o.Status = &in, cases.Answered
			return o
		}(), wire.OutboxItem{IdempotencyKey: "k3", CaseID: caseID1, Kind: wire.OutboxCaseInitiated, At: t1,
			Message: &wire.StaffMessage{ID: "k3", Text: "Hej", Signature: "Dr A", AuthorTitle: "Läkare"},
			Case:    &wire.InitiatedCase{Type: "contact-me", PatientPNR: patients[0], PatientName: "Testa", Subject: "Provsvar"}}, true},
		{"case initiated without its case", func() cases.Outbound { o := initiated; o.Initiated = nil; return o }(), wire.OutboxItem{}, false},
		{"case initiated, pnr not 12 digits", func() cases.Outbound {
			o := initiated
			in := *o.Initiated
			in.Patient.PNR = personnummer.Personnummer(patients[0][2:])
			o.Initiated = &in
			return o
		}(), wire.OutboxItem{}, false},
		{"empty answer", func() cases.Outbound { o := answer; o.Text = ""; return o }(), wire.OutboxItem{}, false},
		{"no time", func() cases.Outbound { o := status; o.At = time.Time{}; return o }(), wire.OutboxItem{}, false},
		{"unknown kind", func() cases.Outbound { o := status; o.Kind = "gossip"; return o }(), wire.OutboxItem{}, false},
		{"bad key", func() cases.Outbound { o := status; o.Key = "k 2"; return o }(), wire.OutboxItem{}, false},
	} {
		got, err := itemOf(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v", tc.name, err)
			continue
		}
		if tc.ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// TestNew: New refuses what cannot work, in plain words, and fills in the
// defaults.
func TestNew(t *testing.T) {
	good := func() Config {
		return Config{BaseURL: "https://central.example:8443", Cases: newMemCases(),
			TLS: tlsconf.Client(unitCert(t), testPKI().RootPool(), "", nil)}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no cases", func(c *Config) { c.Cases = nil }},
		{"no TLS", func(c *Config) { c.TLS = nil }},
		{"no client cert", func(c *Config) { c.TLS = tlsconf.Client(tls.Certificate{}, testPKI().RootPool(), "", nil) }},
		{"skips verification", func(c *Config) { c.TLS.InsecureSkipVerify = true }},
		{"no URL", func(c *Config) { c.BaseURL = "" }},
		{"http", func(c *Config) { c.BaseURL = "http://central.example" }},
		{"wss", func(c *Config) { c.BaseURL = "wss://central.example" }},
		{"no host", func(c *Config) { c.BaseURL = "https:///v1" }},
		{"user", func(c *Config) { c.BaseURL = "https://u:p@central.example" }},
		{"query", func(c *Config) { c.BaseURL = "https://central.example?x=1" }},
		{"page too large", func(c *Config) { c.PageSize = wire.MaxInboxLimit + 1 }},
		{"negative page", func(c *Config) { c.PageSize = -1 }},
		{"negative interval", func(c *Config) { c.PollInterval = -time.Second }},
		{"invalid forms", func(c *Config) { c.Forms = &wire.FormSet{Forms: []wire.Form{{ID: "Bad Id"}}} }},
	} {
		cfg := good()
		tc.mod(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted it", tc.name)
		} else if !strings.HasPrefix(err.Error(), "new uplink: ") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	cfg := good()
	cfg.BaseURL = "https://central.example:8443/region/"
	u, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if u.base != "https://central.example:8443/region" || u.wsURL != "wss://central.example:8443/region/v2/stream" {
		t.Errorf("base %s, stream %s", u.base, u.wsURL)
	}
	c := u.cfg
	if c.PageSize != wire.MaxInboxLimit || c.PollInterval != DefaultPollInterval || c.MaxBackoff != DefaultMaxBackoff ||
		c.PushInterval != DefaultPushInterval || c.RequestTimeout != DefaultRequestTimeout ||
		c.Clock == nil || c.Rand == nil || c.Logger == nil {
		t.Errorf("defaults not set: %+v", c)
	}
	if got := u.dialer.TLSClientConfig.NextProtos; !reflect.DeepEqual(got, []string{"http/1.1"}) {
		t.Errorf("stream ALPN %v, want http/1.1 only", got)
	}
	if cfg.TLS.NextProtos[0] != "h2" {
		t.Error("New changed the caller's TLS configuration")
	}
	if j := u.jitter(); j < 0 || j >= 1 {
		t.Errorf("jitter %v", j)
	}
}

// TestStaffOf: whom a queued change names goes beside it as HSA-IDs the
// wire takes; what the wire would refuse is left out, never the item.
func TestStaffOf(t *testing.T) {
	const clin = "SE2321000016-C001"
	for _, tc := range []struct {
		name             string
		author, assignee string
		want             wire.ItemStaff
		ok               bool
	}{
		{"both", clin, clin, wire.ItemStaff{IdempotencyKey: "k", AuthorHSAID: clin, AssigneeHSAID: clin}, true},
		{"assignee only", "", clin, wire.ItemStaff{IdempotencyKey: "k", AssigneeHSAID: clin}, true},
		{"none", "", "", wire.ItemStaff{IdempotencyKey: "k"}, false},
		{"an author the wire refuses", "clin-1", clin, wire.ItemStaff{IdempotencyKey: "k", AssigneeHSAID: clin}, true},
		{"nothing the wire takes", "system", "x y", wire.ItemStaff{IdempotencyKey: "k"}, false},
	} {
		got, ok := staffOf(cases.Outbound{Key: "k", AuthorHSAID: tc.author, AssigneeHSAID: tc.assignee})
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
