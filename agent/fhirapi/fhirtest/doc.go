// Package fhirtest runs the outside FHIR R4 validator for tests: the fhir
// npm package 4.12.0 (agent/fhirapi/testdata/validator, installed there
// by `npm ci`; make test-deps does it), with the R4 definitions it
// bundles, run offline by node, each resource with errorOnUnexpected (an
// element R4 does not define is an error). The API's tests and the
// gateway's end-to-end test both validate with it.
package fhirtest
