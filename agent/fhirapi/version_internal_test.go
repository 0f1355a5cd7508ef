package fhirapi

import (
	"net/http/httptest"
	"testing"
)

// FuzzIfMatch: the If-Match decoder never panics; what it accepts is a
// version of at least 1 whose ETag reads back as the same version.
func FuzzIfMatch(f *testing.F) {
	for _, seed := range []string{`W/"1"`, `"7"`, `W/"0"`, `*`, `W/"18446744073709551615"`, `W/"1`, `W/""`, ``} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("PATCH", "https://gw/Task/x", nil)
		r.Header["If-Match"] = []string{v}
		n, err := ifMatch(r)
		if err != nil {
			if _, ok := err.(badRequest); !ok {
				t.Errorf("not a badRequest: %T", err)
			}
			return
		}
		if n == 0 {
			t.Fatalf("%q accepted as version 0", v)
		}
		r.Header["If-Match"] = []string{etag(n)}
		if back, err := ifMatch(r); err != nil || back != n {
			t.Errorf("%q: version %d, its ETag %q reads %d, %v", v, n, etag(n), back, err)
		}
	})
}
