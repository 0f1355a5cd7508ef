//go:build linux

package powercut

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// node is a file or folder of the mounted tree, backed by the same path
// under the backing folder. It is written here, not embedded from go-fuse's
// loopback node, whose file handles offer the kernel a passthrough
// descriptor (trap 1).
type node struct {
	fs.Inode
	d *Disk
}

var (
	_ fs.NodeLookuper  = (*node)(nil)
	_ fs.NodeGetattrer = (*node)(nil)
	_ fs.NodeSetattrer = (*node)(nil)
	_ fs.NodeOpener    = (*node)(nil)
	_ fs.NodeCreater   = (*node)(nil)
	_ fs.NodeMkdirer   = (*node)(nil)
	_ fs.NodeUnlinker  = (*node)(nil)
	_ fs.NodeRmdirer   = (*node)(nil)
	_ fs.NodeRenamer   = (*node)(nil)
	_ fs.NodeLinker    = (*node)(nil)
	_ fs.NodeReaddirer = (*node)(nil)
	_ fs.NodeFsyncer   = (*node)(nil)
	_ fs.NodeStatfser  = (*node)(nil)
	_ fs.FileReader    = (*handle)(nil)
	_ fs.FileWriter    = (*handle)(nil)
	_ fs.FileFlusher   = (*handle)(nil)
	_ fs.FileReleaser  = (*handle)(nil)
	_ fs.FileGetattrer = (*handle)(nil)
)

func (n *node) rel() string                { return n.Path(nil) }
func (n *node) path() string               { return filepath.Join(n.d.data, n.rel()) }
func (n *node) child(name string) string   { return filepath.Join(n.path(), name) }
func relOf(parent fs.InodeEmbedder) string { return parent.EmbeddedInode().Path(nil) }

func (n *node) newChild(ctx context.Context, st *syscall.Stat_t) *fs.Inode {
	return n.NewInode(ctx, &node{d: n.d}, fs.StableAttr{Mode: st.Mode & syscall.S_IFMT, Ino: st.Ino})
}

// entry answers a lookup or a new entry: the child name's attributes in
// out and its inode.
func (n *node) entry(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Lstat(n.child(name), &st); err != nil {
		return nil, fs.ToErrno(err)
	}
	out.Attr.FromStat(&st)
	return n.newChild(ctx, &st), 0
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := n.d.read(); e != 0 {
		n.d.mu.Unlock()
		return nil, e
	}
	defer n.d.mu.Unlock()
	return n.entry(ctx, name, out)
}

func (n *node) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if h, ok := f.(*handle); ok {
		return h.Getattr(ctx, out)
	}
	if e := n.d.read(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	defer n.d.mu.Unlock()
	var st syscall.Stat_t
	if err := syscall.Lstat(n.path(), &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStat(&st)
	return 0
}

func (n *node) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	p := n.path()
	h, _ := f.(*handle)
	err := func() error {
		if m, ok := in.GetMode(); ok {
			if err := os.Chmod(p, os.FileMode(m&0o7777)); err != nil {
				return err
			}
		}
		uid, uok := in.GetUID()
		gid, gok := in.GetGID()
		if uok || gok {
			u, g := -1, -1
			if uok {
				u = int(uid)
			}
			if gok {
				g = int(gid)
			}
			if err := os.Lchown(p, u, g); err != nil {
				return err
			}
		}
		if size, ok := in.GetSize(); ok {
			ino := n.StableAttr().Ino
			if h == nil {
				if err := n.d.keep(p, ino); err != nil {
					return err
				}
			}
			var st syscall.Stat_t
			if err := syscall.Stat(n.d.stashPath(ino), &st); err != nil {
				return err
			}
			if err := n.d.save(ino, int64(size), st.Size); err != nil {
				return err
			}
			if h != nil {
				return syscall.Ftruncate(h.fd, int64(size))
			}
			return syscall.Truncate(p, int64(size))
		}
		return nil
	}()
	n.d.mu.Unlock()
	if err != nil {
		return fs.ToErrno(err)
	}
	return n.Getattr(ctx, f, out)
}

// openFlags are the flags the backing file is opened with: no O_APPEND
// (writes come with their offset), never O_CREAT here.
func openFlags(flags uint32) int {
	return int(flags)&^(syscall.O_APPEND|syscall.O_CREAT|syscall.O_EXCL) | syscall.O_CLOEXEC
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return nil, 0, e
	}
	defer n.d.mu.Unlock()
	p, ino := n.path(), n.StableAttr().Ino
	if err := n.d.keep(p, ino); err != nil {
		return nil, 0, fs.ToErrno(err)
	}
	if flags&syscall.O_TRUNC != 0 {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return nil, 0, fs.ToErrno(err)
		}
		if err := n.d.save(ino, 0, st.Size); err != nil {
			return nil, 0, fs.ToErrno(err)
		}
	}
	fd, err := syscall.Open(p, openFlags(flags), 0)
	if err != nil {
		return nil, 0, fs.ToErrno(err)
	}
	return &handle{fd: fd, n: n}, 0, 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*fs.Inode, fs.FileHandle, uint32, syscall.Errno) {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return nil, nil, 0, e
	}
	defer n.d.mu.Unlock()
	p := n.child(name)
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err == nil {
		// It exists after all: an open, not a new name.
		if flags&syscall.O_EXCL != 0 {
			return nil, nil, 0, syscall.EEXIST
		}
		if err := n.d.keep(p, st.Ino); err != nil {
			return nil, nil, 0, fs.ToErrno(err)
		}
		if flags&syscall.O_TRUNC != 0 {
			if err := n.d.save(st.Ino, 0, st.Size); err != nil {
				return nil, nil, 0, fs.ToErrno(err)
			}
		}
	} else if err := n.d.dirChanging(n.rel()); err != nil {
		return nil, nil, 0, fs.ToErrno(err)
	}
	fd, err := syscall.Open(p, openFlags(flags)|syscall.O_CREAT, mode)
	if err != nil {
		return nil, nil, 0, fs.ToErrno(err)
	}
	if err := syscall.Fstat(fd, &st); err != nil {
		syscall.Close(fd)
		return nil, nil, 0, fs.ToErrno(err)
	}
	if err := n.d.keep(p, st.Ino); err != nil {
		syscall.Close(fd)
		return nil, nil, 0, fs.ToErrno(err)
	}
	out.Attr.FromStat(&st)
	child := n.newChild(ctx, &st)
	return child, &handle{fd: fd, n: child.Operations().(*node)}, 0, 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return nil, e
	}
	defer n.d.mu.Unlock()
	if err := n.d.dirChanging(n.rel()); err != nil {
		return nil, fs.ToErrno(err)
	}
	if err := syscall.Mkdir(n.child(name), mode); err != nil {
		return nil, fs.ToErrno(err)
	}
	return n.entry(ctx, name, out)
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	defer n.d.mu.Unlock()
	p := n.child(name)
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return fs.ToErrno(err)
	}
	if err := n.d.dirChanging(n.rel()); err != nil {
		return fs.ToErrno(err)
	}
	if err := n.d.keep(p, st.Ino); err != nil {
		return fs.ToErrno(err)
	}
	return fs.ToErrno(syscall.Unlink(p))
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	defer n.d.mu.Unlock()
	if err := n.d.dirChanging(n.rel()); err != nil {
		return fs.ToErrno(err)
	}
	return fs.ToErrno(syscall.Rmdir(n.child(name)))
}

const renameNoReplace = 1 // RENAME_NOREPLACE

func (n *node) Rename(ctx context.Context, name string, newParent fs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	defer n.d.mu.Unlock()
	if flags&^renameNoReplace != 0 {
		return syscall.EINVAL // RENAME_EXCHANGE, RENAME_WHITEOUT: not modelled
	}
	src := n.child(name)
	dstRel := relOf(newParent)
	dst := filepath.Join(n.d.data, dstRel, newName)
	var st syscall.Stat_t
	if err := syscall.Lstat(src, &st); err != nil {
		return fs.ToErrno(err)
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return syscall.EXDEV // renaming a folder is not modelled
	}
	var old syscall.Stat_t
	exists := syscall.Lstat(dst, &old) == nil
	if exists && flags&renameNoReplace != 0 {
		return syscall.EEXIST
	}
	for _, rel := range []string{n.rel(), dstRel} {
		if err := n.d.dirChanging(rel); err != nil {
			return fs.ToErrno(err)
		}
	}
	if err := n.d.keep(src, st.Ino); err != nil {
		return fs.ToErrno(err)
	}
	if exists {
		if old.Mode&syscall.S_IFMT == syscall.S_IFDIR {
			return syscall.EISDIR
		}
		if err := n.d.keep(dst, old.Ino); err != nil {
			return fs.ToErrno(err)
		}
	}
	return fs.ToErrno(syscall.Rename(src, dst))
}

// Link gives an existing file a second name (os.Link: atomicfile.Create
// links a finished file under its name, never over another).
func (n *node) Link(ctx context.Context, target fs.InodeEmbedder, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return nil, e
	}
	defer n.d.mu.Unlock()
	src := filepath.Join(n.d.data, relOf(target))
	if err := n.d.dirChanging(n.rel()); err != nil {
		return nil, fs.ToErrno(err)
	}
	if err := syscall.Link(src, n.child(name)); err != nil {
		return nil, fs.ToErrno(err)
	}
	return n.entry(ctx, name, out)
}

func (n *node) Readdir(ctx context.Context) (fs.DirStream, syscall.Errno) {
	if e := n.d.read(); e != 0 {
		n.d.mu.Unlock()
		return nil, e
	}
	defer n.d.mu.Unlock()
	entries, err := os.ReadDir(n.path())
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	list := make([]fuse.DirEntry, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		st := fi.Sys().(*syscall.Stat_t)
		list = append(list, fuse.DirEntry{Name: e.Name(), Mode: st.Mode & syscall.S_IFMT, Ino: st.Ino})
	}
	return fs.NewListDirStream(list), 0
}

// Fsync answers both a file's fsync/fdatasync and, through go-fuse's
// default folder handle (which has no Fsyncdir), a folder's (trap 2).
func (n *node) Fsync(ctx context.Context, f fs.FileHandle, flags uint32) syscall.Errno {
	if e := n.d.begin(); e != 0 {
		n.d.mu.Unlock()
		return e
	}
	defer n.d.mu.Unlock()
	if n.IsDir() {
		n.d.dirSynced(n.rel())
	} else {
		n.d.fileSynced(n.StableAttr().Ino, n.rel())
	}
	return 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	var st syscall.Statfs_t
	if err := syscall.Statfs(n.d.data, &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStatfsT(&st)
	return 0
}

// handle is an open file: the backing file's descriptor, used for the
// application's reads and writes only (never offered to the kernel).
type handle struct {
	fd int
	n  *node
}

func (h *handle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if e := h.n.d.read(); e != 0 {
		h.n.d.mu.Unlock()
		return nil, e
	}
	defer h.n.d.mu.Unlock()
	k, err := syscall.Pread(h.fd, dest, off)
	if err != nil {
		return nil, fs.ToErrno(err)
	}
	return fuse.ReadResultData(dest[:k]), 0
}

func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	d := h.n.d
	if e := d.begin(); e != 0 {
		d.mu.Unlock()
		return 0, e
	}
	defer d.mu.Unlock()
	d.stats.Writes++
	if err := d.save(h.n.StableAttr().Ino, off, off+int64(len(data))); err != nil {
		d.errs = append(d.errs, err)
		return 0, syscall.EIO
	}
	k, err := syscall.Pwrite(h.fd, data, off)
	if err != nil {
		return 0, fs.ToErrno(err)
	}
	return uint32(k), 0
}

func (h *handle) Flush(ctx context.Context) syscall.Errno {
	if e := h.n.d.read(); e != 0 {
		h.n.d.mu.Unlock()
		return e
	}
	h.n.d.mu.Unlock()
	return 0
}

func (h *handle) Release(ctx context.Context) syscall.Errno {
	return fs.ToErrno(syscall.Close(h.fd))
}

func (h *handle) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	if e := h.n.d.read(); e != 0 {
		h.n.d.mu.Unlock()
		return e
	}
	defer h.n.d.mu.Unlock()
	var st syscall.Stat_t
	if err := syscall.Fstat(h.fd, &st); err != nil {
		return fs.ToErrno(err)
	}
	out.FromStat(&st)
	return 0
}
