package archive

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"clinicgw/agent/booking"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire/personnummer"
)

// bookingTimes are a clinician's times in every state an archive sees:
// booked online, arrived, no-show, a time cancelled once and booked
// again, one cancelled with nothing after, and a free one never booked
// (left out).
func bookingTimes() ([]*booking.Slot, map[string]booking.TimeType) {
	const clin, staff = "SE2321000016-1003", "SE2321000016-1001"
	p1 := string(personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981))
	p2 := string(personnummer.Synthetic(time.Date(1992, 11, 30, 0, 0, 0, 0, time.UTC), 990))
	at := time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC)
	start := func(h int) time.Time { return time.Date(2026, 5, 12, h, 0, 0, 0, time.UTC) }
	types := map[string]booking.TimeType{"besok-30": {ID: "besok-30", StaffName: "Läkarbesök", PatientName: "Besök", Minutes: 30}}
	mk := func(h int, st booking.State, b *booking.Booking, canceled ...booking.Booking) *booking.Slot {
		return &booking.Slot{Start: start(h), Minutes: 30, Clinician: clin, TypeID: "besok-30", State: st, Booking: b, Canceled: canceled}
	}
	return []*booking.Slot{
		mk(6, booking.Booked, &booking.Booking{ID: "b1", Patient: p1, Online: true, At: at, Request: "r1"}),
		mk(7, booking.Arrived, &booking.Booking{ID: "b2", Patient: p2, ByStaff: staff, At: at}),
		mk(8, booking.NoShow, &booking.Booking{ID: "b3", Patient: p1, ByStaff: staff, At: at}),
		mk(9, booking.Booked, &booking.Booking{ID: "b5", Patient: p2, ByStaff: staff, At: at.Add(time.Hour)},
			booking.Booking{ID: "b4", Patient: p1, Online: true, At: at, Canceled: at.Add(30 * time.Minute), CancelRequest: "r2"}),
		mk(10, booking.Free, nil, booking.Booking{ID: "b6", Patient: p2, ByStaff: staff, At: at, Canceled: at.Add(time.Hour), Reason: "Behandlaren sjuk"}),
		mk(11, booking.Free, nil),
	}, types
}

// TestBookingsFHIR: the booking diary's FHIR rendering equals its golden
// file (-update writes it), validates against the FHIR R4 JSON schema and
// the outside validator (the fhir npm package 4.12.0 that agent/fhirapi's
// tests run, with errorOnUnexpected), has each resource's members in
// encoding/json's order, and goes into a package that verifies.
func TestBookingsFHIR(t *testing.T) {
	times, types := bookingTimes()
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	compact := BookingsFHIR(unit, times, types, now)
	var indented bytes.Buffer
	if err := json.Indent(&indented, compact, "", " "); err != nil {
		t.Fatal(err)
	}
	got := indented.Bytes()
	golden := filepath.Join("testdata", "fhir-bookings.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the rendering differs from %s (run with -update if the change is meant; %v):\n%s", golden, err, got)
	}
	var bundle struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(compact, &bundle); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	statuses := []string{}
	for _, e := range bundle.Entry {
		var m map[string]any
		if err := json.Unmarshal(e.Resource, &m); err != nil {
			t.Fatal(err)
		}
		if keys := topKeys(t, e.Resource); !slices.IsSorted(keys) {
			t.Errorf("a resource's members are not in encoding/json's order (a map's, sorted): %v", keys)
		}
		kinds[m["resourceType"].(string)]++
		if m["resourceType"] == "Appointment" {
			statuses = append(statuses, m["status"].(string))
		}
	}
	if kinds["Schedule"] != 1 || kinds["Slot"] != 5 || kinds["Appointment"] != 6 {
		t.Errorf("resources: %v", kinds)
	}
	if s := strings.Join(statuses, ","); s != "booked,arrived,noshow,cancelled,booked,cancelled" {
		t.Errorf("appointment statuses: %s", s)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(compact))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadFHIRSchema(t).validate(doc); err != nil {
		t.Error(err)
	}
	outsideValidator(t, map[string][]byte{"bookings.json": compact})

	// In a package, beside a case: it verifies and lists the file.
	p, err := devpki.New(nil, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := p.Unit(unit, "Vårdcentralen Arkiv")
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(tc.Certificate[0])
	var buf bytes.Buffer
	w := NewWriter(&buf, "pkg", unit, now, Signer{Key: tc.PrivateKey.(crypto.Signer), Cert: leaf})
	if err := w.AddBookings(times, types); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := Verify(bytes.NewReader(buf.Bytes()), nil)
	if err != nil || len(m.Files) != 2 || m.Files[0].Path != "representations/rep1/data/bookings/fhir.json" {
		t.Fatalf("the package: %v %+v", err, m)
	}
}

// topKeys are the names of an object's members, in order.
func topKeys(t *testing.T, raw []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var keys []string
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' || v == '[' {
				depth++
			} else {
				depth--
			}
		case string:
			if depth == 1 {
				keys = append(keys, v)
				// skip the member's value
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return keys
}

// outsideValidator runs the fhir npm package's validator (agent/fhirapi's
// testdata/validator, installed by `npm ci` there) on each resource; it
// is skipped, with a note, without node or the package, unless
// CLINICGW_REQUIRE_FHIR_VALIDATOR is set.
func outsideValidator(t *testing.T, resources map[string][]byte) {
	t.Helper()
	mods, _ := filepath.Abs(filepath.Join("..", "fhirapi", "testdata", "validator", "node_modules"))
	_, nodeErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(mods, "fhir", "package.json"))
	if nodeErr != nil || modErr != nil {
		if os.Getenv("CLINICGW_REQUIRE_FHIR_VALIDATOR") != "" {
			t.Fatalf("the FHIR validator is missing (node: %v; fhir package: %v): run npm ci in agent/fhirapi/testdata/validator", nodeErr, modErr)
		}
		t.Log("FHIR validator not run: node or agent/fhirapi/testdata/validator/node_modules missing (npm ci there); CLINICGW_REQUIRE_FHIR_VALIDATOR=1 makes this fail")
		return
	}
	dir := t.TempDir()
	for name, b := range resources {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const js = `
const fs = require('fs'), path = require('path');
const {Fhir} = require('fhir');
const fhir = new Fhir();
let bad = 0;
const dir = process.argv[process.argv.length - 1];
for (const name of fs.readdirSync(dir).sort()) {
  const out = fhir.validate(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')), {errorOnUnexpected: true});
  const errs = out.messages.filter(m => m.severity === 'error');
  if (errs.length) { bad++; console.log(name + ': ' + JSON.stringify(errs)); }
}
process.exit(bad ? 1 : 0);
`
	cmd := exec.Command("node", "-e", js, dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("the FHIR validator refused the bookings: %v\n%s", err, out)
	}
}
