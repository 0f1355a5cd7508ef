package fhirapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/directory"
	"clinicgw/agent/fhirapi"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
)

const (
	unit      = "SE2321000016-E001"
	clinician = "SE2321000016-1001"
	record    = "SE2321000016-9001" // the record system: read-cases
	writer    = "SE2321000016-9003" // a system that may only write messages
	stranger  = "SE2321000016-9002" // a function certificate not in the directory
)

// directoryJSON is the staff directory with its systems section.
const directoryJSON = `{"version": 1,
 "people": [{"hsaId": "` + clinician + `", "givenName": "Test", "surname": "Testsson", "title": "Sjuksköterska",
   "roles": ["clinician", "distributor"],
   "commissions": [{"unit": "` + unit + `", "purpose": "Vård och behandling", "validFrom": "2026-01-01"}]}],
 "systems": [
   {"hsaId": "` + record + `", "name": "Journalsystemet", "may": ["read-cases"]},
   {"hsaId": "` + writer + `", "name": "Kvalitetsregistret", "may": ["write-messages"]}]}`

// swapDir is the directory in use, replaced as a reload would.
type swapDir struct {
	mu sync.Mutex
	d  *directory.Directory
}

func (s *swapDir) get() fhirapi.Systems {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.d
}

func (s *swapDir) set(d *directory.Directory) {
	s.mu.Lock()
	s.d = d
	s.mu.Unlock()
}

type fixture struct {
	t      *testing.T
	dir    string
	url    string
	clock  *clocktest.Fake
	svc    *cases.Service
	db     *store.DB
	dirs   *swapDir
	logs   *bytes.Buffer
	adult  personnummer.Personnummer
	coord  personnummer.Personnummer
	cases  []*cases.Case
	server *http.Server
	pki    *devpki.PKI
	rev    *swapRevocation
	diary  *booking.Diary // with bookings (fixture_booking_test.go)
}

// newFixture serves the API over real mutual TLS on loopback, on an
// encrypted store with n cases, and writes the certificates curl uses to
// f.dir: root.pem, and system.pem/.key for each of record, writer,
// stranger and person (a staff card's certificate).
func newFixture(t *testing.T, n, rate int, opts ...func(*fixture, *fhirapi.Config)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir(), clock: clocktest.New(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{},
		adult: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 980),
	}
	coord, err := personnummer.Parse("198005772386", f.clock.Now()) // synthetic samordningsnummer (day 17 + 60)
	if err != nil {
		coord = ""
	}
	f.coord = coord
	kf := filepath.Join(f.dir, "kek")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	f.db, err = store.Open(context.Background(), filepath.Join(f.dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	log := slog.New(slog.NewTextHandler(f.logs, nil))
	var api atomic.Pointer[fhirapi.Server]
	f.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: f.db, Clock: f.clock, Rand: rand.Reader, Logger: log,
		OnChange: func(ch cases.Change) {
			if a := api.Load(); a != nil {
				a.Notify(ch)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	distributor := cases.StaffActor(clinician, []string{"distributor", "clinician"})
	for i := range n {
		sub := cases.Submission{Type: casetype.AdviceNurse, Patient: cases.Person{PNR: f.adult, Name: "Test Testsson"},
			Text:        "Jag har ont i halsen sedan tre dagar.",
			Fields:      []cases.Field{{Name: "symptom", Label: "Besvär", Value: "Halsont"}},
			SubmittedAt: f.clock.Now().Add(-time.Minute)}
		if i%3 == 1 {
			sub.Type = casetype.RenewPrescription
		}
		if i == 2 && f.coord != "" {
			sub.Patient.PNR = f.coord
		}
		c, err := f.svc.Receive(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			if c, err = f.svc.Do(ctx, distributor, c.ID, cases.Command{Action: cases.Assign, Assignee: clinician}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 3 {
			if c, err = f.svc.Do(ctx, distributor, c.ID, cases.Command{Action: cases.SendAnswer, Text: "Drick varmt.", Signature: "Test, Ssk"}); err != nil {
				t.Fatal(err)
			}
		}
		f.cases = append(f.cases, c)
		f.clock.Advance(time.Minute)
	}
	d, err := directory.Parse(strings.NewReader(directoryJSON))
	if err != nil {
		t.Fatal(err)
	}
	f.dirs = &swapDir{d: d}

	pki, err := devpki.New(rand.Reader, f.clock.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := pki.Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, filepath.Join(f.dir, "root.pem"), pki.Root().Raw)
	for name, id := range map[string]string{"record": record, "writer": writer, "stranger": stranger} {
		c, err := pki.Unit(id, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := devpki.WriteTLS(f.dir, name, c); err != nil {
			t.Fatal(err)
		}
	}
	pc, pk, err := pki.Person(clinician, "Test", "Testsson", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(f.dir, "person", tls.Certificate{Certificate: [][]byte{pc.Raw, pki.PersonCA().Raw}, PrivateKey: pk}); err != nil {
		t.Fatal(err)
	}
	f.pki, f.rev = pki, &swapRevocation{}
	cfg := fhirapi.Config{Cases: f.svc, Forms: staticForms{}, Systems: f.dirs.get,
		FunctionCAs: []*x509.Certificate{pki.FunctionCA()}, RatePerMinute: rate, Clock: f.clock, Logger: log, Revocation: f.rev}
	for _, o := range opts {
		o(f, &cfg)
	}
	srvAPI, err := fhirapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api.Store(srvAPI)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.server = tlsconf.NewHTTPServer(srvAPI, tlsconf.ServerClientCertIfGiven(srvCert, pki.RootPool()), tlsconf.Limits{})
	go func() { _ = f.server.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = f.server.Close() })
	f.url = "https://" + ln.Addr().String()
	return f
}

type staticForms struct{}

func (staticForms) Current(context.Context) (wire.FormSet, error) {
	return casetype.DefaultForms(), nil
}

func (staticForms) Catalog(context.Context) (catalog.Catalog, error) {
	return catalog.FromForms(casetype.DefaultForms()), nil
}

func writePEM(t *testing.T, path string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// reply is what curl got.
type reply struct {
	status int
	body   []byte
	header string
}

// curl calls the API as an outside client: as cert ("" for none), with
// extra curl arguments, on path.
func (f *fixture) curl(cert, path string, extra ...string) reply {
	f.t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		f.t.Skip("curl is not installed (apt-get install curl)")
	}
	hdr := filepath.Join(f.dir, "headers.txt")
	args := []string{"-sS", "--max-time", "60", "--cacert", filepath.Join(f.dir, "root.pem"), "-D", hdr, "-o", "-", "-w", "\n%{http_code}"}
	if cert != "" {
		args = append(args, "--cert", filepath.Join(f.dir, cert+".pem"), "--key", filepath.Join(f.dir, cert+".key"))
	}
	args = append(args, extra...)
	args = append(args, f.url+path)
	out, err := exec.Command("curl", args...).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		f.t.Fatalf("curl %s: %v: %s", path, err, ee.Stderr)
	} else if err != nil {
		f.t.Fatal(err)
	}
	i := bytes.LastIndexByte(out, '\n')
	status, err := strconv.Atoi(string(out[i+1:]))
	if err != nil {
		f.t.Fatalf("curl %s: no status in %q", path, out)
	}
	h, _ := os.ReadFile(hdr)
	return reply{status: status, body: out[:i], header: string(h)}
}

// decode decodes a reply's body.
func (r reply) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON: %v: %s", err, r.body)
	}
	return m
}
