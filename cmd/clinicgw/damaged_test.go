package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// The damaged-store tests run every command that opens a store on real
// store files (written by the real store, then damaged on disk) in a child
// process — this test binary re-executed as clinicgw — since a panic in
// one of bbolt's own goroutines cannot be recovered and would end the test
// binary itself.

const childArgsEnv = "CLINICGW_TEST_CHILD_ARGS"

// TestClinicgwChild is not a test: it is clinicgw's command line, run by
// clinicgwChild in a child process.
func TestClinicgwChild(t *testing.T) {
	raw := os.Getenv(childArgsEnv)
	if raw == "" {
		t.Skip("helper process for the damaged-store tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// clinicgwChild runs clinicgw with args in a child process and returns its
// exit status and output. A child still running after a minute is killed
// (a damaged store must be refused at once, never served).
func clinicgwChild(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestClinicgwChild$")
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(raw))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("clinicgw %s: still running after a minute\nstderr: %s", strings.Join(args, " "), errOut.String())
	}
	code = cmd.ProcessState.ExitCode()
	if code < 0 {
		t.Fatalf("clinicgw %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// damageUnit is the unit of the damaged-store tests' gateway.
const damageUnit = "SE2321000016-15ZM"

// newDamageGateway makes a gateway folder with init and fills its store
// with n cases (several pages of them, under a branch page) and an
// access-log record each, and returns the configuration file and the
// store's bytes.
func newDamageGateway(t *testing.T, n int) (config string, pristine []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gw")
	if code, _, stderr := clinicgw(t, "init", "--dir", dir, "--unit", damageUnit, "--name", "Vårdcentralen Exempel"); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	ctx := context.Background()
	kek, err := store.LoadKeyFile(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, filepath.Join(dir, "store.db"), kek, store.Options{Unit: damageUnit})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	text := strings.Repeat("Jag har haft ont i halsen i tre dagar. ", 40)
	err = db.Update(ctx, func(tx cases.Tx) error {
		for j := range n {
			id, err := caseid.New(now.Add(time.Duration(j-n)*time.Second), nil)
			if err != nil {
				return err
			}
			pnr := personnummer.Synthetic(time.Date(1950+j%50, time.Month(1+j%12), 1+j%28, 0, 0, 0, 0, time.UTC), 980+j%20)
			c := &cases.Case{ID: id, Unit: damageUnit, Type: casetype.All[j%len(casetype.All)], Status: cases.Received,
				Patient: cases.Person{PNR: pnr, Name: "Test Testsson"}, ReceivedAt: now, DueAt: now.Add(48 * time.Hour),
				Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: text, At: now}}}
			if err := tx.Insert(c); err != nil {
				return err
			}
			if err := tx.AppendAudit(audit.Entry{Time: now, Actor: "system", Unit: damageUnit, Action: string(cases.Receive),
				CaseID: string(id), Patient: string(pnr), Outcome: audit.Allowed}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	pristine, err = os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "clinicgw.toml"), pristine
}

// boltMeta is what the damage table needs of a bbolt file's current meta
// page (the valid one with the higher transaction id).
type boltMeta struct {
	pageSize     int
	root, free   uint64
	hwm, txid    uint64
	freelistSync bool
}

func readBoltMeta(t *testing.T, b []byte) boltMeta {
	t.Helper()
	le := binary.LittleEndian
	pageSize := int(le.Uint32(b[16+8:]))
	var best boltMeta
	for _, off := range []int{0, pageSize} {
		m := b[off+16:]
		if le.Uint32(m) != 0xED0CDAED {
			continue
		}
		bm := boltMeta{pageSize: pageSize, root: le.Uint64(m[16:]), free: le.Uint64(m[32:]), hwm: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}
		bm.freelistSync = bm.free != ^uint64(0)
		if bm.txid >= best.txid {
			best = bm
		}
	}
	if best.pageSize == 0 {
		t.Fatal("no meta page")
	}
	return best
}

// bucketRoot returns the root page of a top-level bucket, and the first
// child of that page when it is a branch page.
func bucketRoot(t *testing.T, b []byte, name string) (root, firstLeaf uint64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket([]byte(name)).Root())
		return nil
	})
	ps := readBoltMeta(t, b).pageSize
	p := b[int(root)*ps:]
	if binary.LittleEndian.Uint16(p[8:]) != 0x01 {
		t.Fatalf("bucket %s: root page %d is not a branch page; the fixture needs more cases", name, root)
	}
	return root, binary.LittleEndian.Uint64(p[16+8:])
}

// sealedValueOffset returns where the sealed value of the first case lies
// in the file.
func sealedValueOffset(t *testing.T, b []byte) int {
	t.Helper()
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v []byte
	db.View(func(tx *bolt.Tx) error {
		_, val := tx.Bucket([]byte("case-records")).Cursor().First()
		v = bytes.Clone(val)
		return nil
	})
	off := bytes.Index(b, v)
	if off < 0 || bytes.Contains(b[off+1:], v) {
		t.Fatal("the first case's sealed value is not in the file exactly once")
	}
	return off
}

// withSyncedFreelist returns the store written again by bbolt with its
// freelist stored in a page (as a store compacted by an earlier clinicgw
// has it), and that page's number.
func withSyncedFreelist(t *testing.T, b []byte) ([]byte, uint64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "freelist.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoFreelistSync: false})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := readBoltMeta(t, out)
	if !m.freelistSync {
		t.Fatal("bbolt did not store the freelist")
	}
	return out, m.free
}

type damage struct {
	name string
	file []byte
}

// damages returns the pristine store damaged in every way the tests
// demand a clear refusal for.
func damages(t *testing.T, pristine []byte) []damage {
	m := readBoltMeta(t, pristine)
	ps := m.pageSize
	hwmBytes := int(m.hwm) * ps
	edit := func(src []byte, fn func(b []byte)) []byte {
		b := bytes.Clone(src)
		fn(b)
		return b
	}
	put64 := func(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
	put32 := func(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
	put16 := func(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
	branch, leaf := bucketRoot(t, pristine, "case-records")
	bo, lo := int(branch)*ps, int(leaf)*ps
	sealed := sealedValueOffset(t, pristine)
	synced, fl := withSyncedFreelist(t, pristine)
	fo := int(fl) * ps
	rng := mrand.New(mrand.NewPCG(15, 4))
	garbage := make([]byte, len(pristine))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	sqlite := make([]byte, 4*4096)
	copy(sqlite, "SQLite format 3\x00")
	var ds []damage
	add := func(name string, b []byte) { ds = append(ds, damage{name, b}) }
	add("both meta pages' magic flipped", edit(pristine, func(b []byte) { b[16] ^= 0xff; b[ps+16] ^= 0xff }))
	add("both meta pages' checksums flipped", edit(pristine, func(b []byte) { b[16+56] ^= 0x01; b[ps+16+56] ^= 0x01 }))
	add("branch page says it is another page", edit(pristine, func(b []byte) { put64(b, bo, branch+1) }))
	add("branch page's type flipped", edit(pristine, func(b []byte) { put16(b, bo+8, 0x20) }))
	add("branch page's count huge", edit(pristine, func(b []byte) { put16(b, bo+10, 0xfff0) }))
	add("branch element points past the end", edit(pristine, func(b []byte) { put64(b, bo+16+8, m.hwm+1000) }))
	add("branch element points at a meta page", edit(pristine, func(b []byte) { put64(b, bo+16+8, 1) }))
	add("branch element points at the root's sibling", edit(pristine, func(b []byte) { put64(b, bo+16+16+8, leaf) }))
	add("branch key's size past the page", edit(pristine, func(b []byte) { put32(b, bo+16+16+4, 0x7fff0000) }))
	add("leaf page says it is another page", edit(pristine, func(b []byte) { put64(b, lo, leaf+7) }))
	add("leaf page's count huge", edit(pristine, func(b []byte) { put16(b, lo+10, 0xffff) }))
	add("leaf page's overflow huge", edit(pristine, func(b []byte) { put32(b, lo+12, 0xffffff) }))
	add("leaf element's value past the page", edit(pristine, func(b []byte) { put32(b, lo+16+12, 0xfffffff0) }))
	add("leaf element's key position past the page", edit(pristine, func(b []byte) { put32(b, lo+16+4, 0x7fffffff) }))
	add("leaf keys out of order", edit(pristine, func(b []byte) { put32(b, lo+16+16+4, binary.LittleEndian.Uint32(b[lo+16+4:])-16) }))
	add("a sealed value flipped", edit(pristine, func(b []byte) { b[sealed+100] ^= 0x40 }))
	add("freelist page's count huge", edit(synced, func(b []byte) { put16(b, fo+10, 0xfffe) }))
	add("freelist frees a page in use", edit(synced, func(b []byte) {
		put16(b, fo+10, binary.LittleEndian.Uint16(b[fo+10:])+1)
		copy(b[fo+16+8:], b[fo+16:fo+16+8*int(binary.LittleEndian.Uint16(b[fo+10:]))])
		put64(b, fo+16, leaf)
	}))
	add("freelist names a page past the end", edit(synced, func(b []byte) {
		put16(b, fo+10, binary.LittleEndian.Uint16(b[fo+10:])+1)
		put64(b, fo+16, readBoltMeta(t, synced).hwm+5)
	}))
	for _, n := range []int{100, ps - 1, 2 * ps, 3*ps + 100, hwmBytes / 2, hwmBytes - ps, hwmBytes - 1} {
		add(fmt.Sprintf("truncated to %d bytes", n), bytes.Clone(pristine[:n]))
	}
	add("zero-length", []byte{})
	add("random garbage", garbage)
	add("an SQLite file", sqlite)
	add("a text file", []byte("[unit]\nhsa_id = \"SE2321000016-15ZM\"\n"))
	return ds
}

// storeCommands are the commands that open an existing store, with the
// configuration flag to add.
var storeCommands = [][]string{
	{"stats"}, {"audit", "verify"}, {"keys", "list"}, {"keys", "rotate"}, {"keys", "retire"}, {"store", "check"}, {"run"},
}

// checkRefused asserts the one clear refusal: exit 1, the file named and
// called damaged, what to do, no panic.
func checkRefused(t *testing.T, what string, path string, code int, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic", "goroutine ", "fatal error", "SIGSEGV", "SIGBUS"} {
		if strings.Contains(stderr, bad) {
			t.Fatalf("%s: %q in the output:\n%s", what, bad, stderr)
		}
	}
	if code != exitFailure {
		t.Errorf("%s: exit %d, want %d\nstderr: %s", what, code, exitFailure, stderr)
	}
	for _, want := range []string{path, "is damaged", "Restore the latest backup of this file"} {
		if n := strings.Count(stderr, want); n == 0 {
			t.Errorf("%s: the error lacks %q:\n%s", what, want, stderr)
		}
	}
	if n := strings.Count(stderr, "is damaged"); n > 1 {
		t.Errorf("%s: the error is said %d times, want once:\n%s", what, n, stderr)
	}
}

// TestDamagedStoreRefused: every command that opens a store, on a store
// damaged in each way, says once that the named file is damaged and what
// to do, exits 1, never panics, and leaves the file as it was.
func TestDamagedStoreRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clinicgw a few hundred times; skipped with -short")
	}
	config, pristine := newDamageGateway(t, 150)
	path := filepath.Join(filepath.Dir(config), "store.db")
	for _, d := range damages(t, pristine) {
		t.Run(d.name, func(t *testing.T) {
			if err := os.WriteFile(path, d.file, 0o600); err != nil {
				t.Fatal(err)
			}
			want := sha256.Sum256(d.file)
			for _, cmd := range storeCommands {
				what := strings.Join(cmd, " ")
				code, _, stderr := clinicgwChild(t, append(cmd, "--config", config)...)
				checkRefused(t, what, path, code, stderr)
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(got) != want {
					t.Fatalf("%s changed the damaged file", what)
				}
			}
		})
	}
}

// TestSoundStoreAccepted: what is not damage opens: the store as written,
// its freelist stored in a page (a store compacted by an earlier
// clinicgw), and one meta page that does not check — what a power cut
// during a commit leaves, from which bbolt goes on with the other.
func TestSoundStoreAccepted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clinicgw in child processes; skipped with -short")
	}
	config, pristine := newDamageGateway(t, 150)
	path := filepath.Join(filepath.Dir(config), "store.db")
	synced, _ := withSyncedFreelist(t, pristine)
	ps := readBoltMeta(t, pristine).pageSize
	current := 0
	if readBoltMeta(t, pristine).txid%2 == 1 {
		current = 1
	}
	for _, d := range []damage{
		{"as written", pristine},
		{"freelist stored", synced},
		{"the older meta page torn", func() []byte { b := bytes.Clone(pristine); b[(1-current)*ps+16+40] ^= 0xff; return b }()},
		{"the newer meta page torn", func() []byte { b := bytes.Clone(pristine); b[current*ps+16+40] ^= 0xff; return b }()},
	} {
		t.Run(d.name, func(t *testing.T) {
			if err := os.WriteFile(path, d.file, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, cmd := range [][]string{{"store", "check"}, {"stats"}, {"keys", "list"}, {"audit", "verify"}} {
				code, stdout, stderr := clinicgwChild(t, append(cmd, "--config", config)...)
				if code != exitOK {
					t.Errorf("%s: exit %d\nstdout: %s\nstderr: %s", strings.Join(cmd, " "), code, stdout, stderr)
				}
				if cmd[0] == "store" && (!strings.Contains(stdout, "is sound") || !strings.Contains(stderr, "store check: values 100%")) {
					t.Errorf("store check: no summary or progress\nstdout: %s\nstderr: %s", stdout, stderr)
				}
			}
		})
	}
}

// TestRandomDamageNeverPanics flips one byte at random places in the used
// part of the store (a bounded, seeded table) and runs store check and
// stats on each: a flip in a free page or in slack changes nothing, any
// other is refused with the clear error; never a panic, never a change
// to the file.
func TestRandomDamageNeverPanics(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clinicgw in child processes; skipped with -short")
	}
	config, pristine := newDamageGateway(t, 150)
	path := filepath.Join(filepath.Dir(config), "store.db")
	m := readBoltMeta(t, pristine)
	rng := mrand.New(mrand.NewPCG(15, 44))
	refused := 0
	const flips = 40
	for range flips {
		off := rng.IntN(int(m.hwm) * m.pageSize)
		b := bytes.Clone(pristine)
		b[off] ^= byte(1 + rng.IntN(255))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(b)
		for _, cmd := range [][]string{{"store", "check"}, {"stats"}} {
			what := fmt.Sprintf("%s, byte %d (page %d) flipped", strings.Join(cmd, " "), off, off/m.pageSize)
			code, _, stderr := clinicgwChild(t, append(cmd, "--config", config)...)
			if code != exitOK {
				checkRefused(t, what, path, code, stderr)
				refused++
			}
			if got, _ := os.ReadFile(path); sha256.Sum256(got) != want {
				t.Fatalf("%s: the file changed", what)
			}
		}
	}
	t.Logf("%d of %d runs refused the store", refused, 2*flips)
}
