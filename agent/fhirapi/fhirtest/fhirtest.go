package fhirtest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

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

// ErrMissing is returned when node or the validator's package is not
// installed: the caller skips, or fails when the validator is required.
var ErrMissing = errors.New("the FHIR validator is missing: node, or npm ci in agent/fhirapi/testdata/validator")

// Validate validates every file in dir, each one FHIR JSON resource, with
// the fhir package under modules (a node_modules folder). An error that
// is not ErrMissing carries the validator's report.
func Validate(dir, modules string) error {
	mods, err := filepath.Abs(modules)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("%w (node: %v)", ErrMissing, err)
	}
	if _, err := os.Stat(filepath.Join(mods, "fhir", "package.json")); err != nil {
		return fmt.Errorf("%w (%v)", ErrMissing, err)
	}
	cmd := exec.Command("node", "-e", validatorJS, dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("the FHIR validator refused a resource: %v\n%s", err, out)
	}
	return nil
}

// Required reports whether the environment asks for the validator to run
// (CLINICGW_REQUIRE_FHIR_VALIDATOR set): then a missing one fails.
func Required() bool { return os.Getenv("CLINICGW_REQUIRE_FHIR_VALIDATOR") != "" }
