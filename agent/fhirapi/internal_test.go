package fhirapi

import (
	"net/url"
	"testing"
	"time"
)

// TestLimiter: a burst, then one token per 60/rate seconds on the clock.
func TestLimiter(t *testing.T) {
	l := newLimiter(60) // one a second, burst 6
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := range 6 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("past the burst: ok %v wait %v", ok, wait)
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Error("another system's bucket is shared")
	}
	if ok, _ := l.allow("a", now.Add(time.Second)); !ok {
		t.Error("a second later: still refused")
	}
	if ok, _ := l.allow("a", now.Add(time.Second)); ok {
		t.Error("one token a second gave two")
	}
}

// TestPatientInQuery: what counts as a patient in a URL.
func TestPatientInQuery(t *testing.T) {
	for q, want := range map[string]bool{
		"":                 false,
		"status=requested": false,
		"owner:identifier=urn%3Aoid%3A1.2.752.29.4.19%7CSE2321000016-1001": false,
		"_lastUpdated=ge2026-11-23T09:00:00Z":                              false,
		"_cursor=01kbz0000000000000000000zz":                               false,
		"identifier=198005179806":                                          true,
		"patient:identifier=x":                                             true,
		"patient.identifier=x":                                             true,
		"subject=Patient/1":                                                true,
		"code=800517-9806":                                                 true,
		"code=19800517-9806":                                               true,
		"code=8005179806":                                                  true,
		"x=%zz198005179806":                                                true,
	} {
		if got := patientInQuery(q); got != want {
			t.Errorf("%q: %v, want %v", q, got, want)
		}
	}
}

// FuzzTaskSearch: the search decoder never panics, and what it accepts
// makes a filter the case service accepts the shape of.
func FuzzTaskSearch(f *testing.F) {
	for _, s := range []string{"status=requested,accepted", "owner:identifier=urn:oid:1.2.752.29.4.19|SE2321000016-1001",
		"code=urn:clinicgw:case-type|advice-nurse&_count=3&_cursor=01kbz0000000000000000000zz", "_lastUpdated=ge2026-01-01&_lastUpdated=lt2026-02-01T00:00:00Z",
		"patient:identifier=urn:oid:1.2.752.129.2.1.3.1|198005179806", "_count=0", "status=", "owner=x|y|z"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		ts, err := parseTaskSearch(q, now)
		if err != nil {
			return
		}
		if ts.count < 1 || ts.count > maxCount {
			t.Fatalf("count %d accepted", ts.count)
		}
		if _, bad := ts.next["patient:identifier"]; bad {
			t.Fatal("the next link would carry the patient identifier")
		}
	})
}
