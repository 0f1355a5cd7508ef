//go:build linux

package powercut

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The model itself, cut by cut: each case does something on the disk,
// cuts, and checks the backing folder against what a disk would hold.

func syncDir(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

func writeSynced(t *testing.T, path string, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, path string) (string, bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

func TestModel(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // 16 000 bytes: four pages, the last partial
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, dir string)
		file string
		want string // "" with absent: the file must not exist
		ok   bool
	}{
		{"a new file and its name, both synced, survive", func(t *testing.T, dir string) {
			writeSynced(t, filepath.Join(dir, "f"), []byte("durable"))
			syncDir(t, dir)
		}, "f", "durable", true},
		{"a new file synced but not its folder vanishes", func(t *testing.T, dir string) {
			writeSynced(t, filepath.Join(dir, "f"), []byte("durable"))
		}, "f", "", false},
		{"a write without fsync is undone", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "f")
			writeSynced(t, p, big)
			syncDir(t, dir)
			f, err := os.OpenFile(p, os.O_WRONLY, 0) // write-only: the saved page is read through our own descriptor
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt([]byte("XXXX"), 5000)
			f.WriteAt([]byte("tail beyond the synced size"), 20000)
			f.Close()
		}, "f", string(big), true},
		{"a truncation without fsync is undone", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "f")
			writeSynced(t, p, big)
			syncDir(t, dir)
			if err := os.Truncate(p, 10); err != nil {
				t.Fatal(err)
			}
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
			f.Write([]byte("short"))
			f.Close()
		}, "f", string(big), true},
		{"a rename without a folder fsync is undone", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "f")
			writeSynced(t, p, []byte("old"))
			syncDir(t, dir)
			writeSynced(t, p+".tmp", []byte("new"))
			if err := os.Rename(p+".tmp", p); err != nil {
				t.Fatal(err)
			}
		}, "f", "old", true},
		{"a rename with a folder fsync survives", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "f")
			writeSynced(t, p, []byte("old"))
			syncDir(t, dir)
			writeSynced(t, p+".tmp", []byte("new"))
			if err := os.Rename(p+".tmp", p); err != nil {
				t.Fatal(err)
			}
			syncDir(t, dir)
		}, "f", "new", true},
		{"an unlink without a folder fsync is undone", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "f")
			writeSynced(t, p, []byte("kept"))
			syncDir(t, dir)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
		}, "f", "kept", true},
		{"a new folder's file vanishes with the folder", func(t *testing.T, dir string) {
			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			writeSynced(t, filepath.Join(sub, "f"), []byte("x"))
			syncDir(t, sub) // but not dir: sub itself is not durable
		}, "sub/f", "", false},
		{"a new folder synced in its parent keeps its synced file", func(t *testing.T, dir string) {
			sub := filepath.Join(dir, "sub")
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			writeSynced(t, filepath.Join(sub, "f"), []byte("x"))
			syncDir(t, sub)
			syncDir(t, dir)
		}, "sub/f", "x", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Mount(t, t.TempDir())
			tc.do(t, d.Dir())
			d.Cut()
			if _, err := os.Create(filepath.Join(d.Dir(), "after")); !errors.Is(err, syscall.EIO) {
				t.Errorf("creating a file after the cut: %v, want EIO", err)
			}
			d.Unmount(t)
			got, ok := content(t, filepath.Join(d.Backing(), tc.file))
			if ok != tc.ok || got != tc.want {
				t.Errorf("after the cut %s: present %v, %d bytes; want present %v, %d bytes", tc.file, ok, len(got), tc.ok, len(tc.want))
			}
			if s := d.Stats(); s.Writes == 0 || s.FileSyncs == 0 {
				t.Errorf("the filesystem saw %+v: the kernel went around it", s)
			}
		})
	}
}

// TestTrapsClosed: what would make the disk test nothing is measured, not
// assumed. Writes and both kinds of fsync must reach the filesystem.
func TestTrapsClosed(t *testing.T) {
	d := Mount(t, t.TempDir())
	p := filepath.Join(d.Dir(), "f")
	writeSynced(t, p, []byte("x"))
	syncDir(t, d.Dir())
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s := d.Stats()
	if s.Writes != 1 || s.FileSyncs != 2 || s.DirSyncs != 1 {
		t.Fatalf("the filesystem saw %d writes, %d file syncs, %d folder syncs; want 1, 2, 1", s.Writes, s.FileSyncs, s.DirSyncs)
	}
	// O_TMPFILE would create a file no write handler sees.
	if fd, err := syscall.Open(d.Dir(), syscall.O_RDWR|0o20000000|syscall.O_DIRECTORY, 0o600); err == nil {
		syscall.Close(fd)
		t.Error("O_TMPFILE is accepted")
	}
}

// TestCutAfterCountsOperations: an armed cut fires at the operation it
// names, and that operation fails.
func TestCutAfterCountsOperations(t *testing.T) {
	d := Mount(t, t.TempDir())
	p := filepath.Join(d.Dir(), "f")
	writeSynced(t, p, []byte("one"))
	syncDir(t, d.Dir())
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d.CutAfter(2) // the write passes, its fsync does not
	if _, err := f.WriteAt([]byte("two"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync at the cut: %v, want EIO", err)
	}
	f.Close()
	d.Unmount(t)
	if got, _ := content(t, filepath.Join(d.Backing(), "f")); got != "one" {
		t.Fatalf("after the cut: %q, want the synced %q", got, "one")
	}
}

// TestKeepNames: with the names kept, a new file's name survives the cut
// but its unsynced content does not: it comes back empty, as on ext4 with
// delayed allocation. A link is a name like any other.
func TestKeepNames(t *testing.T) {
	d := Mount(t, t.TempDir())
	d.KeepNames()
	p := filepath.Join(d.Dir(), "f")
	if err := os.WriteFile(p, []byte("never synced"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p, filepath.Join(d.Dir(), "g")); err != nil {
		t.Fatal(err)
	}
	d.Cut()
	d.Unmount(t)
	for _, name := range []string{"f", "g"} {
		got, ok := content(t, filepath.Join(d.Backing(), name))
		if !ok || got != "" {
			t.Errorf("%s after the cut with names kept: present %v, %q; want present and empty", name, ok, got)
		}
	}

	d = Mount(t, t.TempDir())
	p = filepath.Join(d.Dir(), "f")
	writeSynced(t, p, []byte("synced"))
	syncDir(t, d.Dir())
	if err := os.Link(p, filepath.Join(d.Dir(), "g")); err != nil {
		t.Fatal(err)
	}
	d.Cut()
	d.Unmount(t)
	if _, ok := content(t, filepath.Join(d.Backing(), "g")); ok {
		t.Error("a link whose folder was not synced survived the cut")
	}
}
