package fhirapi_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The outside validator: the fhir npm package 4.12.0 (testdata/validator,
// installed by `npm ci` there; make test-deps does it), with the R4
// definitions it bundles, run offline by node. Every resource a test gets
// from the API is written to a folder and validated at the end of the
// test, each with errorOnUnexpected (an element R4 does not define is an
// error).

const validatorJS = `
const fs = require('fs'), path = require('path');
const {Fhir} = require('fhir');
const fhir = new Fhir();
let bad = 0;
for (const name of fs.readdirSync(process.argv[process.argv.length - 1]).sort()) {
  const res = JSON.parse(fs.readFileSync(path.join(process.argv[process.argv.length - 1], name), 'utf8'));
  const out = fhir.validate(res, {errorOnUnexpected: true});
  const errs = out.messages.filter(m => m.severity === 'error');
  if (errs.length) { bad++; console.log(name + ': ' + JSON.stringify(errs)); }
}
process.exit(bad ? 1 : 0);
`

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
	mods, _ := filepath.Abs(filepath.Join("testdata", "validator", "node_modules"))
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(mods, "fhir", "package.json"))
	if nodeErr != nil || modErr != nil {
		if os.Getenv("CLINICGW_REQUIRE_FHIR_VALIDATOR") != "" {
			t.Fatalf("the FHIR validator is missing (node: %v; fhir package: %v): run npm ci in agent/fhirapi/testdata/validator", nodeErr, modErr)
		}
		t.Log("FHIR validator not run: node or agent/fhirapi/testdata/validator/node_modules missing (npm ci there); CLINICGW_REQUIRE_FHIR_VALIDATOR=1 makes this fail")
		return
	}
	cmd := exec.Command("node", "-e", validatorJS, dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("the FHIR validator refused what the API emitted: %v\n%s", err, out)
	}
}
