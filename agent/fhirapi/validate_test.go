package fhirapi_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"clinicgw/agent/fhirapi/fhirtest"
)

// The outside validator (agent/fhirapi/fhirtest): every resource a test
// gets from the API is written to a folder and validated at the end of
// the test.

var (
	pending   = map[*testing.T]string{}
	pendingMu sync.Mutex
)

// validate queues body (a FHIR resource) for the outside validator, which
// runs when the test ends.
func validate(t *testing.T, name string, body []byte) {
	t.Helper()
	root := t
	pendingMu.Lock()
	dir, ok := pending[root]
	if !ok {
		dir = t.TempDir()
		pending[root] = dir
		t.Cleanup(func() { runValidator(t, dir) })
	}
	pendingMu.Unlock()
	n, _ := os.ReadDir(dir)
	file := filepath.Join(dir, fmt.Sprintf("%03d-", len(n))+strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)+".json")
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	schemaValidate(t, name, body)
}

func runValidator(t *testing.T, dir string) {
	err := fhirtest.Validate(dir, filepath.Join("testdata", "validator", "node_modules"))
	switch {
	case errors.Is(err, fhirtest.ErrMissing) && !fhirtest.Required():
		t.Log("FHIR validator not run:", err, "; CLINICGW_REQUIRE_FHIR_VALIDATOR=1 makes this fail")
	case err != nil:
		t.Error(err)
	}
}
