//go:build linux

package powercut

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

const pageSize = 4096

// Stats counts what reached the filesystem since it was mounted. A test
// asserts on them, so that a mount the kernel bypasses (passthrough, a
// swallowed fsync) fails instead of passing vacuously.
type Stats struct {
	Writes, FileSyncs, DirSyncs int // write, fsync/fdatasync of a file, fsync of a folder
	Ops                         int // changing operations, the ones CutAfter counts
	PagesRestored               int // pages put back at the cut
	FilesRolledBack             int // files given back their durable size and pages
	NamesRemoved, NamesRestored int // folder entries undone at the cut
}

// Disk is one mount of a backing folder. Everything under Dir() lives on
// it until Cut; after Unmount the backing folder (Backing()) holds what a
// disk would hold after the power came back.
type Disk struct {
	data, stash, mnt string
	server           *fuse.Server

	mu        sync.Mutex
	cut       bool
	cutCh     chan struct{}
	keepNames bool                      // the cut keeps every name change (KeepNames)
	dropSyncs func(rel string) bool     // the control: these fsyncs are counted but make nothing durable
	countdown int                       // changing operations until an automatic cut; 0: none armed
	files     map[uint64]*undo          // inode → its durable size and pages
	dirs      map[string]map[string]ent // folder (relative path) → its durable listing
	stashed   map[uint64]bool
	stats     Stats
	errs      []error // the cut's own failures: the harness is broken, not the workload
}

type undo struct {
	synced int64            // the durable size
	saved  map[int64][]byte // page number → its durable content
	f      *os.File         // the stash link, opened by the filesystem itself
}

type ent struct {
	ino   uint64
	isDir bool
}

// Require skips the test when this machine cannot mount a FUSE filesystem
// as the harness needs (/dev/fuse, root), saying why; under CI=true it
// fails instead, so that CI never quietly stops testing durability.
func Require(t testing.TB) {
	t.Helper()
	if reason := unavailable(); reason != "" {
		missing(t, reason)
	}
}

func missing(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("power-loss test cannot run: %s (CI=true: it must)", reason)
	}
	t.Skipf("power-loss test skipped: %s", reason)
}

func unavailable() string {
	if os.Geteuid() != 0 {
		return "it mounts a FUSE filesystem with mount(2), which needs root"
	}
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return fmt.Sprintf("/dev/fuse cannot be opened (%v)", err)
	}
	f.Close()
	return ""
}

// Mount mounts backing (a folder, created if missing) on a fresh mount
// point and returns the disk; it is unmounted when the test ends, if the
// test has not done so. What backing holds when it is mounted counts as
// durable.
func Mount(t testing.TB, backing string) *Disk {
	t.Helper()
	Require(t)
	d := &Disk{
		data:    filepath.Join(backing, "data"),
		stash:   filepath.Join(backing, "stash"),
		mnt:     t.TempDir(),
		cutCh:   make(chan struct{}),
		files:   map[uint64]*undo{},
		dirs:    map[string]map[string]ent{},
		stashed: map[uint64]bool{},
	}
	// The stash serves one mount: after a cut and remount the backing
	// folder is the durable state, and nothing before it can come back.
	if err := os.RemoveAll(d.stash); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{d.data, d.stash} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	zero := time.Duration(0)
	root := &node{d: d}
	server, err := fs.Mount(d.mnt, root, &fs.Options{
		MountOptions: fuse.MountOptions{
			DirectMount:       true,
			DirectMountStrict: true,
			FsName:            "powercut",
			Name:              "powercut",
			DisableXAttrs:     true,
			// Trap 1: the kernel must never write to a backing file behind
			// the filesystem's back.
			DisabledCapabilities: fuse.CAP_PASSTHROUGH,
		},
		// No caching of names or attributes: every lookup sees the folder
		// as it is now.
		EntryTimeout:    &zero,
		AttrTimeout:     &zero,
		NegativeTimeout: &zero,
	})
	if err != nil {
		missing(t, fmt.Sprintf("mounting a FUSE filesystem failed: %v", err))
	}
	d.server = server
	t.Cleanup(func() { d.Unmount(t) })
	return d
}

// Dir is the mount point: the workload's files go under it.
func (d *Disk) Dir() string { return d.mnt }

// Backing is the backing folder's data: after Unmount, what the disk held
// when the power came back.
func (d *Disk) Backing() string { return d.data }

// Stats returns the counts so far.
func (d *Disk) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stats
}

// CutDone is closed when the power has been cut (by Cut or CutAfter).
func (d *Disk) CutDone() <-chan struct{} { return d.cutCh }

// CutAfter arms an automatic cut just before the nth changing operation
// (write, truncate, create, mkdir, unlink, rmdir, rename, fsync) from now:
// a cut at an exact point between one write and the next, or between a
// write and its fsync, where a timer would rarely land.
func (d *Disk) CutAfter(n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.countdown = max(n, 1)
}

// DropSyncs makes every later fsync of a file or folder whose path (from
// the mount point, "" for the mount point itself) match accepts succeed
// without making anything durable, as if the program had never called it;
// nil matches everything. It is the control of a test whose workload has
// no NoSync switch of its own: such a test must see acknowledged data lost.
func (d *Disk) DropSyncs(match func(rel string) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if match == nil {
		match = func(string) bool { return true }
	}
	d.dropSyncs = match
}

// KeepNames makes the cut keep every change of names (create, rename,
// unlink, mkdir) made before it, synced or not, while file data not synced
// is still thrown away: what a journal that committed the folders before
// the data leaves (ext4's delayed allocation: a new file's name survives,
// its content does not, and it comes back empty). A program must never
// leave a name under which a half-written file can be found after a cut.
func (d *Disk) KeepNames() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keepNames = true
}

// Cut cuts the power now: every later operation fails with EIO and every
// change not made durable is undone in the backing folder.
func (d *Disk) Cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cutLocked()
}

// Unmount unmounts the disk (cutting the power first if nobody did: what
// was not synced is lost all the same). Kill the workload first: a process
// with files open on the mount keeps it busy. It fails the test if the cut
// itself went wrong.
func (d *Disk) Unmount(t testing.TB) {
	t.Helper()
	if d.server == nil {
		return
	}
	d.Cut()
	var err error
	for range 50 {
		if err = d.server.Unmount(); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond) // the killed workload's files closing; not synchronisation of the test's logic
	}
	if err != nil {
		// Detach it all the same, so that no mount outlives the test.
		if derr := syscall.Unmount(d.mnt, syscall.MNT_DETACH); derr != nil {
			t.Errorf("unmount %s: %v; detach: %v", d.mnt, err, derr)
		}
	}
	d.server.Wait()
	d.server = nil
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.errs {
		t.Errorf("power cut: %v", e)
	}
	d.errs = nil
}

// begin takes the lock for a changing operation: it counts it, fires an
// armed cut, and says EIO once the power is off. The caller unlocks.
func (d *Disk) begin() syscall.Errno {
	d.mu.Lock()
	if d.cut {
		return syscall.EIO
	}
	d.stats.Ops++
	if d.countdown > 0 {
		if d.countdown--; d.countdown == 0 {
			d.cutLocked()
			return syscall.EIO
		}
	}
	return 0
}

// read takes the lock for an operation that changes nothing: after the
// cut it fails too, as a dead disk would.
func (d *Disk) read() syscall.Errno {
	d.mu.Lock()
	if d.cut {
		return syscall.EIO
	}
	return 0
}

func (d *Disk) stashPath(ino uint64) string {
	return filepath.Join(d.stash, strconv.FormatUint(ino, 10))
}

// keep hard-links the file at path into the stash (once per inode), so
// that a cut can give it back a name it is about to lose, and roll its
// content back through a descriptor of our own.
func (d *Disk) keep(path string, ino uint64) error {
	if d.stashed[ino] {
		return nil
	}
	if err := os.Link(path, d.stashPath(ino)); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	d.stashed[ino] = true
	return nil
}

// undoFor returns the inode's undo log, starting it now: the file's
// content at this moment is its durable content.
func (d *Disk) undoFor(ino uint64) (*undo, error) {
	if u := d.files[ino]; u != nil {
		return u, nil
	}
	if !d.stashed[ino] {
		return nil, fmt.Errorf("inode %d written before it was stashed", ino)
	}
	f, err := os.OpenFile(d.stashPath(ino), os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	u := &undo{synced: fi.Size(), saved: map[int64][]byte{}, f: f}
	d.files[ino] = u
	return u, nil
}

// save keeps the durable content of the pages in [off, end) that are
// about to change, those not saved since the last fsync.
func (d *Disk) save(ino uint64, off, end int64) error {
	u, err := d.undoFor(ino)
	if err != nil {
		return err
	}
	for p := off / pageSize; p*pageSize < end && p*pageSize < u.synced; p++ {
		if _, ok := u.saved[p]; ok {
			continue
		}
		buf := make([]byte, min(pageSize, u.synced-p*pageSize))
		if _, err := u.f.ReadAt(buf, p*pageSize); err != nil {
			return fmt.Errorf("save page %d of inode %d: %w", p, ino, err)
		}
		u.saved[p] = buf
	}
	return nil
}

// fileSynced makes the inode's content durable as it is.
func (d *Disk) fileSynced(ino uint64, rel string) {
	d.stats.FileSyncs++
	if d.dropSyncs != nil && d.dropSyncs(rel) {
		return
	}
	if u := d.files[ino]; u != nil {
		u.f.Close()
		delete(d.files, ino)
	}
}

// dirChanging records the folder's durable listing before its first
// change since its last fsync.
func (d *Disk) dirChanging(rel string) error {
	if _, ok := d.dirs[rel]; ok {
		return nil
	}
	l, err := listing(filepath.Join(d.data, rel))
	if err != nil {
		return err
	}
	d.dirs[rel] = l
	return nil
}

// dirSynced makes the folder's entries durable as they are.
func (d *Disk) dirSynced(rel string) {
	d.stats.DirSyncs++
	if d.dropSyncs != nil && d.dropSyncs(rel) {
		return
	}
	delete(d.dirs, rel)
}

func listing(dir string) (map[string]ent, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	l := make(map[string]ent, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return nil, err
		}
		l[e.Name()] = ent{ino: fi.Sys().(*syscall.Stat_t).Ino, isDir: e.IsDir()}
	}
	return l, nil
}

func (d *Disk) cutLocked() {
	if d.cut {
		return
	}
	d.cut = true
	close(d.cutCh)
	// Folders first, parents before children: a folder whose creation was
	// never made durable goes with its parent's rollback.
	rels := make([]string, 0, len(d.dirs))
	for rel := range d.dirs {
		rels = append(rels, rel)
	}
	sort.Slice(rels, func(i, j int) bool {
		di, dj := strings.Count(rels[i], "/"), strings.Count(rels[j], "/")
		if rels[i] == "" || rels[j] == "" {
			return rels[i] == ""
		}
		if di != dj {
			return di < dj
		}
		return rels[i] < rels[j]
	})
	if d.keepNames {
		rels = nil
	}
	for _, rel := range rels {
		if err := d.restoreDir(rel, d.dirs[rel]); err != nil {
			d.errs = append(d.errs, err)
		}
	}
	for ino, u := range d.files {
		for p, buf := range u.saved {
			if _, err := u.f.WriteAt(buf, p*pageSize); err != nil {
				d.errs = append(d.errs, fmt.Errorf("restore page %d of inode %d: %w", p, ino, err))
			}
			d.stats.PagesRestored++
		}
		if err := u.f.Truncate(u.synced); err != nil {
			d.errs = append(d.errs, fmt.Errorf("restore size of inode %d: %w", ino, err))
		}
		u.f.Close()
		d.stats.FilesRolledBack++
	}
	d.files = map[uint64]*undo{}
	d.dirs = map[string]map[string]ent{}
}

// restoreDir makes the folder rel match its durable listing.
func (d *Disk) restoreDir(rel string, want map[string]ent) error {
	dir := filepath.Join(d.data, rel)
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return nil // its own creation was undone with its parent
	}
	cur, err := listing(dir)
	if err != nil {
		return err
	}
	same := func(a, b ent) bool { return a.isDir == b.isDir && (a.isDir || a.ino == b.ino) }
	for name, e := range cur {
		if w, ok := want[name]; ok && same(w, e) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
		d.stats.NamesRemoved++
	}
	for name, w := range want {
		if e, ok := cur[name]; ok && same(w, e) {
			continue
		}
		p := filepath.Join(dir, name)
		if w.isDir {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
		} else if err := os.Link(d.stashPath(w.ino), p); err != nil {
			return fmt.Errorf("give %s back its name: %w", filepath.Join(rel, name), err)
		}
		d.stats.NamesRestored++
	}
	return nil
}
