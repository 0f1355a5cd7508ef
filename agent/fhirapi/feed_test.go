package fhirapi_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
)

// TestChangeFeed: a record system starts the feed, waits on it with a
// long poll, and learns of a new case as soon as it is stored (no
// polling: the poll's 30 s never pass on the test's clock); a token from
// another run of the gateway gets 410.
func TestChangeFeed(t *testing.T) {
	f := newFixture(t, 1, 600)
	start := f.curl("record", "/Task/_changes")
	if start.status != 200 {
		t.Fatalf("start: %d %s", start.status, start.body)
	}
	b := start.decode(t)
	if len(entries(t, b)) != 0 {
		t.Errorf("the start lists %d Tasks, want none", len(entries(t, b)))
	}
	next := strings.TrimPrefix(link(b, "next"), f.url)
	if !strings.Contains(next, "_since=") {
		t.Fatalf("no next link with a token: %s", start.body)
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := exec.Command("curl", "-sS", "--max-time", "120", "--cacert", filepath.Join(f.dir, "root.pem"),
			"--cert", filepath.Join(f.dir, "record.pem"), "--key", filepath.Join(f.dir, "record.key"),
			f.url+next+"&_wait=30").Output()
		done <- result{out, err}
	}()
	c, err := f.svc.Receive(t.Context(), cases.Submission{Type: casetype.AdviceNurse, Patient: cases.Person{PNR: f.adult, Name: "Test Testsson"},
		Text: "Ny fråga.", SubmittedAt: f.clock.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var res result
	select {
	case res = <-done:
	case <-time.After(100 * time.Second): // only keeps a broken test from hanging
		t.Fatal("the long poll did not answer the new case")
	}
	if res.err != nil {
		t.Fatalf("curl: %v", res.err)
	}
	r := reply{status: 200, body: res.out}
	got := entries(t, r.decode(t))
	if len(got) != 1 || got[0]["id"] != string(c.ID) {
		t.Fatalf("the feed answered %v, want the new case %s", got, c.ID)
	}
	validate(t, "changes", res.out)
	after := strings.TrimPrefix(link(r.decode(t), "next"), f.url)
	if r := f.curl("record", strings.Replace(after, "_wait=30", "_wait=0", 1)); r.status != 200 || len(entries(t, r.decode(t))) != 0 {
		t.Errorf("from the next token: %d %s", r.status, r.body)
	}
	if r := f.curl("record", "/Task/_changes?_since=0123456789ab.1"); r.status != 410 {
		t.Errorf("another run's token: %d, want 410: %s", r.status, r.body)
	}
	if r := f.curl("record", "/Task/_changes?_since=x"); r.status != 400 {
		t.Errorf("a malformed token: %d, want 400", r.status)
	}
}
