package fhirapi_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// HL7's FHIR R4 JSON schema, as the archive's export is checked against
// (agent/archive/testdata), for every resource the API emits, besides
// the outside validator.

const fhirSchemaURL = "http://hl7.org/fhir/json-schema/4.0"

var (
	schemaOnce sync.Once
	schemaC    *jsonschema.Compiler
	schemaErr  error
	schemaMu   sync.Mutex
	schemas    = map[string]*jsonschema.Schema{}
)

func loadSchema() (*jsonschema.Compiler, error) {
	schemaOnce.Do(func() {
		f, err := os.Open(filepath.Join("..", "archive", "testdata", "fhir-r4.schema.json.gz"))
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			schemaErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(zr)
		if err != nil {
			schemaErr = err
			return
		}
		// As in agent/archive: two definitions the schema names but lacks,
		// and a Bundle entry's resource checked on its own.
		defs := doc.(map[string]any)["definitions"].(map[string]any)
		defs["integer64"] = map[string]any{"type": "string"}
		defs["Resource"] = map[string]any{"type": "object"}
		defs["ResourceList"] = map[string]any{"type": "object"}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(fhirSchemaURL, doc); err != nil {
			schemaErr = err
			return
		}
		schemaC = c
	})
	return schemaC, schemaErr
}

func schemaCheck(res any) error {
	m, ok := res.(map[string]any)
	if !ok {
		return fmt.Errorf("a resource is a JSON object, not %T", res)
	}
	rt, _ := m["resourceType"].(string)
	schemaMu.Lock()
	defer schemaMu.Unlock()
	sch, ok := schemas[rt]
	if !ok {
		var err error
		if sch, err = schemaC.Compile(fhirSchemaURL + "#/definitions/" + rt); err != nil {
			return fmt.Errorf("resourceType %q: %w", rt, err)
		}
		schemas[rt] = sch
	}
	var errs []error
	if err := sch.Validate(res); err != nil {
		errs = append(errs, fmt.Errorf("not a valid FHIR R4 %s: %w", rt, err))
	}
	entries, _ := m["entry"].([]any)
	for _, e := range entries {
		schemaMu.Unlock()
		errs = append(errs, schemaCheck(e.(map[string]any)["resource"]))
		schemaMu.Lock()
	}
	return errors.Join(errs...)
}

// schemaValidate checks body against the R4 JSON schema.
func schemaValidate(t *testing.T, name string, body []byte) {
	t.Helper()
	if _, err := loadSchema(); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := schemaCheck(doc); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}
