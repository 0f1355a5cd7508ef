package fhirapi_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"clinicgw/agent/cases"
)

// etagOf is the ETag in curl's headers.
func etagOf(r reply) string {
	for l := range strings.SplitSeq(r.header, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "ETag") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// versionID is a resource's meta.versionId.
func versionID(t *testing.T, r reply) string {
	t.Helper()
	meta, _ := r.decode(t)["meta"].(map[string]any)
	v, _ := meta["versionId"].(string)
	return v
}

// TestTaskVersions: a Task read has an ETag W/"n" with n its
// meta.versionId; PATCH with If-Match of a stale version is a 412
// OperationOutcome that changes nothing, with the current one a 200 whose
// ETag is the new version; without If-Match it is taken (FHIR lets a
// server allow that); a malformed If-Match is a 400.
func TestTaskVersions(t *testing.T) {
	f := newFixture(t, 4, 6000)
	f.writeDirectory(false)
	id := string(f.cases[3].ID) // answered
	r := f.curl("record", "/Task/"+id)
	tag, v := etagOf(r), versionID(t, r)
	if v == "" || tag != `W/"`+v+`"` {
		t.Fatalf("Task read: ETag %q, meta.versionId %q", tag, v)
	}
	ref := func(n string) string {
		return `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:x", "value": "` + n + `"}}]`
	}
	stale := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", `If-Match: W/"1"`, "--data", ref("stale"))
	if stale.status != 412 || stale.decode(t)["resourceType"] != "OperationOutcome" {
		t.Fatalf("a stale If-Match: %d %s", stale.status, stale.body)
	}
	validate(t, "task-stale", stale.body)
	bad := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", `If-Match: yesterday`, "--data", ref("bad"))
	if bad.status != 400 {
		t.Errorf("a malformed If-Match: %d %s", bad.status, bad.body)
	}
	ok := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", "If-Match: "+tag, "--data", ref("fresh"))
	if ok.status != 200 || etagOf(ok) == tag || etagOf(ok) != `W/"`+versionID(t, ok)+`"` {
		t.Fatalf("the current If-Match: %d ETag %q %s", ok.status, etagOf(ok), ok.body)
	}
	if r := f.patch("record", "/Task/"+id, ref("no-if-match")); r.status != 200 {
		t.Errorf("without If-Match: %d %s", r.status, r.body)
	}
	got, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), cases.ID(id))
	for _, x := range got.Refs {
		if x.Value == "stale" || x.Value == "bad" {
			t.Errorf("a refused patch attached %q", x.Value)
		}
	}
	// Marked handled with a stale version, though already closed: 412 too.
	closeIt := `[{"op": "replace", "path": "/status", "value": "completed"}]`
	if r := f.curl("record", "/Task/"+id, "-X", "PATCH", "-H", "Content-Type: application/json-patch+json", "-H", "If-Match: "+tag, "--data", closeIt); r.status != 412 {
		t.Errorf("close with a stale If-Match: %d %s", r.status, r.body)
	}
}

// TestTaskPatchRace: two systems PATCH one Task with If-Match of the
// version both read, at once, over mutual TLS: exactly one gets 2xx, the
// other 412, and only the winner's reference is on the case.
func TestTaskPatchRace(t *testing.T) {
	f := newFixture(t, 4, 6000)
	f.writeDirectory(false)
	for round := range 5 {
		id := string(f.cases[round%4].ID)
		tag := etagOf(f.curl("record", "/Task/"+id))
		var wg sync.WaitGroup
		start := make(chan struct{})
		status := make([]int, 2)
		for i, who := range []string{"record", "writer"} {
			c := f.client(who)
			wg.Go(func() {
				body := `[{"op": "add", "path": "/identifier/-", "value": {"system": "urn:x", "value": "` + who + strconv.Itoa(round) + `"}}]`
				req, err := http.NewRequest("PATCH", f.url+"/Task/"+id, strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json-patch+json")
				req.Header.Set("If-Match", tag)
				<-start
				res, err := c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				status[i] = res.StatusCode
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, s := range status {
			if s == 200 || s == 204 {
				won++
			} else if s != 412 {
				t.Errorf("round %d: status %d", round, s)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: statuses %v, want exactly one 2xx and one 412", round, status)
		}
		got, _ := f.svc.Get(context.Background(), cases.IntegrationActor(record), cases.ID(id))
		n := 0
		for _, x := range got.Refs {
			if x.System == "urn:x" {
				n++
			}
		}
		if n != round/4+1 {
			t.Errorf("round %d: %d references on the case, want %d", round, n, round/4+1)
		}
	}
}
