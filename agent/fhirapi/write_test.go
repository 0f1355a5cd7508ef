package fhirapi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/sync/wire/personnummer"
)

// writeDirectory gives record read-cases and write-messages and writer
// write-messages, plus start-relationship when start is true.
func (f *fixture) writeDirectory(start bool) {
	f.t.Helper()
	writerMay := `["write-messages"]`
	if start {
		writerMay = `["write-messages", "start-relationship"]`
	}
	js := strings.Replace(directoryJSON, `"may": ["read-cases"]}`, `"may": ["read-cases", "write-messages"], "signature": "Journalsystemet\nVårdcentralen Test"}`, 1)
	js = strings.Replace(js, `"may": ["write-messages"]}`, `"may": `+writerMay+`}`, 1)
	d, err := directory.Parse(strings.NewReader(js))
	if err != nil {
		f.t.Fatal(err)
	}
	f.dirs.set(d)
}

// send sends body with method and content type, from a file (a large
// body does not fit on a command line).
func (f *fixture) send(cert, path, method, ctype, body string) reply {
	f.t.Helper()
	file := filepath.Join(f.dir, "body.json")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		f.t.Fatal(err)
	}
	return f.curl(cert, path, "-X", method, "-H", "Content-Type: "+ctype, "--data-binary", "@"+file)
}

// postRaw sends body, FHIR JSON text.
func (f *fixture) postRaw(cert, path, body string) reply {
	f.t.Helper()
	return f.send(cert, path, "POST", "application/fhir+json", body)
}

// patch sends a JSON Patch.
func (f *fixture) patch(cert, path, body string) reply {
	f.t.Helper()
	return f.send(cert, path, "PATCH", "application/json-patch+json", body)
}

// onCase is a Communication on case id with the system's identifier.
func onCase(id cases.ID, ident, text string) string {
	return fmt.Sprintf(`{"resourceType": "Communication", "identifier": [{"system": "urn:oid:1.2.752.0.99.1", "value": %q}],
	 "status": "completed", "partOf": [{"reference": "Task/%s"}],
	 "category": [{"coding": [{"system": "urn:clinicgw:message-kind", "code": "answer"}]}],
	 "payload": [{"contentString": %q}]}`, ident, id, text)
}

// startCase is a Communication that starts a case with pnr.
func startCase(pnr personnummer.Personnummer, ident string) string {
	return fmt.Sprintf(`{"resourceType": "Communication", "identifier": [{"system": "urn:oid:1.2.752.0.99.2", "value": %q}],
	 "status": "completed", "subject": {"identifier": {"system": "urn:oid:1.2.752.129.2.1.3.1", "value": %q}},
	 "topic": {"coding": [{"system": "urn:clinicgw:case-type", "code": "contact-me"}], "text": "Kallelse till kontroll"},
	 "extension": [{"url": "urn:clinicgw:reply-allowed", "valueBoolean": false}],
	 "payload": [{"contentString": "Välkommen på årskontroll."}]}`, ident, string(pnr))
}

// TestPostCommunication: a system's message on a case is sent once per
// its identifier, with the system's signature, through the outbox; a
// retry gets the same Communication (200); the identifier with another
// text is 409; each Communication is valid FHIR.
func TestPostCommunication(t *testing.T) {
	f := newFixture(t, 2, 600)
	f.writeDirectory(false)
	id := f.cases[0].ID
	r := f.postRaw("record", "/Communication", onCase(id, "note-1", "Provsvaren är normala."))
	if r.status != 201 || !strings.Contains(r.header, "/Communication/"+string(id)+"-1") {
		t.Fatalf("post: %d %s\n%s", r.status, r.header, r.body)
	}
	validate(t, "communication-created", r.body)
	cm := r.decode(t)
	if !strings.Contains(fmt.Sprint(cm["payload"]), "Journalsystemet") || !strings.Contains(fmt.Sprint(cm["identifier"]), "note-1") {
		t.Errorf("the message lacks the signature or the client's identifier: %s", r.body)
	}
	again := f.postRaw("record", "/Communication", onCase(id, "note-1", "Provsvaren är normala."))
	if again.status != 200 || again.decode(t)["id"] != cm["id"] {
		t.Errorf("retry: %d %s", again.status, again.body)
	}
	validate(t, "communication-retry", again.body)
	other := f.postRaw("record", "/Communication", onCase(id, "note-1", "Något annat."))
	if other.status != 409 {
		t.Errorf("the identifier with another text: %d %s", other.status, other.body)
	}
	validate(t, "communication-reused", other.body)
	out, err := f.svc.PendingOutbound(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	answers := 0
	for _, o := range out {
		if o.Kind == cases.OutboundAnswer {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("%d answers queued for the patient, want 1", answers)
	}
	task := f.curl("record", "/Task/"+string(id))
	if task.decode(t)["status"] != "completed" {
		t.Errorf("the answered case: %s", task.body)
	}
	// On a case of another patient named as subject: refused, nothing sent.
	wrong := strings.Replace(onCase(f.cases[1].ID, "note-2", "Hej."), `"payload"`,
		`"subject": {"identifier": {"system": "urn:oid:1.2.752.129.2.1.3.1", "value": "191212121212"}}, "payload"`, 1)
	if r := f.postRaw("record", "/Communication", wrong); r.status != 422 {
		t.Errorf("subject not the case's patient: %d %s", r.status, r.body)
	}
	if c, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), f.cases[1].ID); len(c.Messages) != 1 {
		t.Errorf("a refused message was sent: %d messages", len(c.Messages))
	}
}

// TestStartCaseByCommunication: a Communication without partOf starts a
// case with a patient the unit knows; a stranger only for a system with
// start-relationship.
func TestStartCaseByCommunication(t *testing.T) {
	f := newFixture(t, 1, 600)
	f.writeDirectory(false)
	r := f.postRaw("writer", "/Communication", startCase(f.adult, "kallelse-1"))
	if r.status != 201 || !strings.Contains(r.header, "/Communication/") {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	validate(t, "communication-start", r.body)
	if m := r.decode(t); m["resourceType"] != "OperationOutcome" || strings.Contains(string(r.body), string(f.adult)) {
		t.Errorf("a system that may not read cases got patient data back: %s", r.body)
	}
	// One that may read them gets the Communication.
	r = f.postRaw("record", "/Communication", strings.Replace(startCase(f.adult, "kallelse-r"), "99.2", "99.7", 1))
	if r.status != 201 || r.decode(t)["resourceType"] != "Communication" {
		t.Fatalf("start by the record system: %d %s", r.status, r.body)
	}
	validate(t, "communication-start-read", r.body)
	stranger := personnummer.Synthetic(time.Date(1990, 1, 2, 0, 0, 0, 0, time.UTC), 990)
	r = f.postRaw("writer", "/Communication", startCase(stranger, "kallelse-2"))
	if r.status != 403 {
		t.Errorf("a patient with no case here: %d %s", r.status, r.body)
	}
	validate(t, "communication-stranger", r.body)
	if strings.Contains(string(r.body), string(stranger)) {
		t.Errorf("the refusal repeats the personnummer")
	}
	f.writeDirectory(true)
	if r := f.postRaw("writer", "/Communication", startCase(stranger, "kallelse-2")); r.status != 201 {
		t.Errorf("with start-relationship: %d %s", r.status, r.body)
	}
	found, err := f.svc.SearchPatient(context.Background(), cases.IntegrationActor(record), stranger)
	if err != nil || len(found) != 1 || found[0].InitiatedBy != writer || !found[0].NoReply {
		t.Errorf("the started case: %v, %v", found, err)
	}
}

// TestPatchTask: a record system marks an answered case handled and
// attaches its reference, shown in Task.identifier; an open case is
// refused with nothing changed; a retry changes nothing more.
func TestPatchTask(t *testing.T) {
	f := newFixture(t, 4, 600)
	f.writeDirectory(false)
	answered, open := f.cases[3].ID, f.cases[0].ID
	patch := `[{"op": "replace", "path": "/status", "value": "completed"},
	           {"op": "add", "path": "/identifier/-", "value": {"system": "urn:oid:1.2.752.0.99.3", "value": "note-4711"}}]`
	r := f.patch("record", "/Task/"+string(answered), patch)
	if r.status != 200 {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	validate(t, "task-patched", r.body)
	task := r.decode(t)
	if task["status"] != "completed" || !strings.Contains(fmt.Sprint(task["businessStatus"]), "closed") ||
		!strings.Contains(fmt.Sprint(task["identifier"]), "note-4711") {
		t.Errorf("the patched Task: %s", r.body)
	}
	before, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), answered)
	if r := f.patch("record", "/Task/"+string(answered), patch); r.status != 200 {
		t.Errorf("again: %d %s", r.status, r.body)
	}
	after, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), answered)
	if after.Version != before.Version || len(after.Refs) != 1 {
		t.Errorf("a retry changed the case: version %d → %d, %d refs", before.Version, after.Version, len(after.Refs))
	}
	r = f.patch("record", "/Task/"+string(open), patch)
	if r.status != 422 {
		t.Errorf("an open case marked handled: %d %s", r.status, r.body)
	}
	validate(t, "task-open", r.body)
	if c, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), open); len(c.Refs) != 0 || c.Status != cases.Received {
		t.Errorf("a refused patch changed the case: %+v", c)
	}
	for name, body := range map[string]string{
		"another status":    `[{"op": "replace", "path": "/status", "value": "cancelled"}]`,
		"another path":      `[{"op": "replace", "path": "/owner", "value": "x"}]`,
		"remove":            `[{"op": "remove", "path": "/status"}]`,
		"our own namespace": `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:clinicgw:case-id", "value": "x"}}]`,
	} {
		if r := f.patch("record", "/Task/"+string(open), body); r.status != 422 {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	recs, err := f.svc.AccessLogByActor(context.Background(), cases.StaffActor(clinician, []string{"auditor"}), record)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, rec := range recs {
		actions = append(actions, rec.Entry.Action+"/"+string(rec.Entry.Outcome))
	}
	for _, want := range []string{"close/ok", "attach-reference/ok"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %s in the system's access log: %v", want, actions)
		}
	}
}

// TestWriteRefusals: a read-only system's write, a malformed, oversized
// or unsupported resource: each a 4xx OperationOutcome, nothing changed.
func TestWriteRefusals(t *testing.T) {
	f := newFixture(t, 1, 600)
	id := f.cases[0].ID
	ok := onCase(id, "n-1", "Hej.")
	for _, c := range []struct {
		name, cert, method, path, ctype, body string
		status                                int
		code                                  string
	}{
		{"a read-only system posts", "record", "POST", "/Communication", "application/fhir+json", ok, 403, "forbidden"},
		{"a read-only system patches", "record", "PATCH", "/Task/" + string(id), "application/json-patch+json", `[{"op":"replace","path":"/status","value":"completed"}]`, 403, "forbidden"},
		{"not JSON", "writer", "POST", "/Communication", "application/fhir+json", `{"resourceType": "Communication",`, 400, "structure"},
		{"two values", "writer", "POST", "/Communication", "application/fhir+json", ok + ok, 400, "structure"},
		{"an unknown element", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"status"`, `"priority": "urgent", "status"`, 1), 400, "structure"},
		{"a wrong type", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"status": "completed"`, `"status": 7`, 1), 400, "structure"},
		{"oversized", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, "Hej.", strings.Repeat("a", 200<<10), 1), 413, "too-costly"},
		{"XML", "writer", "POST", "/Communication", "application/fhir+xml", "<Communication/>", 415, "not-supported"},
		{"another resource type", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"Communication"`, `"Task"`, 1), 422, "invalid"},
		{"no identifier", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"identifier"`, `"basedOn": [], "_x"`, 1), 400, "structure"},
		{"two identifiers", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `[{"system"`, `[{"system": "a", "value": "b"}, {"system"`, 1), 422, "invalid"},
		{"an empty identifier", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"value": "n-1"`, `"value": ""`, 1), 422, "invalid"},
		{"no text", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"Hej."`, `"  "`, 1), 422, "invalid"},
		{"a draft", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, `"completed"`, `"preparation"`, 1), 422, "invalid"},
		{"text too long", "writer", "POST", "/Communication", "application/fhir+json", strings.Replace(ok, "Hej.", strings.Repeat("a", 10001), 1), 422, "business-rule"},
		{"another unit's case", "writer", "POST", "/Communication", "application/fhir+json", onCase("01kbz0000000000000000000zz", "n-2", "Hej."), 404, "not-found"},
		{"a patch as FHIR JSON", "writer", "PATCH", "/Task/" + string(id), "application/fhir+json", `{}`, 415, "not-supported"},
		{"a patch not a list", "writer", "PATCH", "/Task/" + string(id), "application/json-patch+json", `{"op":"add"}`, 400, "structure"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f.writeDirectory(false)
			if strings.HasPrefix(c.name, "a read-only") {
				d, _ := directory.Parse(strings.NewReader(directoryJSON))
				f.dirs.set(d)
			}
			r := f.send(c.cert, c.path, c.method, c.ctype, c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, c.status, r.body)
			}
			m := r.decode(t)
			is := m["issue"].([]any)[0].(map[string]any)
			if m["resourceType"] != "OperationOutcome" || is["code"] != c.code || is["diagnostics"] == "" {
				t.Errorf("issue %v, want code %s", is, c.code)
			}
			validate(t, "write-refusal", r.body)
		})
	}
	got, err := f.svc.Get(context.Background(), cases.IntegrationActor(record), id)
	if err != nil || len(got.Messages) != 1 || got.Status != cases.Received || len(got.Refs) != 0 {
		t.Errorf("a refused write changed the case: %+v %v", got, err)
	}
	if out, _ := f.svc.PendingOutbound(context.Background(), 10); len(out) != 0 {
		t.Errorf("a refused write queued %d items for the patient", len(out))
	}
	if !strings.Contains(f.logs.String(), "api request refused: permission") || !strings.Contains(f.logs.String(), record) {
		t.Errorf("the read-only system's write is not in the log:\n%s", f.logs)
	}
}
