package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

const (
	unit    = "SE2321000016-ARKV"
	hsaDist = "SE2321000016-D001"
	hsaClin = "SE2321000016-C001"
	canary  = "KANARIE-ARKIV"
)

var (
	dist = cases.Actor{Kind: cases.Staff, HSAID: hsaDist, Roles: []cases.Role{cases.Distributor}}
	clin = cases.Actor{Kind: cases.Staff, HSAID: hsaClin, Roles: []cases.Role{cases.Clinician}}
)

type fixture struct {
	db     *store.DB
	dir    string // the store's
	arch   string // the archive folder
	svc    *cases.Service
	clock  *clocktest.Fake
	signer Signer
	roots  *x509.CertPool
	// verified are the packages packages has verified, by file name.
	verified map[string][]string
}

func newFixture(t *testing.T) *fixture { return newBenchFixture(t) }

func newBenchFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir(), arch: filepath.Join(t.TempDir(), "arkiv"),
		clock: clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Stockholm()))}
	kf := filepath.Join(f.dir, "kek.key")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	f.open(t)
	p, err := devpki.New(nil, f.clock.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := p.Unit(unit, "Vårdcentralen Arkiv", devpki.Validity(f.clock.Now().Add(-24*time.Hour), f.clock.Now().AddDate(2, 0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	f.signer = Signer{Key: tc.PrivateKey.(crypto.Signer), Cert: leaf, Chain: []*x509.Certificate{p.FunctionCA()}}
	f.roots = x509.NewCertPool()
	f.roots.AddCert(p.Root()) // the function CA comes with the package
	return f
}

func (f *fixture) open(t testing.TB) {
	t.Helper()
	kek, err := store.LoadKeyFile(filepath.Join(f.dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	if f.db, err = store.Open(context.Background(), filepath.Join(f.dir, "store.db"), kek, store.Options{Unit: unit, Clock: f.clock}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.db.Close() })
	f.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: f.db, Clock: f.clock, Rand: rand.Reader,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
}

// seed receives n cases, answers (and with close, closes) them.
func (f *fixture) seed(t *testing.T, n int, answer, closeToo bool) []cases.ID {
	t.Helper()
	ctx := context.Background()
	var ids []cases.ID
	for i := range n {
		pnr := personnummer.Synthetic(time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 980+i%20)
		c, err := f.svc.Receive(ctx, cases.Submission{Type: casetype.All[i%len(casetype.All)],
			Patient: cases.Person{PNR: pnr, Name: fmt.Sprintf("%s-namn-%d", canary, i)},
			Text:    fmt.Sprintf("%s-text-%d", canary, i), SubmittedAt: f.clock.Now(),
			Fields: []cases.Field{{Name: "q", Label: "Fråga", Value: canary + "-fält"}}})
		if err != nil {
			t.Fatal(err)
		}
		if answer {
			if _, err := f.svc.Do(ctx, dist, c.ID, cases.Command{Action: cases.Assign, Assignee: hsaClin}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.Do(ctx, clin, c.ID, cases.Command{Action: cases.SendAnswer, Text: canary + "-svar", Signature: "Doris", AuthorTitle: "Läkare"}); err != nil {
				t.Fatal(err)
			}
			if closeToo {
				if _, err := f.svc.Do(ctx, dist, c.ID, cases.Command{Action: cases.Close}); err != nil {
					t.Fatal(err)
				}
			}
		}
		ids = append(ids, c.ID)
	}
	// The central store confirmed every change long ago.
	for {
		out, err := f.svc.PendingOutbound(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			return ids
		}
		keys := make([]string, len(out))
		for i, o := range out {
			keys[i] = o.Key
		}
		if err := f.svc.ConfirmOutbound(ctx, keys); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) archiver(t *testing.T, batch int) *Archiver {
	t.Helper()
	a, err := New(Config{DB: f.db, Unit: unit, Dir: f.arch, Batch: batch, Signer: f.signer, Clock: f.clock, Retire: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// packages reads and verifies every package in the archive folder: which
// cases each holds. A package verified before (by name; a finished
// package is never written again) is not read again.
func (f *fixture) packages(t *testing.T) map[string][]string {
	t.Helper()
	if f.verified == nil {
		f.verified = map[string][]string{}
	}
	out := map[string][]string{}
	entries, err := os.ReadDir(f.arch)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a temporary file a killed run left (f.temps)
		}
		if cs, ok := f.verified[e.Name()]; ok {
			out[e.Name()] = cs
			continue
		}
		b, err := os.ReadFile(filepath.Join(f.arch, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Verify(bytes.NewReader(b), f.roots)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		out[e.Name()] = m.Cases
		f.verified[e.Name()] = m.Cases
	}
	return out
}

// TestRunExportsVerifiesPurges: closed and answered cases older than three
// months go into signed packages of at most a batch, which verify against
// the unit's PKI, hold the case, its FHIR rendering and its access-log
// records; then they are purged and the key term that sealed them is
// retired. Open and recent cases stay; the access log still verifies.
func TestRunExportsVerifiesPurges(t *testing.T) {
	f := newFixture(t)
	old := f.seed(t, 23, true, true)
	oldAnswered := f.seed(t, 2, true, false)
	openOld := f.seed(t, 2, false, false) // never answered: stays however old
	f.clock.Advance(100 * 24 * time.Hour)
	recent := f.seed(t, 3, true, true)
	var progress [][2]int
	rep, err := f.archiver(t, 10).Run(context.Background(), func(done, total int) { progress = append(progress, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(old), oldAnswered...)
	if rep.Cases != len(want) || rep.Packages != 3 || !slices.Equal(rep.RetiredTerms, []uint32{1}) {
		t.Fatalf("report %+v, want %d cases in 3 packages and term 1 retired", rep, len(want))
	}
	// The total is at most until the end: the three recent cases are
	// candidates until they are read (a run reads each case once).
	if !slices.Equal(progress, [][2]int{{10, 28}, {20, 28}, {25, 25}}) {
		t.Errorf("progress %v", progress)
	}
	var exported []string
	for name, ids := range f.packages(t) {
		if len(ids) > 10 {
			t.Errorf("%s holds %d cases, more than a batch", name, len(ids))
		}
		exported = append(exported, ids...)
	}
	slices.Sort(exported)
	wantS := make([]string, len(want))
	for i, id := range want {
		wantS[i] = string(id)
	}
	slices.Sort(wantS)
	if !slices.Equal(exported, wantS) {
		t.Errorf("exported %v, want %v", exported, wantS)
	}
	ctx := context.Background()
	for _, id := range want {
		if _, err := f.svc.Get(ctx, dist, id); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("exported case %s still here: %v", id, err)
		}
	}
	for _, id := range append(openOld, recent...) {
		if _, err := f.svc.Get(ctx, dist, id); err != nil {
			t.Errorf("case %s should stay: %v", id, err)
		}
	}
	if _, err := f.db.VerifyAudit(ctx); err != nil {
		t.Errorf("access log after the archive: %v", err)
	}
	// One package's contents for the first case.
	name := f.arch + "/" + unit + "-" + wantS[0] + "-" + wantS[9] + ".tar"
	files := untar(t, name)
	dir := strings.TrimSuffix(filepath.Base(name), ".tar") + "/representations/rep1/data/" + wantS[0] + "/"
	var fhir struct {
		Entry []struct {
			Resource struct{ ResourceType string } `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(files[dir+"fhir.json"], &fhir); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range fhir.Entry {
		kinds[e.Resource.ResourceType]++
	}
	if kinds["Task"] != 1 || kinds["QuestionnaireResponse"] != 1 || kinds["Communication"] != 2 || kinds["AuditEvent"] < 3 {
		t.Errorf("FHIR bundle resources %v", kinds)
	}
	if !bytes.Contains(files[dir+"access-log.json"], []byte(`"action":"receive"`)) {
		t.Errorf("access-log.json: %s", files[dir+"access-log.json"])
	}
	if !bytes.Contains(files[dir+"case.json"], []byte(canary+"-svar")) {
		t.Error("case.json lacks the answer")
	}
	// Nothing more to do: a second run exports nothing.
	rep, err = f.archiver(t, 10).Run(ctx, nil)
	if err != nil || rep.Cases != 0 {
		t.Errorf("second run: %+v %v", rep, err)
	}
}

func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	tr := tarReader(b)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name], _ = io.ReadAll(tr)
	}
}

// TestFlippedByteFails: one byte changed anywhere in a package — a case
// file, the manifest, the signature, a tar header, padding, the end — and
// it no longer verifies.
func TestFlippedByteFails(t *testing.T) {
	f := newFixture(t)
	ids := f.seed(t, 3, true, true)
	var items []Item
	for _, id := range ids {
		c, _ := f.svc.Get(context.Background(), dist, id)
		items = append(items, Item{Case: c})
	}
	b, _, err := Build("pkg", unit, items, f.clock.Now(), f.signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(bytes.NewReader(b), f.roots); err != nil {
		t.Fatalf("the package as built: %v", err)
	}
	files := map[string]int{}
	for _, name := range []string{"case.json", "fhir.json", "METS.xml", "manifest.json", "manifest.sig", "signer.pem"} {
		i := bytes.Index(b, []byte(name))
		files[name] = i + 512 // the header block, then the content
	}
	for name, off := range files {
		bad := slices.Clone(b)
		bad[off+20] ^= 0x01
		if _, err := Verify(bytes.NewReader(bad), f.roots); err == nil {
			t.Errorf("a byte flipped in %s: the package still verifies", name)
		}
	}
	// Anywhere else too: headers, padding, the end blocks, a byte more.
	flips := 0
	for off := 0; off < len(b); off += 1 + len(b)/600 {
		bad := slices.Clone(b)
		bad[off] ^= 0x01
		if _, err := Verify(bytes.NewReader(bad), f.roots); err == nil {
			t.Errorf("byte %d of %d flipped: the package still verifies", off, len(b))
		}
		flips++
	}
	for _, bad := range [][]byte{b[:len(b)-1], append(slices.Clone(b), 0)} {
		if _, err := Verify(bytes.NewReader(bad), f.roots); err == nil {
			t.Errorf("a package of %d bytes instead of %d verifies", len(bad), len(b))
		}
	}
	t.Logf("%d single-byte changes over %d bytes, each refused", flips, len(b))
	// Another PKI's certificate does not chain.
	other, _ := devpki.New(nil, f.clock.Now().Add(-time.Hour))
	pool := x509.NewCertPool()
	pool.AddCert(other.Root())
	if _, err := Verify(bytes.NewReader(b), pool); !errors.Is(err, ErrInvalid) {
		t.Errorf("foreign roots: %v", err)
	}
}

var errKilled = errors.New("killed")

// TestResumeAfterEveryStep: a run stopped at each step — package written,
// verified (journal updated), cases purged — and then run again ends with
// every case exported exactly once and purged, nothing lost.
func TestResumeAfterEveryStep(t *testing.T) {
	for _, step := range []string{"written", "verified", "purged"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t)
			ids := f.seed(t, 12, true, true)
			f.clock.Advance(100 * 24 * time.Hour)
			a := f.archiver(t, 5)
			n := 0
			a.fault = func(s string) error {
				if s == step {
					n++
					if n == 2 { // the second package
						return errKilled
					}
				}
				return nil
			}
			if _, err := a.Run(context.Background(), nil); !errors.Is(err, errKilled) {
				t.Fatalf("first run: %v", err)
			}
			if _, err := f.archiver(t, 5).Run(context.Background(), nil); err != nil {
				t.Fatalf("second run: %v", err)
			}
			seen := map[string]int{}
			for _, cs := range f.packages(t) {
				for _, id := range cs {
					seen[id]++
				}
			}
			for _, id := range ids {
				if seen[string(id)] != 1 {
					t.Errorf("case %s in %d packages", id, seen[string(id)])
				}
				if _, err := f.svc.Get(context.Background(), dist, id); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("case %s not purged: %v", id, err)
				}
			}
			keys, _ := f.db.SettingKeys(context.Background(), journalPrefix)
			if len(keys) != 0 {
				t.Errorf("journal left: %v", keys)
			}
		})
	}
}

// TestSignerPEMMustBeCanonical: signer.pem is outside the manifest, and
// PEM decoding forgives, so a changed byte there could still verify (seen
// in TestFlippedByteFails, 2 runs in 30: the unused bits of the last
// base64 character flipped). Each forgiven variant, in a tar rebuilt
// around it, is refused.
func TestSignerPEMMustBeCanonical(t *testing.T) {
	f := newFixture(t)
	ids := f.seed(t, 1, true, true)
	c, _ := f.svc.Get(context.Background(), dist, ids[0])
	b, m, err := Build("pkg", unit, []Item{{Case: c}}, f.clock.Now(), f.signer)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(b))
	files := map[string][]byte{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(h.Name, "pkg/")
		files[name], _ = io.ReadAll(tr)
		order = append(order, name)
	}
	if canon, err := writeTar("pkg", order, files, m.Created); err != nil || !bytes.Equal(canon, b) {
		t.Fatalf("the rebuilt tar differs from Build's (%v): the test would prove nothing", err)
	}
	pemText := files["signer.pem"]
	// The same certificate with the last base64 character's unused bits
	// changed: base64 forgives it, the DER is the same.
	unusedBits := func(p []byte) []byte {
		end := bytes.Index(p, []byte("=\n-----END")) + 1
		if end == 0 {
			return nil // no block ends in padding: no unused bits
		}
		body := bytes.TrimRight(p[:end], "=")
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		q := slices.Clone(p)
		i := len(body) - 1
		q[i] = alphabet[strings.IndexByte(alphabet, q[i])^1]
		return q
	}
	variants := map[string][]byte{
		"text after the last block":   append(slices.Clone(pemText), "x\n"...),
		"text before the first block": append([]byte("x\n"), pemText...),
		"a header in the block":       bytes.Replace(pemText, []byte("CERTIFICATE-----\n"), []byte("CERTIFICATE-----\nX: y\n\n"), 1),
	}
	if v := unusedBits(pemText); v != nil {
		variants["the last character's unused bits"] = v
	}
	for name, v := range variants {
		g := maps.Clone(files)
		g["signer.pem"] = v
		bad, err := writeTar("pkg", order, g, m.Created)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(bytes.NewReader(bad), f.roots); !errors.Is(err, ErrInvalid) {
			t.Errorf("signer.pem with %s: Verify = %v, want ErrInvalid", name, err)
		}
	}
}

// writeTar writes files, in order, under the folder name, with Writer's
// (USTAR) headers: the canonical tar of those files, for tests that rebuild a
// package around a changed file.
func writeTar(name string, order []string, files map[string][]byte, mtime time.Time) ([]byte, error) {
	return writeTarAs(name, order, files, mtime, tar.FormatUSTAR, nil)
}

// writeTarAs is writeTar with headers in the tar format f, with the PAX
// records pax.
func writeTarAs(name string, order []string, files map[string][]byte, mtime time.Time, f tar.Format, pax map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range order {
		h := tarHeader(name, p, len(files[p]), mtime, f)
		h.PAXRecords = pax
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[p]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestRunWaitsForTheSettlingPackage: a package is made while the one
// before it settles (verified, purged) in a goroutine; when making the
// next one fails, Run returns only once the one before it has settled:
// its cases purged, its journal entry gone, and nothing of the failed
// package purged.
func TestRunWaitsForTheSettlingPackage(t *testing.T) {
	f := newFixture(t)
	ids := f.seed(t, 10, true, true)
	slices.Sort(ids) // packages take cases in id order
	f.clock.Advance(100 * 24 * time.Hour)
	a := f.archiver(t, 5)
	written := 0
	a.fault = func(s string) error {
		if s == "written" {
			if written++; written == 2 {
				return errKilled
			}
		}
		return nil
	}
	if _, err := a.Run(context.Background(), nil); !errors.Is(err, errKilled) {
		t.Fatalf("run: %v", err)
	}
	keys, err := f.db.SettingKeys(context.Background(), journalPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Errorf("journal entries %v, want the second package's alone", keys)
	}
	for i, id := range ids {
		_, err := f.svc.Get(context.Background(), dist, id)
		if purged := errors.Is(err, cases.ErrNotFound); purged != (i < 5) {
			t.Errorf("case %d: purged %v when Run returned (%v)", i, purged, err)
		}
	}
}
