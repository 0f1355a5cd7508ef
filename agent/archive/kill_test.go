package archive

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/personnummer"
)

// The kill tests run the archive in a child process (this test binary,
// re-executed) and end it with SIGKILL: at each named step — half a
// package in its temporary file ("writing"), the package renamed into
// place but not yet read back ("written"), read back and verified but
// nothing purged ("verified"), purged (the journal entry goes in the
// purge's commit; a journal of an older gateway stays until the next
// commit) ("purged"), the key ring rotated but not yet resealed and retired
// ("retiring") — and at random moments. After every kill the parent
// reopens the store and demands: bbolt's check and the access log pass;
// no case is in two packages; every case is still in the store or in a
// package that verifies (none lost, none purged unverified). A last run
// finishes the work: every case exported exactly once and purged, no
// journal, no temporary file, older key terms retired; and once the next
// open has compacted it, the raw store file holds neither the purged
// cases' ciphertext nor any of their plaintext. CLINICGW_ARCHIVE_KILL_ROUNDS
// sets the random rounds (20 by default).

const killChildEnv = "CLINICGW_ARCHIVE_KILL_CHILD"

// killSpec is what the parent tells a child: where the store, archive and
// signer are, the time, and where to kill itself ("" for nowhere: the
// parent kills it).
type killSpec struct {
	Dir, Arch string
	Now       time.Time
	Step      string
	Batch     int
}

func (s killSpec) String() string {
	return strings.Join([]string{s.Dir, s.Arch, s.Now.Format(time.RFC3339Nano), s.Step, strconv.Itoa(s.Batch)}, "|")
}

func TestArchiveKillChild(t *testing.T) {
	raw := os.Getenv(killChildEnv)
	if raw == "" {
		t.Skip("helper process for TestArchiveKilled")
	}
	p := strings.Split(raw, "|")
	now, err := time.Parse(time.RFC3339Nano, p[2])
	if err != nil {
		t.Fatal(err)
	}
	batch, _ := strconv.Atoi(p[4])
	spec := killSpec{Dir: p[0], Arch: p[1], Now: now, Step: p[3], Batch: batch}
	kek, err := store.LoadKeyFile(filepath.Join(spec.Dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.New(spec.Now)
	db, err := store.Open(context.Background(), filepath.Join(spec.Dir, "store.db"), kek, store.Options{Unit: unit, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{DB: db, Unit: unit, Dir: spec.Arch, Batch: spec.Batch, Signer: loadSigner(t, spec.Dir), Clock: clock, Retire: true})
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	say := func(s string) { out.WriteString(s + "\n"); out.Flush() }
	a.fault = func(step string) error {
		if step == spec.Step {
			say("kill " + step)
			self, _ := os.FindProcess(os.Getpid())
			self.Kill() // SIGKILL: nothing after this line runs
			select {}
		}
		return nil
	}
	say("ready")
	if _, err := a.Run(context.Background(), func(done, total int) { say(fmt.Sprintf("progress %d %d", done, total)) }); err != nil {
		t.Fatal(err)
	}
	say("done")
}

// saveSigner writes the fixture's signing key and certificates for a child.
func (f *fixture) saveSigner(t *testing.T) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(f.signer.Key)
	if err != nil {
		t.Fatal(err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, c := range append([]*x509.Certificate{f.signer.Cert}, f.signer.Chain...) {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "signer.pem"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func loadSigner(t *testing.T, dir string) Signer {
	t.Helper()
	rest, err := os.ReadFile(filepath.Join(dir, "signer.pem"))
	if err != nil {
		t.Fatal(err)
	}
	var s Signer
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return s
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			s.Key = k.(crypto.Signer)
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if s.Cert == nil {
				s.Cert = c
			} else {
				s.Chain = append(s.Chain, c)
			}
		}
	}
}

// runChild runs one archive child until it ends. With a step, the child
// kills itself there; with after > 0 the parent kills it that long after it
// is ready. It reports whether the run finished ("done") and where it was
// killed.
func (f *fixture) runChild(t *testing.T, spec killSpec, after time.Duration) (done bool, last string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestArchiveKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+spec.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var killed atomic.Bool // the timer's kill was sent
	for lines.Scan() {
		last = lines.Text()
		switch {
		case last == "ready" && after > 0:
			timer := time.AfterFunc(after, func() { killed.Store(true); cmd.Process.Signal(syscall.SIGKILL) })
			defer timer.Stop()
		case last == "done":
			done = true
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case done && err != nil && !killed.Load(): // killed after "done", on its way out, is a finished run
		t.Fatalf("child finished but exited with %v", err)
	case !done && (!errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL):
		t.Fatalf("child ended with %v after %q, want SIGKILL", err, last)
	}
	return done, last
}

// checkAfterKill reopens the store and checks that nothing is lost,
// duplicated or purged unverified. It returns how many cases are exported.
func (f *fixture) checkAfterKill(t *testing.T, ids []cases.ID) int {
	t.Helper()
	f.open(t)
	defer f.db.Close()
	ctx := context.Background()
	if err := f.db.Check(ctx); err != nil {
		t.Fatalf("bbolt check: %v", err)
	}
	if _, err := f.db.VerifyAudit(ctx); err != nil {
		t.Fatalf("access log: %v", err)
	}
	in := map[string]string{}
	for name, cs := range f.packages(t) {
		for _, id := range cs {
			if other, ok := in[id]; ok {
				t.Errorf("case %s exported twice: %s and %s", id, other, name)
			}
			in[id] = name
		}
	}
	// Read in one transaction, not through the service: a staff read
	// would write an access-log record per case.
	err := f.db.View(ctx, func(tx cases.ReadTx) error {
		for _, id := range ids {
			_, err := tx.Case(id)
			switch {
			case errors.Is(err, cases.ErrNotFound) && in[string(id)] == "":
				t.Errorf("case %s lost: purged but in no verified package", id)
			case err != nil && !errors.Is(err, cases.ErrNotFound):
				t.Errorf("case %s: %v", id, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(in)
}

// sealedCases reads the raw sealed values of the given cases from the
// closed store file.
func sealedCases(t *testing.T, path string, ids []cases.ID) [][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	err = db.View(func(btx *bolt.Tx) error {
		// Records are keyed by arrival order; "case-ids" names each
		// case's record key (8 bytes and the id, then the blinded
		// personnummer: agent/store's casekey.go).
		b, idx := btx.Bucket([]byte("case-records")), btx.Bucket([]byte("case-ids"))
		if b == nil || idx == nil {
			return errors.New("no case records bucket")
		}
		for _, id := range ids {
			e := idx.Get([]byte(id))
			if len(e) < 8+len(id) {
				return fmt.Errorf("case %s not in the file", id)
			}
			v := b.Get(e[:8+len(id)])
			if v == nil {
				return fmt.Errorf("case %s not in the file", id)
			}
			out = append(out, bytes.Clone(v))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// killFixture seeds n closed cases, moves the clock past their age,
// saves the signer for the children and closes the store. It returns the
// cases and their sealed values as they are in the file.
func killFixture(t *testing.T, n int) (*fixture, []cases.ID, [][]byte) {
	t.Helper()
	f := newFixture(t)
	ids := f.seed(t, n, true, true)
	f.clock.Advance(100 * 24 * time.Hour)
	f.saveSigner(t)
	f.db.Close()
	return f, ids, sealedCases(t, filepath.Join(f.dir, "store.db"), ids)
}

func TestArchiveKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	t.Run("steps", func(t *testing.T) {
		f, ids, sealed := killFixture(t, 20)
		spec := killSpec{Dir: f.dir, Arch: f.arch, Now: f.clock.Now(), Batch: 5}
		for _, step := range []string{"writing", "written", "verified", "purged", "retiring"} {
			spec.Step = step
			if done, last := f.runChild(t, spec, 0); done || last != "kill "+step {
				t.Fatalf("child at %s: done %v, last %q", step, done, last)
			}
			temps := f.temps(t)
			if step == "writing" && len(temps) != 1 {
				t.Errorf("killed while writing: %d temporary files, want the half-written one", len(temps))
			}
			n := f.checkAfterKill(t, ids)
			t.Logf("killed at %s: %d of %d cases exported, %d temporary files", step, n, len(ids), len(temps))
		}
		f.finish(t, ids, sealed)
	})
	t.Run("random", func(t *testing.T) {
		rounds := 20
		if s := os.Getenv("CLINICGW_ARCHIVE_KILL_ROUNDS"); s != "" {
			var err error
			if rounds, err = strconv.Atoi(s); err != nil {
				t.Fatalf("CLINICGW_ARCHIVE_KILL_ROUNDS: %v", err)
			}
		}
		// A kill lands after about four cases exported on average: enough
		// cases that every round has work left.
		f, ids, sealed := killFixture(t, max(200, 5*rounds))
		spec := killSpec{Dir: f.dir, Arch: f.arch, Now: f.clock.Now(), Batch: 2}
		kills, progressed, prev := 0, 0, 0 // progressed: killed rounds that had exported something first
		window := int64(29000)             // µs
		for round := range rounds {
			// 1–30 ms after the child opened the store: its first
			// milliseconds go to finding the eligible cases, then a package
			// of two takes about a millisecond, so the kills land before,
			// inside and between packages. A machine many times slower
			// (the race detector, a loaded box) gets a window twice as wide
			// after each round that exported nothing.
			after := time.Duration(1000+randN(window)) * time.Microsecond
			done, last := f.runChild(t, spec, after)
			n := f.checkAfterKill(t, ids)
			if done {
				t.Logf("round %d: the run finished before the kill (%d exported)", round, n)
				break
			}
			kills++
			if n > prev {
				progressed++
			} else {
				window = min(2*window, 2_000_000)
			}
			prev = n
			t.Logf("round %d: killed %v after start, after %q: %d of %d exported", round, after, last, n, len(ids))
		}
		if kills == 0 {
			t.Fatal("no run was killed: the test proves nothing")
		}
		if kills >= 5 && progressed == 0 {
			t.Fatalf("%d runs killed, none after exporting anything: the kills all came before the work", kills)
		}
		f.finish(t, ids, sealed)
	})
}

// finish runs the archive to its end after the kills and checks the end
// state, then scans the raw store file, compacted by the next open, for
// the purged cases: their ciphertext (sealed, as it was before the first
// run) and their plaintext.
func (f *fixture) finish(t *testing.T, ids []cases.ID, sealed [][]byte) {
	t.Helper()
	path := filepath.Join(f.dir, "store.db")
	done, _ := f.runChild(t, killSpec{Dir: f.dir, Arch: f.arch, Now: f.clock.Now(), Batch: 5}, 0)
	if !done {
		t.Fatal("the last run did not finish")
	}
	if temps := f.temps(t); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
	// The run retired the older terms with the store open; their wrapped
	// keys and the purged ciphertext may linger in free pages until the
	// next Open compacts the file (checkAfterKill opens it).
	lingering := countIn(t, path, sealed)
	if n := f.checkAfterKill(t, ids); n != len(ids) {
		t.Errorf("%d of %d cases exported", n, len(ids))
	}
	f.open(t)
	ctx := context.Background()
	for _, id := range ids {
		if _, err := f.svc.Get(ctx, dist, id); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("case %s not purged: %v", id, err)
		}
	}
	if keys, _ := f.db.SettingKeys(ctx, "archive/"); len(keys) != 0 {
		t.Errorf("journal or retirement mark left: %v", keys)
	}
	ring, err := f.db.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	for _, term := range ring {
		if !term.Active && !term.Retired {
			t.Errorf("key term %d neither active nor retired after the archive", term.Term)
		}
	}
	f.db.Close()

	after := countIn(t, path, sealed)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	plain := 0
	for _, c := range [][]byte{[]byte(canary), []byte("Doris")} {
		if bytes.Contains(raw, c) {
			plain++
		}
	}
	for i := range len(ids) {
		pnr := personnummer.Synthetic(time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 980+i%20)
		for _, form := range []string{string(pnr), pnr.String(), string(pnr)[2:]} {
			if bytes.Contains(raw, []byte(form)) {
				plain++
			}
		}
	}
	t.Logf("purged ciphertexts in the raw file: %d of %d after the run (older terms retired: they never open), %d after the next open compacted it; plaintext canaries: %d",
		lingering, len(sealed), after, plain)
	if after != 0 || plain != 0 {
		t.Errorf("after purge, retirement and the next open the raw file holds %d purged ciphertexts and %d plaintext canaries", after, plain)
	}
}

func countIn(t *testing.T, path string, values [][]byte) int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range values {
		if bytes.Contains(raw, v) {
			n++
		}
	}
	return n
}

// temps lists the temporary files in the archive folder.
func (f *fixture) temps(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(f.arch)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func randN(n int64) int64 {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		panic(err)
	}
	return v.Int64()
}
