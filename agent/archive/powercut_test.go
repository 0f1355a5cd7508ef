//go:build linux

package archive

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/powercut"
)

// The archive export on a disk that loses power (agent/powercut): the kill
// test's child (TestArchiveKillChild) exports packages of two from a store
// on the power-cut disk into an archive folder on it, and the power goes
// at a random moment, a time or an exact operation. After every cut, from
// what the disk kept: bbolt's check passes, every package under its final
// name verifies, no case is in two packages, and no case is gone from the
// store without being in a package that verifies. After the rounds a last
// run on the plain disk finishes the work (f.finish: every case exported
// once and purged). The control: the same run with the archive folder's
// fsyncs dropped must purge cases whose package the cut then takes away.
// CLINICGW_POWERCUT_ROUNDS sets the rounds (50 by default; `make soak`
// runs 1000).
func TestPowerCutArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	powercut.Require(t)
	rounds := powercut.Rounds(t, 50)
	f, ids, sealed := killFixture(t, 60+4*rounds)
	backing := t.TempDir()
	moveToBacking(t, f, backing)

	start := time.Now()
	var total powercut.Stats
	exported, finished := 0, 0
	for round := range rounds {
		d, done := archiveRound(t, f, backing, round, powercut.RandomWhen(round, 30*time.Millisecond, 300), nil)
		s := d.Stats()
		total.Writes += s.Writes
		total.FileSyncs += s.FileSyncs
		total.DirSyncs += s.DirSyncs
		total.PagesRestored += s.PagesRestored
		total.NamesRemoved += s.NamesRemoved
		if done {
			finished++
		}
		lost, n, bad := archiveAfterCut(t, f, ids, round%10 == 9)
		if lost != 0 || len(bad) != 0 {
			t.Fatalf("round %d: after the cut %d cases are purged but in no verified package; packages that do not verify: %v", round, lost, bad)
		}
		exported = n
	}
	if exported == 0 || total.FileSyncs == 0 || total.DirSyncs == 0 || total.PagesRestored == 0 {
		t.Fatalf("the rounds tested nothing: %d cases exported, the disk saw %+v", exported, total)
	}
	t.Logf("%d power cuts during the archive export, %v a round: %d of %d cases exported by then, none purged without a verified package (%d runs finished before their cut); the disk saw %d writes, %d file syncs, %d folder syncs, put back %d pages and took away %d names",
		rounds, (time.Since(start) / time.Duration(rounds)).Round(time.Millisecond), exported, len(ids), finished, total.Writes, total.FileSyncs, total.DirSyncs, total.PagesRestored, total.NamesRemoved)
	f.verified = nil
	f.finish(t, ids, sealed)

	// The control: the archive folder's fsyncs dropped, a whole run, then
	// the cut. The store's purges are durable, the packages are not.
	cf, cids, _ := killFixture(t, 20)
	cbacking := t.TempDir()
	moveToBacking(t, cf, cbacking)
	archiveRound(t, cf, cbacking, 0, powercut.When{}, func(rel string) bool { return strings.HasPrefix(rel, "arkiv") })
	lost, _, _ := archiveAfterCut(t, cf, cids, false)
	if lost == 0 {
		t.Fatal("control: with the archive folder's fsyncs dropped, no case was lost: the power-cut disk does not test durability")
	}
	t.Logf("control with the archive folder's fsyncs dropped: %d of %d cases purged without a package", lost, len(cids))
}

// moveToBacking moves the fixture's store, key and signer into the
// backing folder's gw/, where the power-cut disk serves them; the fixture
// then points at the backing folder (what the disk kept).
func moveToBacking(t *testing.T, f *fixture, backing string) {
	t.Helper()
	gw := filepath.Join(backing, "data", "gw")
	if err := os.MkdirAll(gw, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"store.db", "kek.key", "signer.pem"} {
		if err := os.Rename(filepath.Join(f.dir, name), filepath.Join(gw, name)); err != nil {
			t.Fatal(err)
		}
	}
	f.dir, f.arch = gw, filepath.Join(backing, "data", "arkiv")
}

// archiveRound runs one archive child on a fresh mount of backing and cuts
// at when (with drop, those fsyncs are dropped). It says whether the run
// finished before the cut.
func archiveRound(t *testing.T, f *fixture, backing string, round int, when powercut.When, drop func(string) bool) (*powercut.Disk, bool) {
	t.Helper()
	d := powercut.Mount(t, backing)
	if drop != nil {
		d.DropSyncs(drop)
	}
	spec := killSpec{Dir: filepath.Join(d.Dir(), "gw"), Arch: filepath.Join(d.Dir(), "arkiv"), Now: f.clock.Now(), Batch: 2}
	cmd := exec.Command(os.Args[0], "-test.run=^TestArchiveKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), killChildEnv+"="+spec.String())
	done := false
	d.RunChild(t, cmd, when, func(line string) { done = done || line == "done" })
	d.Unmount(t)
	return d, done
}

// archiveAfterCut checks what the disk kept: it returns the cases purged
// but in no package that verifies, the cases in packages, and the packages
// under their final name that do not verify. A damaged store, or a case in
// two packages, fails the test.
func archiveAfterCut(t *testing.T, f *fixture, ids []cases.ID, full bool) (lost, exported int, bad []string) {
	t.Helper()
	f.open(t)
	defer f.db.Close()
	ctx := context.Background()
	if err := f.db.Check(ctx); err != nil {
		t.Fatalf("bbolt check after the cut: %v", err)
	}
	if full {
		if _, err := f.db.VerifyAudit(ctx); err != nil {
			t.Fatalf("access log after the cut: %v", err)
		}
	}
	in := map[string]string{}
	entries, err := os.ReadDir(f.arch)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // a temporary file: the next run removes it
		}
		ids, err := verifiedCases(f, e.Name())
		if err != nil {
			bad = append(bad, e.Name()+": "+err.Error())
			continue
		}
		for _, id := range ids {
			if other, ok := in[id]; ok {
				t.Fatalf("case %s exported twice: %s and %s", id, other, e.Name())
			}
			in[id] = e.Name()
		}
	}
	err = f.db.View(ctx, func(tx cases.ReadTx) error {
		for _, id := range ids {
			_, err := tx.Case(id)
			switch {
			case errors.Is(err, cases.ErrNotFound) && in[string(id)] == "":
				lost++
			case err != nil && !errors.Is(err, cases.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lost, len(in), bad
}

// verifiedPackage is a package file verified before, as it was then: a
// cut that rolls it back changes its size or modification time.
type verifiedPackage struct {
	ino, size, mtime int64
	cases            []string
}

var verifiedPackages = map[string]verifiedPackage{}

// verifiedCases verifies the package name in f.arch (or recalls having
// verified it, unchanged, after an earlier cut) and returns its cases.
func verifiedCases(f *fixture, name string) ([]string, error) {
	p := filepath.Join(f.arch, name)
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	st := fi.Sys().(*syscall.Stat_t)
	key := verifiedPackage{ino: int64(st.Ino), size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if v, ok := verifiedPackages[p]; ok && v.ino == key.ino && v.size == key.size && v.mtime == key.mtime {
		return v.cases, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	m, err := Verify(bytes.NewReader(b), f.roots)
	if err != nil {
		return nil, err
	}
	key.cases = m.Cases
	verifiedPackages[p] = key
	return m.Cases, nil
}
