package agent_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/fhirapi/fhirtest"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/tlsconf"
)

// recordScript is the region's record system, as an outside client: curl
// with its SITHS function certificate. It follows the change feed from
// the link it is given until a case comes, reads the case (Task) and its
// form answers (QuestionnaireResponse), and answers the patient with a
// Communication under its own identifier, keeping every answer in $OUT.
const recordScript = `#!/bin/sh
set -eu
C="-sS --fail-with-body --max-time 60 --cacert $PKI/root.pem --cert $PKI/record.pem --key $PKI/record.key"
curl $C "$API$1&_wait=30" > "$OUT/01-feed.json"
id=$(sed -n 's/.*"resource":{"resourceType":"Task","id":"\([0-9a-z]*\)".*/\1/p' "$OUT/01-feed.json")
test -n "$id"
curl $C "$API/Task/$id" > "$OUT/02-task.json"
curl $C "$API/QuestionnaireResponse/$id" > "$OUT/03-questionnaireresponse.json"
cat > "$OUT/answer.in" <<EOF
{"resourceType": "Communication",
 "identifier": [{"system": "urn:oid:1.2.752.0.99.1", "value": "anteckning-4711"}],
 "status": "completed", "partOf": [{"reference": "Task/$id"}],
 "category": [{"coding": [{"system": "urn:clinicgw:message-kind", "code": "answer"}]}],
 "payload": [{"contentString": "$ANSWER"}]}
EOF
curl $C -X POST -H "Content-Type: application/fhir+json" --data-binary @"$OUT/answer.in" "$API/Communication" > "$OUT/04-communication.json"
printf %s "$id" > "$OUT/id"
`

const (
	recordHSA   = "SE2321000016-9001"
	apiAnswer   = "Kanariesvar från journalen: vi ringer dig i morgon förmiddag."
	apiCaseText = "Kanarietext: ring mig om provsvaren"
)

// TestAPIEndToEnd: over real mutual TLS, with curl as the record system.
// A patient writes a case on the central store's patient pages; the
// gateway pulls it and the change feed announces it to the record
// system, which reads the Task and the QuestionnaireResponse and posts a
// Communication; the patient sees the message on the patient pages, with
// the system's signature. The access log shows the system's reads and
// its write under its HSA-ID; every resource the API emitted validates.
// After a restart of the gateway, the record system's retry of the same
// Communication is answered with the message sent, and the patient still
// has it once.
func TestAPIEndToEnd(t *testing.T) {
	for _, tool := range []string{"curl", "sh", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " is not installed")
		}
	}
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := startCentral(t, p)
	pages := patientPages(t, p, c)
	cfg := gatewayDir(t, p, c.url, nil)
	dir := filepath.Dir(cfg.Path())
	pkiDir := filepath.Join(dir, "pki")
	srv, err := p.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	sys, err := p.Unit(recordHSA, "Journalsystemet")
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(pkiDir, "api", srv); err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(pkiDir, "record", sys); err != nil {
		t.Fatal(err)
	}
	withSystem := strings.TrimSuffix(directoryJSON("SE2321000016-K042", true), "}") +
		`, "systems": [{"hsaId": "` + recordHSA + `", "name": "Journalsystemet", "may": ["read-cases", "write-messages"],
		   "signature": "Journalsystemet\nVårdcentralen Agenttest"}]}`
	if err := os.WriteFile(filepath.Join(dir, "hsa.json"), []byte(withSystem), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg.Login = agent.LoginConfig{Origin: gwOrigin, TrustAnchors: []string{"pki/root.pem"}, PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json",
		OCSPURL: functionOCSP(t, p)}
	cfg.API = agent.APIConfig{Listen: "127.0.0.1:0", CertFile: "pki/api.pem", KeyFile: "pki/api.key",
		TrustAnchors: []string{"pki/root.pem"}, FunctionCAs: []string{"pki/function-ca.pem"}}
	if err := cfg.Write(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	if cfg, err = agent.LoadConfig(cfg.Path()); err != nil {
		t.Fatal(err)
	}
	opts := agent.Options{Uplink: fast}
	a, err := agent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { a.Stop() }()
	api := "https://" + a.APIAddr()
	out := t.TempDir()
	curl := func(args ...string) []byte {
		t.Helper()
		base := []string{"-sS", "--fail-with-body", "--max-time", "60", "--cacert", filepath.Join(pkiDir, "root.pem"),
			"--cert", filepath.Join(pkiDir, "record.pem"), "--key", filepath.Join(pkiDir, "record.key")}
		b, err := exec.Command("curl", append(base, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v: %s", args, err, b)
		}
		return b
	}
	// The record system starts following the feed before the case exists.
	var start struct {
		Link []struct{ Relation, URL string } `json:"link"`
	}
	if err := json.Unmarshal(curl(api+"/Task/_changes"), &start); err != nil {
		t.Fatal(err)
	}
	next := ""
	for _, l := range start.Link {
		if l.Relation == "next" {
			next = strings.TrimPrefix(l.URL, api)
		}
	}
	script := filepath.Join(t.TempDir(), "record.sh")
	if err := os.WriteFile(script, []byte(recordScript), 0o700); err != nil {
		t.Fatal(err)
	}
	run := exec.Command("sh", script, next)
	run.Env = append(os.Environ(), "API="+api, "PKI="+pkiDir, "OUT="+out, "ANSWER="+apiAnswer)
	var scriptOut strings.Builder
	run.Stdout, run.Stderr = &scriptOut, &scriptOut
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()

	// The patient writes, on the patient pages.
	waitFor(t, "the unit's forms at the central store", func() bool {
		fs, err := c.store.Forms(ctx, unit)
		return err == nil && len(fs.Forms) > 0
	})
	caseID := pages.submit(t, "contact-me", url.Values{"f.phone": {"070-1234567"}, "text": {apiCaseText}})
	noticesBefore := len(c.notices.Notices())
	submitted := time.Now()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the record system's script: %v\n%s", err, scriptOut.String())
		}
	case <-time.After(90 * time.Second):
		run.Process.Kill()
		t.Fatalf("the record system's script did not finish\n%s", scriptOut.String())
	}
	t.Logf("from the patient's submit to the record system's answer: %v (pull, feed, two reads, a write; not asserted)", time.Since(submitted))
	id, _ := os.ReadFile(filepath.Join(out, "id"))
	if string(id) != caseID {
		t.Fatalf("the feed announced case %q, the patient wrote %q", id, caseID)
	}
	for _, f := range []string{"02-task.json", "03-questionnaireresponse.json", "04-communication.json"} {
		b, _ := os.ReadFile(filepath.Join(out, f))
		if f == "03-questionnaireresponse.json" && !strings.Contains(string(b), "070-1234567") {
			t.Errorf("the form answers lack the patient's phone number: %s", b)
		}
		if f == "04-communication.json" && !strings.Contains(string(b), apiAnswer) {
			t.Errorf("the Communication posted: %s", b)
		}
	}
	// The patient sees the answer, signed by the system.
	waitFor(t, "the answer on the patient pages", func() bool {
		page := pages.get(t, "/arenden/"+caseID)
		return strings.Contains(page, apiAnswer)
	})
	if page := pages.get(t, "/arenden/"+caseID); !strings.Contains(page, "Vårdcentralen Agenttest") {
		t.Errorf("the patient's page lacks the system's signature")
	}
	// The patient is told, as of a clinician's answer: one notice, to them
	// (sent after the central store's commit, so waited for).
	waitFor(t, "the patient's notice", func() bool { return len(c.notices.Notices()) > noticesBefore })
	notices := c.notices.Notices()[noticesBefore:]
	if len(notices) != 1 || notices[0].PNR != patientPNR || strings.Contains(notices[0].Text, apiAnswer) {
		t.Errorf("the patient's notices of the answer: %d (want 1, without the message's text)", len(notices))
	}
	// The access log: the system's reads (the feed's, the Task, the
	// answers) and its write, under its HSA-ID.
	recs, err := a.Cases().AccessLogByActor(ctx, cases.StaffActor("SE2321000016-G001", []string{"auditor"}), recordHSA)
	if err != nil {
		t.Fatal(err)
	}
	reads, writes := 0, 0
	for _, r := range recs {
		if r.Entry.CaseID != caseID {
			continue
		}
		switch r.Entry.Action {
		case string(cases.Read):
			reads++
		case string(cases.SendAnswer):
			writes++
		}
	}
	if reads < 3 || writes != 1 {
		t.Errorf("the system's access log for the case: %d reads (want the feed's, the Task's, the answers'), %d answers (want 1)", reads, writes)
	}
	waitFor(t, "the outbox emptied", func() bool {
		st, ok := a.Uplink()
		return ok && st.OutboxDepth == 0
	})

	// A restart, then the record system's retry: the message sent, once.
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}
	a, err = agent.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	api = "https://" + a.APIAddr()
	retry := curl("-X", "POST", "-H", "Content-Type: application/fhir+json", "--data-binary", "@"+filepath.Join(out, "answer.in"),
		"-w", "\n%{http_code}", api+"/Communication")
	if !strings.HasSuffix(string(retry), "\n200") {
		t.Errorf("the retry after a restart: %s", retry)
	}
	if err := os.WriteFile(filepath.Join(out, "05-retry.json"), retry[:strings.LastIndexByte(string(retry), '\n')], 0o600); err != nil {
		t.Fatal(err)
	}
	if st, ok := a.Uplink(); ok && st.OutboxDepth != 0 {
		t.Errorf("the retry queued %d items for the patient", st.OutboxDepth)
	}
	pc, err := c.store.PatientCase(ctx, patientPNR, caseID)
	if err != nil || pc.StaffMessages() != 1 {
		t.Errorf("the patient has %d staff messages after the retry, want 1 (%v)", pc.StaffMessages(), err)
	}
	if n := len(c.notices.Notices()) - noticesBefore; n != 1 {
		t.Errorf("%d notices to the patient after the retry, want 1", n)
	}

	// Every resource the API emitted, by the outside validator.
	for _, f := range []string{"answer.in", "id"} {
		os.Remove(filepath.Join(out, f))
	}
	err = fhirtest.Validate(out, filepath.Join("fhirapi", "testdata", "validator", "node_modules"))
	switch {
	case errors.Is(err, fhirtest.ErrMissing) && !fhirtest.Required():
		t.Log("FHIR validator not run:", err)
	case err != nil:
		t.Error(err)
	}
}

// patientSite is the central store's patient pages over TLS, with one
// patient logged in.
type patientSite struct {
	url string
	c   *http.Client
}

// patientPages serves the patient pages and logs the test's patient in.
func patientPages(t *testing.T, p *devpki.PKI, c *testCentral) *patientSite {
	t.Helper()
	cert, err := p.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(c.store.PatientHandler())
	srv.TLS = tlsconf.ServerNoClientCert(cert)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	s := &patientSite{url: srv.URL, c: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.RootPool(), ServerName: "127.0.0.1"}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if loc := s.post(t, "/logga-in", url.Values{"pnr": {patientPNR}, "name": {patientName}}); loc != "/" {
		t.Fatalf("patient login: redirected to %q", loc)
	}
	return s
}

// post posts a form as the patient's browser and returns the redirect.
func (s *patientSite) post(t *testing.T, path string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.url)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := s.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d", path, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// submit writes a case on form and returns its id.
func (s *patientSite) submit(t *testing.T, form string, values url.Values) string {
	t.Helper()
	loc := s.post(t, "/skriv/"+unit+"/"+form, values)
	id, ok := strings.CutPrefix(loc, "/arenden/")
	if !ok {
		t.Fatalf("the submit went to %q", loc)
	}
	return id
}

// get reads a page as the patient.
func (s *patientSite) get(t *testing.T, path string) string {
	t.Helper()
	resp, err := s.c.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// functionOCSP is the function CA's OCSP responder, as the region's proxy
// (login.ocsp_url): the API checks the system's certificate at each
// request, failing closed without an answer. Every certificate is good.
func functionOCSP(t *testing.T, p *devpki.PKI) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := ocsp.ParseRequest(body)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		der, err := p.SignFunctionOCSP(ocsp.Response{Status: ocsp.Good, SerialNumber: req.SerialNumber,
			ThisUpdate: time.Now().Add(-time.Minute), NextUpdate: time.Now().Add(time.Hour)})
		if err != nil {
			http.Error(w, "sign", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(der)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
