package agent_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// clinician2 is a second clinician, for reassignments.
var clinician2 = cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-C002", Roles: []cases.Role{cases.Clinician}}

// caseState is what staff and patients see of a case: compared before the
// store is destroyed and after it is restored and reconciled.
type caseState struct {
	Status      cases.Status
	Assignee    string // the clinician's HSA-ID
	InitiatedBy string // the HSA-ID of whom started it, for a case staff started
	Messages    []msgState
}

type msgState struct {
	ID, Kind, Author, Text, Signature, Title string
	At                                       time.Time
}

// TestGatewayRestoreReconciles is the gateway-restore scenario of issue 16:
// a gateway syncing with the reference central store over mutual TLS is
// backed up; it keeps working (new cases arrive, staff answer, ask back,
// answer in part, close, start a case with a patient; the central store
// confirms all of it); the store is destroyed and restored from the
// backup. At its next start the gateway pulls the cases after the backup
// again and gets back its own confirmed items, so that every case has the
// status and the messages it had before, nothing twice at the gateway or
// on the patient pages, the history and the access log say what came back
// from the central store, and the gateway's own restore is not taken for a
// central store that went back in time.
func TestGatewayRestoreReconciles(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	cfg := gatewayDir(t, p, c.url, nil)
	ctx := t.Context()
	submit := func() string {
		id, err := c.store.Submit(ctx, unit, central.Submission{PatientPNR: patientPNR, PatientName: patientName,
			FormID: string(casetype.RenewPrescription), Text: caseText, Fields: []wire.Field{{Name: "medicine", Value: "Kanarin 5 mg"}}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := startAgent(t, cfg, agent.Options{Uplink: fast})
	arrived := func(a *agent.Agent, ids ...string) func() bool {
		return func() bool {
			for _, id := range ids {
				if _, err := a.Cases().Get(ctx, distributor, cases.ID(id)); err != nil {
					return false
				}
			}
			return true
		}
	}
	do := func(id string, actor cases.Actor, cmd cases.Command) {
		t.Helper()
		if _, err := a.Cases().Do(ctx, actor, cases.ID(id), cmd); err != nil {
			t.Fatalf("%s %s: %v", cmd.Action, id, err)
		}
	}
	assign := func(id string) { do(id, distributor, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}) }
	reassign := func(id string, to cases.Actor) {
		do(id, distributor, cases.Command{Action: cases.Reassign, Assignee: to.HSAID})
	}
	answer := func(id string, action cases.Action, text string) {
		do(id, clinician, cases.Command{Action: action, Text: text, Signature: "Doris Doktor", AuthorTitle: "Distriktsläkare"})
	}
	confirmed := func() bool {
		st, ok := a.Uplink()
		if !ok || st.OutboxDepth != 0 {
			return false
		}
		pending, err := a.Cases().PendingOutbound(ctx, 10)
		return err == nil && len(pending) == 0
	}

	// Before the backup: six cases, one answered and confirmed, three
	// assigned.
	caseA, caseB, caseC, caseG, caseH, caseI := submit(), submit(), submit(), submit(), submit(), submit()
	waitFor(t, "the first cases", arrived(a, caseA, caseB, caseC, caseG, caseH, caseI))
	assign(caseA)
	answer(caseA, cases.SendAnswer, answerText+" A")
	assign(caseG)
	assign(caseH)
	assign(caseI)
	waitFor(t, "the first answer confirmed", confirmed)
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := store.WriteBackup(backup, func(w io.Writer) (store.Manifest, error) { return a.Store().Backup(ctx, w, nil, nil) }); err != nil {
		t.Fatal(err)
	}

	// After the backup: staff keep working; the central store confirms it all.
	caseD, caseE := submit(), submit()
	waitFor(t, "the cases after the backup", arrived(a, caseD, caseE))
	do(caseA, distributor, cases.Command{Action: cases.Close})
	assign(caseB)
	answer(caseB, cases.SendAnswer, answerText+" B")
	assign(caseD)
	answer(caseD, cases.SendCounter, "Kanariefråga D")
	assign(caseE)
	answer(caseE, cases.SendPartial, "Kanariedelsvar E")
	assign(caseC) // assigned after the backup, not answered: only a status item says so
	// Reassignments after the backup change no status: only an assignment
	// item says so. G goes to another clinician; H goes to another, who
	// answers in part, and back to the first; I goes to another and is
	// taken back by the message administrator into the inbox.
	reassign(caseG, clinician2)
	reassign(caseH, clinician2)
	do(caseH, clinician2, cases.Command{Action: cases.SendPartial, Text: "Kanariedelsvar H", Signature: "Kim Kollega", AuthorTitle: "Sjuksköterska"})
	reassign(caseH, clinician)
	reassign(caseI, clinician2)
	do(caseI, distributor, cases.Command{Action: cases.TakeBack})
	started, err := a.Cases().Initiate(ctx, clinician, cases.InitiateRequest{Patient: cases.Person{PNR: personnummer.Personnummer(patientPNR), Name: patientName},
		Type: casetype.AdviceNurse, Subject: "Kanarieprover", Text: "Kanarie: dina prover är klara", Signature: "Doris Doktor",
		AuthorTitle: "Distriktsläkare", ReplyAllowed: true})
	if err != nil {
		t.Fatal(err)
	}
	caseF := string(started.ID)
	waitFor(t, "everything confirmed by the central store", confirmed)
	all := []string{caseA, caseB, caseC, caseD, caseE, caseF, caseG, caseH, caseI}
	want := statesOf(t, a, all)
	staffOnPages := staffMessagesOnPages(t, c, all)

	// The store is lost and restored from the backup.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.StorePath(), bytes.Repeat([]byte{0}, 65536), 0o600); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(cfg.KeyFilePath())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Restore(ctx, cfg.StorePath(), backup, kek, store.Options{Unit: unit}, nil); err != nil {
		t.Fatal(err)
	}
	a = startAgent(t, cfg, agent.Options{Uplink: fast})
	var got map[string]caseState
	deadline := time.Now().Add(20 * time.Second)
	for {
		got = statesOf(t, a, all)
		if reflect.DeepEqual(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range all {
		if !reflect.DeepEqual(got[id], want[id]) {
			t.Errorf("case %s after the restore:\n got %+v\nwant %+v", id, got[id], want[id])
		}
	}
	list, err := a.Cases().List(ctx, distributor, cases.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(all) {
		t.Errorf("the gateway holds %d cases after the restore, want %d", len(list), len(all))
	}
	waitFor(t, "the outbox empty after the restore", confirmed)
	if after := staffMessagesOnPages(t, c, all); !reflect.DeepEqual(after, staffOnPages) {
		t.Errorf("staff messages on the patient pages: before the restore %v, after %v", staffOnPages, after)
	}
	st, _ := a.Uplink()
	if st.Continuity != "" || st.Reconciliations != 0 {
		t.Errorf("the gateway's own restore was taken for a central store that went back: continuity %q, reconciliations %d", st.Continuity, st.Reconciliations)
	}
	// The history of a case answered after the backup says the answer came
	// back from the central store; the access log has a system record of it.
	cb, err := a.Cases().Get(ctx, distributor, cases.ID(caseB))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(cb.History, func(e cases.Event) bool {
		return e.Action == cases.RecoverFromCentral && e.Actor == string(cases.System)
	}) {
		t.Errorf("case B's history does not say its answer came back from the central store: %+v", cb.History)
	}
	recs, err := a.Store().AuditOfCases(ctx, []cases.ID{cases.ID(caseB)})
	if err != nil {
		t.Fatal(err)
	}
	recovered := 0
	for _, r := range recs[cases.ID(caseB)] {
		if r.Entry.Action == string(cases.RecoverFromCentral) && r.Entry.Actor == string(cases.System) && r.Entry.Outcome == audit.Allowed {
			recovered++
		}
	}
	if recovered == 0 {
		t.Errorf("the access log has no system record of what came back from the central store")
	}
	// The restore is reconciled for good: a restart fetches nothing again.
	if rf, ok, err := a.Store().RestoredFrom(); err != nil || !ok || rf.ReconciledAt.IsZero() {
		t.Errorf("the restore is not recorded as reconciled: %+v %v %v", rf, ok, err)
	}
}

// statesOf reads what staff see of each case.
func statesOf(t *testing.T, a *agent.Agent, ids []string) map[string]caseState {
	t.Helper()
	out := map[string]caseState{}
	for _, id := range ids {
		c, err := a.Cases().Get(t.Context(), distributor, cases.ID(id))
		if errors.Is(err, cases.ErrNotFound) {
			out[id] = caseState{Status: "(missing)"}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		s := caseState{Status: c.Status, Assignee: c.Assignee, InitiatedBy: c.InitiatedBy}
		for _, m := range c.Messages {
			s.Messages = append(s.Messages, msgState{m.ID, string(m.Kind), m.Author, m.Text, m.Signature, m.AuthorTitle, m.At.UTC().Truncate(time.Millisecond)})
		}
		out[id] = s
	}
	return out
}

// staffMessagesOnPages counts the unit's messages on the patient's pages
// per case.
func staffMessagesOnPages(t *testing.T, c *testCentral, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		pc, err := c.store.PatientCase(t.Context(), patientPNR, id)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = pc.StaffMessages()
	}
	return out
}
