package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Write replaces path with data, with the given mode. On any failure the
// temporary file is removed and path is left as it was.
func Write(path string, data []byte, mode os.FileMode) error {
	return WriteFrom(path, mode, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFrom replaces path with what fill writes, with the given mode: into
// a temporary file beside it, synced, renamed over path, the folder synced.
// On any failure, fill's included, the temporary file is removed and path
// is left as it was.
func WriteFrom(path string, mode os.FileMode, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = fill(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync folder: %w", path, err)
	}
	return nil
}

// SyncDir makes a rename in dir durable (a no-op where the system has no
// such call).
func SyncDir(dir string) error { return syncDir(dir) }

// MkdirAll creates dir and any missing parents with mode perm, as
// os.MkdirAll does, and syncs the parent of every folder it creates: a new
// folder is durable only once its parent is synced, and every file written
// into it is lost with it until then.
func MkdirAll(dir string, perm os.FileMode) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	var missing []string // innermost first
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return &os.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], perm); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		if err := syncDir(filepath.Dir(missing[i])); err != nil {
			return fmt.Errorf("mkdir %s: sync its parent: %w", missing[i], err)
		}
	}
	return nil
}

// Create makes a new file at path whole or not at all, for a file that
// another library writes (a bbolt database): make is given a temporary
// path beside it, holding an empty file with mode 0600, and must leave
// the file there written and synced; then the file is linked under path,
// never over a file another process created meanwhile (path existing by
// then is no error: the caller opens that one), and the folder is synced.
// Left to create path itself, the library would leave an empty or
// half-written file under path after a power cut on a file system that
// commits names before data (ext4's delayed allocation).
func Create(path string, make func(tmp string) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.new")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := make(tmp); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("create %s: sync its folder: %w", path, err)
	}
	return nil
}
