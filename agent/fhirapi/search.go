package fhirapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/fhirtask"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/hsaid"
	"clinicgw/sync/wire/personnummer"
)

// Page sizes of a Task search.
const (
	defaultCount = 50
	maxCount     = 100
)

// pnrLike finds what may be a personnummer or samordningsnummer: six or
// eight digits, an optional - or +, four digits, not inside a longer
// word (an HSA-ID's digits, SE2321000016-1001, are not one).
var (
	pnrLike    = regexp.MustCompile(`(^|[^0-9A-Za-z])(\d{6}|\d{8})[-+]?\d{4}($|[^0-9A-Za-z])`)
	digitsLike = regexp.MustCompile(`\d{6}[-+]?\d{4}`)
)

// patientInQuery reports whether a URL's query names a patient: a
// patient, subject or identifier parameter (with any modifier or chain),
// or a value that looks like a personnummer. Such a search must be a
// POST _search, so that the identifier is not in a URL that proxies and
// access logs keep.
func patientInQuery(raw string) bool {
	if raw == "" {
		return false
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// Not a query this API reads: any run of digits like one is enough.
		return digitsLike.MatchString(raw)
	}
	for k, vs := range q {
		base, _, _ := strings.Cut(k, ":")
		base, _, _ = strings.Cut(base, ".")
		switch base {
		case "patient", "subject", "identifier", "for", "requester":
			return true
		}
		for _, v := range vs {
			if pnrLike.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// refuse answers a refused body (body.go) with its status, and a bad
// search or request with 400 and what is wrong.
func refuse(w http.ResponseWriter, err error) {
	var be *bodyError
	if errors.As(err, &be) {
		fail(w, be.status, be.code, be.msg)
		return
	}
	msg := "the search could not be read: see /metadata for the supported parameters"
	var bad badRequest
	if errors.As(err, &bad) {
		msg = string(bad)
	}
	fail(w, http.StatusBadRequest, "invalid", msg)
}

// badRequest is a search parameter that is wrong; its text says what.
type badRequest string

func (b badRequest) Error() string { return string(b) }

// params are a search's parameters: the URL's, and a POST _search's form
// body.
func params(r *http.Request) (url.Values, error) {
	q := r.URL.Query()
	if r.Method != http.MethodPost {
		return q, nil
	}
	body, err := readBody(r, maxBody, mediaForm)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest("the search form could not be read: send it as application/x-www-form-urlencoded")
	}
	for k, vs := range form { // the URL's and the body's, as ParseForm
		q[k] = append(q[k], vs...)
	}
	return q, nil
}

// only refuses parameters other than known (and _format=json).
func only(q url.Values, known ...string) error {
	for k, vs := range q {
		if k == "_format" {
			for _, v := range vs {
				if v != "json" && v != "application/fhir+json" && v != "application/json" {
					return badRequest("only JSON is served: leave _format out or set it to json")
				}
			}
			continue
		}
		if !slices.Contains(known, k) {
			return badRequest("unsupported search parameter " + strconv.Quote(safeName(k)) + ": /metadata lists the supported ones")
		}
	}
	return nil
}

// safeName is a parameter's name if it is a plain name, else a placeholder.
func safeName(k string) string {
	if len(k) <= 40 && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-:.") == "" {
		return k
	}
	return "(not shown)"
}

// token splits a token search value "system|code" (or "code"), refusing
// a system other than want.
func token(v, want, param string) (string, error) {
	sys, code, found := strings.Cut(v, "|")
	if !found {
		return v, nil
	}
	if sys != "" && sys != want {
		return "", badRequest(param + ": expected the system " + want)
	}
	return code, nil
}

// one is the parameter's single value; more than one is an error.
func one(q url.Values, k string) (string, error) {
	vs := q[k]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return vs[0], nil
	}
	return "", badRequest(k + ": give it once (several values separated by commas)")
}

// taskSearch is a parsed Task search.
type taskSearch struct {
	f       cases.Filter
	count   int
	patient personnummer.Personnummer // "" for none
	after   []func(time.Time) bool    // _lastUpdated
	next    url.Values                // the parameters of the next page, without _cursor
}

func parseTaskSearch(q url.Values, now time.Time) (*taskSearch, error) {
	if err := only(q, "status", "owner", "owner:identifier", "code", "patient:identifier", "_lastUpdated", "_count", "_cursor"); err != nil {
		return nil, err
	}
	ts := &taskSearch{count: defaultCount, next: url.Values{}}
	for k, vs := range q {
		if k != "_cursor" && k != "patient:identifier" && k != "_format" {
			ts.next[k] = vs
		}
	}
	if v, err := one(q, "status"); err != nil {
		return nil, err
	} else if v != "" {
		for code := range strings.SplitSeq(v, ",") {
			sts := fhirtask.CaseStatuses(code)
			if len(sts) == 0 {
				return nil, badRequest("status: not a Task status this API shows (requested, accepted, in-progress, on-hold, completed, cancelled)")
			}
			ts.f.Status = append(ts.f.Status, sts...)
		}
	}
	for _, k := range []string{"owner", "owner:identifier"} {
		v, err := one(q, k)
		if err != nil || v == "" {
			if err != nil {
				return nil, err
			}
			continue
		}
		id, err := token(v, systemHSAID, k)
		if err != nil {
			return nil, err
		}
		if !hsaid.Valid(id) || ts.f.Assignee != "" {
			return nil, badRequest(k + ": expected one HSA-ID, like urn:oid:1.2.752.29.4.19|SE2321000016-1001")
		}
		ts.f.Assignee = id
	}
	if v, err := one(q, "code"); err != nil {
		return nil, err
	} else if v != "" {
		code, err := token(v, systemType, "code")
		if err != nil {
			return nil, err
		}
		if !casetype.Known(casetype.Type(code)) {
			return nil, badRequest("code: not a service of this unit; Task.code of a case shows the codes")
		}
		ts.f.Type = casetype.Type(code)
	}
	if v, err := one(q, "_count"); err != nil {
		return nil, err
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxCount {
			return nil, badRequest("_count: expected a whole number from 1 to 100")
		}
		ts.count = n
	}
	if v, err := one(q, "_cursor"); err != nil {
		return nil, err
	} else if v != "" {
		ts.f.After = cases.ID(v)
	}
	for _, v := range q["_lastUpdated"] {
		cmp, err := lastUpdatedParam(v)
		if err != nil {
			return nil, err
		}
		ts.after = append(ts.after, cmp)
	}
	if v, err := one(q, "patient:identifier"); err != nil {
		return nil, err
	} else if v != "" {
		sys, value, found := strings.Cut(v, "|")
		if !found {
			value, sys = sys, ""
		}
		if sys != "" && sys != systemPNR && sys != systemSamnr {
			return nil, badRequest("patient:identifier: expected the system " + systemPNR + " (personnummer) or " + systemSamnr + " (samordningsnummer)")
		}
		p, err := personnummer.Parse(value, now)
		if err != nil {
			return nil, badRequest("patient:identifier: not a valid personnummer or samordningsnummer")
		}
		if ts.f.After != "" {
			return nil, badRequest("a search by patient is one page: leave _cursor out")
		}
		ts.patient = p
	}
	return ts, nil
}

// lastUpdatedParam is one _lastUpdated value as a test of an instant.
func lastUpdatedParam(v string) (func(time.Time) bool, error) {
	bad := badRequest("_lastUpdated: expected gt, ge, lt or le and a date or an instant, like gt2026-03-01T08:00:00Z")
	if len(v) < 3 {
		return nil, bad
	}
	prefix, s := v[:2], v[2:]
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, s); err != nil {
			return nil, bad
		}
	}
	switch prefix {
	case "gt":
		return func(u time.Time) bool { return u.After(t) }, nil
	case "ge":
		return func(u time.Time) bool { return !u.Before(t) }, nil
	case "lt":
		return func(u time.Time) bool { return u.Before(t) }, nil
	case "le":
		return func(u time.Time) bool { return !u.After(t) }, nil
	}
	return nil, bad
}

// match reports whether c passes the filters List does not apply (a
// patient search applies none of them itself).
func (ts *taskSearch) match(c *cases.Case) bool {
	if ts.patient != "" {
		if len(ts.f.Status) > 0 && !slices.Contains(ts.f.Status, c.Status) ||
			ts.f.Assignee != "" && c.Assignee != ts.f.Assignee ||
			ts.f.Type != "" && c.Type != ts.f.Type {
			return false
		}
	}
	u := lastUpdated(c)
	for _, ok := range ts.after {
		if !ok(u) {
			return false
		}
	}
	return true
}

// base is the API's address as the caller reached it.
func base(r *http.Request) string { return "https://" + r.Host }

func (s *Server) searchTasks(w http.ResponseWriter, r *http.Request, c caller) {
	q, err := params(r)
	var ts *taskSearch
	if err == nil {
		ts, err = parseTaskSearch(q, s.cfg.Clock.Now())
	}
	if err != nil {
		refuse(w, err)
		return
	}
	var found []*cases.Case
	var next cases.ID
	if ts.patient != "" {
		found, err = s.cfg.Cases.SearchPatient(r.Context(), c.actor, ts.patient)
	} else {
		f := ts.f
		f.Limit = ts.count + 1
		found, err = s.cfg.Cases.List(r.Context(), c.actor, f)
		if err == nil && len(found) > ts.count {
			found = found[:ts.count]
			next = found[len(found)-1].ID
		}
	}
	if err != nil {
		s.caseError(w, err)
		return
	}
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: fhirTime(s.cfg.Clock.Now())}
	self := base(r) + "/Task"
	if ts.patient != "" {
		self += "/_search" // the identifier stays out of every link
	} else if len(q) > 0 {
		self += "?" + q.Encode()
	}
	b.Link = append(b.Link, BundleLink{Relation: "self", URL: self})
	if next != "" {
		nq := url.Values{}
		for k, v := range ts.next {
			nq[k] = v
		}
		nq.Set("_cursor", string(next))
		b.Link = append(b.Link, BundleLink{Relation: "next", URL: base(r) + "/Task?" + nq.Encode()})
	}
	for _, cs := range found {
		if !ts.match(cs) {
			continue
		}
		if err := b.add(base(r)+"/Task/"+string(cs.ID), taskOf(cs)); err != nil {
			s.caseError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, b)
}

// add appends a resource as a match.
func (b *Bundle) add(fullURL string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Entry = append(b.Entry, BundleEntry{FullURL: fullURL, Resource: raw, Search: &EntrySearch{Mode: "match"}})
	return nil
}

func (s *Server) searchCommunications(w http.ResponseWriter, r *http.Request, c caller) {
	q, err := params(r)
	if err == nil {
		err = only(q, "part-of")
	}
	var ref string
	if err == nil {
		ref, err = one(q, "part-of")
	}
	if err != nil {
		refuse(w, err)
		return
	}
	id := strings.TrimPrefix(ref, "Task/")
	if id == "" {
		fail(w, http.StatusBadRequest, "invalid", "part-of: required, as Task/[id]: the messages of one case")
		return
	}
	got, ok := s.getCase(w, r, c, id)
	if !ok {
		return
	}
	b := Bundle{ResourceType: "Bundle", Type: "searchset", Timestamp: fhirTime(s.cfg.Clock.Now()),
		Link: []BundleLink{{Relation: "self", URL: base(r) + "/Communication?" + url.Values{"part-of": {"Task/" + string(got.ID)}}.Encode()}}}
	for i := range got.Messages {
		if err := b.add(base(r)+"/Communication/"+communicationID(got.ID, i), communicationOf(got, i)); err != nil {
			s.caseError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, b)
}
