package central

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"clinicgw/sync/wire"
)

// TestBadRequests sends every endpoint broken requests: each gets a 4xx
// problem+json and leaves the store exactly as it was (FT4).
func TestBadRequests(t *testing.T) {
	e := newEnv(t)
	id := e.submit(unitA, "Tillstånd före.")
	e.outbox(unitA, answer("seed-1", id, "Första svaret."))
	if st := e.ack(unitA, 1); st != http.StatusNoContent {
		t.Fatal(st)
	}
	validItem := `{"idempotencyKey":"bad-1","caseId":"` + id + `","kind":"answer","at":"2026-03-02T10:00:00Z","message":{"id":"m1","text":"Hej","authorTitle":"Läkare"}}`
	validForms := `{"forms":[{"id":"contact-me","version":1,"title":{"sv":"Kontakta mig"}}]}`
	json := wire.ContentTypeJSON
	type req struct {
		name, method, path, ct string
		body                   []byte
		status                 int
		problem                string
	}
	oversize := func(limit int) []byte {
		return append([]byte(`{"cursor":1`), append(bytes.Repeat([]byte(" "), limit), '}')...)
	}
	var reqs []req
	for _, ep := range []struct {
		method, path string
		limit        int
		valid        string
		wrongType    string
		unknown      string
	}{
		{http.MethodPost, wire.PathInboxAck, wire.MaxAckBytes, `{"cursor":1}`, `{"cursor":"1"}`, `{"cursor":1,"unit":"` + unitB + `"}`},
		{http.MethodPost, wire.PathOutbox, wire.MaxBodyBytes, `{"items":[` + validItem + `]}`, `{"items":{}}`, `{"items":[` + validItem + `],"unit":"x"}`},
		{http.MethodPut, wire.PathForms, wire.MaxBodyBytes, validForms, `{"forms":[{"id":"contact-me","version":"1","title":{"sv":"x"}}]}`, `{"forms":[],"x":1}`},
	} {
		cut := ep.valid[:len(ep.valid)/2]
		badUTF8 := strings.Replace(ep.valid, `{"`, "{\"\xff", 1)
		if ep.path == wire.PathOutbox {
			badUTF8 = strings.Replace(ep.valid, "Hej", "H\xffj", 1)
		}
		reqs = append(reqs,
			req{"oversize", ep.method, ep.path, json, oversize(ep.limit), 413, wire.ProblemBodyTooLarge},
			req{"truncated", ep.method, ep.path, json, []byte(cut), 400, wire.ProblemBadRequest},
			req{"wrong type", ep.method, ep.path, json, []byte(ep.wrongType), 400, wire.ProblemBadRequest},
			req{"unknown member", ep.method, ep.path, json, []byte(ep.unknown), 400, wire.ProblemBadRequest},
			req{"invalid UTF-8", ep.method, ep.path, json, []byte(badUTF8), 400, wire.ProblemBadRequest},
			req{"empty", ep.method, ep.path, json, nil, 400, wire.ProblemBadRequest},
			req{"two values", ep.method, ep.path, json, []byte(ep.valid + ep.valid), 400, wire.ProblemBadRequest},
			req{"not JSON", ep.method, ep.path, "text/plain", []byte(ep.valid), 415, wire.ProblemUnsupportedMediaType},
			req{"unknown version", ep.method, strings.Replace(ep.path, "/v1/", "/v9/", 1), json, []byte(ep.valid), 404, wire.ProblemUnsupportedVersion},
			req{"wrong method", http.MethodDelete, ep.path, json, []byte(ep.valid), 405, wire.ProblemMethodNotAllowed},
		)
	}
	reqs = append(reqs,
		req{"ack zero", http.MethodPost, wire.PathInboxAck, json, []byte(`{"cursor":0}`), 400, wire.ProblemBadRequest},
		req{"ack beyond head", http.MethodPost, wire.PathInboxAck, json, []byte(`{"cursor":2}`), 409, wire.ProblemConflict},
		req{"ack fraction", http.MethodPost, wire.PathInboxAck, json, []byte(`{"cursor":1.5}`), 400, wire.ProblemBadRequest},
		req{"ack case-changed member", http.MethodPost, wire.PathInboxAck, json, []byte(`{"Cursor":1}`), 400, wire.ProblemBadRequest},
		req{"outbox empty batch", http.MethodPost, wire.PathOutbox, json, []byte(`{"items":[]}`), 400, wire.ProblemBadRequest},
		req{"outbox HSA-ID as title", http.MethodPost, wire.PathOutbox, json,
			[]byte(strings.Replace(`{"items":[`+validItem+`]}`, `"Läkare"`, `"SE2321000016-DOC1"`, 1)), 400, wire.ProblemBadRequest},
		req{"forms invalid", http.MethodPut, wire.PathForms, json, []byte(`{"forms":[{"id":"-x","version":1,"title":{"sv":"x"}}]}`), 400, wire.ProblemBadRequest},
		req{"inbox unknown version", http.MethodGet, "/v0/inbox", "", nil, 404, wire.ProblemUnsupportedVersion},
		req{"inbox v10", http.MethodGet, "/v10/inbox", "", nil, 404, wire.ProblemUnsupportedVersion},
		req{"unknown endpoint", http.MethodGet, "/v1/cases", "", nil, 404, wire.ProblemNotFound},
		req{"root", http.MethodGet, "/", "", nil, 404, wire.ProblemNotFound},
		req{"inbox POST", http.MethodPost, wire.PathInbox, json, []byte(`{}`), 405, wire.ProblemMethodNotAllowed},
		req{"stream without upgrade", http.MethodGet, wire.PathStream, "", nil, 400, wire.ProblemBadRequest},
	)

	before := e.dump()
	for _, r := range reqs {
		status, ct, body := e.do(e.api, unitA, r.method, r.path, r.ct, r.body)
		name := r.method + " " + r.path + " " + r.name
		if status != r.status || ct != wire.ContentTypeProblem {
			t.Errorf("%s: %d %s, want %d problem+json: %.200s", name, status, ct, r.status, body)
			continue
		}
		p, err := wire.DecodeProblem(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s: the problem does not decode: %v", name, err)
			continue
		}
		if p.Type != r.problem || p.Status != r.status {
			t.Errorf("%s: problem %s %d, want %s", name, p.Type, p.Status, r.problem)
		}
		if bytes.Contains(body, []byte(id)) || bytes.Contains(body, []byte("Hej")) {
			t.Errorf("%s: the problem repeats the request: %s", name, body)
		}
	}
	if after := e.dump(); after != before {
		t.Errorf("refused requests changed the store:\n%s\n---\n%s", before, after)
	}
	// The valid bodies of the table are accepted, so the refusals above
	// were for the reasons named.
	if st, _, body := e.do(e.api, unitA, http.MethodPost, wire.PathOutbox, json, []byte(`{"items":[`+validItem+`]}`)); st != http.StatusOK {
		t.Errorf("valid outbox: %d %s", st, body)
	}
	if st, _, body := e.do(e.api, unitA, http.MethodPut, wire.PathForms, json, []byte(validForms)); st != http.StatusNoContent {
		t.Errorf("valid forms: %d %s", st, body)
	}
	if st, _, allow := e.doAllow(http.MethodDelete, wire.PathForms); st != http.StatusMethodNotAllowed || allow != "GET, PUT" {
		t.Errorf("DELETE forms: %d Allow %q", st, allow)
	}
}

// doAllow sends a bodiless request as unit A and returns the status and
// the Allow header.
func (e *env) doAllow(method, path string) (int, string, string) {
	req, _ := http.NewRequest(method, e.api.URL+path, nil)
	resp, err := e.client(unitA).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Allow")
}
