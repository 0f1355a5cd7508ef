package boltfile

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The bbolt file format (go.etcd.io/bbolt, version 2), as much as Check
// reads of it.
const (
	pageHeaderSize   = 16 // id uint64, flags uint16, count uint16, overflow uint32
	elementSize      = 16 // branch: pos, ksize uint32, pgid uint64; leaf: flags, pos, ksize, vsize uint32
	bucketHeaderSize = 16 // root pgid uint64, sequence uint64
	metaSize         = 64 // magic, version, pageSize, flags uint32; root bucket; freelist, pgid, txid, checksum uint64
	magic            = 0xED0CDAED
	formatVersion    = 2
	noFreelist       = ^uint64(0)

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	flagBucket   = 0x01 // a leaf element that is a bucket

	// maxDepth bounds the walk: branch levels and nested buckets. A real
	// tree of 16 KiB pages is a handful of levels deep.
	maxDepth = 64
)

var le = binary.LittleEndian

// ErrEmpty means the file has no bytes at all.
var ErrEmpty = errors.New("the file is empty (0 bytes)")

// ErrNotBolt means neither meta page is a valid bbolt meta page: the file
// is of another format, or both its meta pages are damaged.
var ErrNotBolt = errors.New("neither of its two meta pages is valid: it is not a bbolt file, or both are damaged")

// Report says what Check found in a file that passed.
type Report struct {
	PageSize  int
	Pages     uint64 // the high-water mark: pages in use or free
	Txid      uint64 // the current meta page's transaction
	Meta      int    // the meta page in use, 0 or 1
	BadMeta   []int  // meta pages that do not check (bbolt goes on from the other)
	Reachable uint64 // pages the meta pages, the tree and the freelist use
	Buckets   int    // buckets, nested ones included
	Freelist  bool   // the freelist is stored in a page (not rebuilt at open)
}

// CheckFile checks the bbolt file at path; see Check.
func CheckFile(ctx context.Context, path string, progress func(done, total uint64)) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Report{}, err
	}
	return Check(ctx, f, fi.Size(), progress)
}

// Check checks the structure of the bbolt file of size bytes that r reads
// and returns the first fault it finds. progress, if not nil, is called
// now and then with the pages walked so far and the high-water mark. It
// never panics, whatever r holds.
func Check(ctx context.Context, r io.ReaderAt, size int64, progress func(done, total uint64)) (Report, error) {
	return check(&checker{ctx: ctx, r: r, size: uint64(max(size, 0)), progress: progress})
}

// CheckBytes is Check over the file's bytes in memory, read without a
// copy (a read-only mapping of the file, which makes the check several
// times faster: only what bbolt reads is touched).
func CheckBytes(ctx context.Context, b []byte, progress func(done, total uint64)) (Report, error) {
	return check(&checker{ctx: ctx, mem: b, size: uint64(len(b)), progress: progress})
}

func check(c *checker) (Report, error) {
	if c.size == 0 {
		return Report{}, ErrEmpty
	}
	if err := c.metas(); err != nil {
		return c.rep, err
	}
	if err := c.walk(); err != nil {
		return c.rep, err
	}
	return c.rep, nil
}

type meta struct {
	pageSize       uint32
	root, freelist uint64
	pgid, txid     uint64
}

// parseMeta decodes and validates the meta page whose first bytes are b,
// as bbolt's Validate does: magic, version, checksum.
func parseMeta(b []byte) (meta, error) {
	if len(b) < pageHeaderSize+metaSize {
		return meta{}, errors.New("too short")
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	if le.Uint32(m[0:]) != magic {
		return meta{}, errors.New("no bbolt magic number")
	}
	if v := le.Uint32(m[4:]); v != formatVersion {
		return meta{}, fmt.Errorf("format version %d, not %d", v, formatVersion)
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != le.Uint64(m[56:]) {
		return meta{}, errors.New("checksum does not match")
	}
	return meta{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]),
		pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, nil
}

type checker struct {
	ctx       context.Context
	r         io.ReaderAt
	mem       []byte // instead of r
	size      uint64
	progress  func(done, total uint64)
	rep       Report
	meta      meta   // the meta page bbolt will use
	ps        uint64 // page size
	hwm       uint64
	reachable []uint64 // bit set over page ids
	buf       []byte
}

// readAt reads n bytes at off, which must lie inside the file.
func (c *checker) readAt(off, n uint64) ([]byte, error) {
	if n > c.size || off > c.size-n {
		return nil, fmt.Errorf("bytes %d to %d lie past the end of the file (%d bytes)", off, off+n, c.size)
	}
	if c.mem != nil {
		return c.mem[off : off+n : off+n], nil
	}
	if uint64(cap(c.buf)) < n {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := c.r.ReadAt(b, int64(off)); err != nil {
		return nil, fmt.Errorf("read bytes %d to %d: %w", off, off+n, err)
	}
	return b, nil
}

// metas finds the page size and the meta page bbolt will use, as bbolt's
// Open does: the page size from meta page 0, or from meta page 1 found by
// trying the page sizes bbolt tries; then the valid meta page with the
// higher transaction id.
func (c *checker) metas() error {
	head := func(off uint64) (meta, error) {
		b, err := c.readAt(off, pageHeaderSize+metaSize)
		if err != nil {
			return meta{}, err
		}
		return parseMeta(b)
	}
	var ps uint64
	if m, err := head(0); err == nil {
		ps = uint64(m.pageSize)
	} else {
		for i := range 15 {
			pos := uint64(1024) << i
			if c.size < 1024 || pos >= c.size-1024 {
				break
			}
			if m, err := head(pos); err == nil {
				ps = uint64(m.pageSize)
				break
			}
		}
	}
	if ps == 0 {
		return ErrNotBolt
	}
	if ps < 1024 || ps > 1<<24 || ps&(ps-1) != 0 {
		return fmt.Errorf("meta page: page size %d is not a bbolt page size", ps)
	}
	c.ps = ps
	c.rep.PageSize = int(ps)
	if c.size < 2*ps {
		return fmt.Errorf("the file is cut short: %d bytes, less than its two meta pages (%d bytes)", c.size, 2*ps)
	}
	var ms [2]meta
	var ok [2]bool
	for i := range ms {
		m, err := head(uint64(i) * ps)
		if err == nil && uint64(m.pageSize) != ps {
			err = fmt.Errorf("page size %d, not %d", m.pageSize, ps)
		}
		ms[i], ok[i] = m, err == nil
		if err != nil {
			c.rep.BadMeta = append(c.rep.BadMeta, i)
			continue
		}
		// bbolt chooses by the meta itself, but its check asserts the
		// page header too: written in the same sector, a header that
		// does not match a valid meta is damage, not a torn write.
		h, err := c.readAt(uint64(i)*ps, pageHeaderSize)
		if err != nil {
			return err
		}
		if le.Uint64(h) != uint64(i) || le.Uint16(h[8:]) != flagMeta {
			return fmt.Errorf("meta page %d: its page header is damaged", i)
		}
	}
	cur := 0
	if ms[1].txid > ms[0].txid {
		cur = 1
	}
	if !ok[cur] {
		cur = 1 - cur
	}
	if !ok[cur] {
		return ErrNotBolt
	}
	m := ms[cur]
	c.rep.Meta, c.rep.Txid = cur, m.txid
	if m.pgid < 3 || m.pgid > c.size/ps {
		if m.pgid > c.size/ps {
			return fmt.Errorf("the file is cut short: it ends at byte %d, but its %d pages reach byte %d", c.size, m.pgid, m.pgid*ps)
		}
		return fmt.Errorf("meta page %d: %d pages is too few", cur, m.pgid)
	}
	c.hwm = m.pgid
	c.rep.Pages = m.pgid
	if m.root < 2 || m.root >= m.pgid {
		return fmt.Errorf("meta page %d: the root bucket's page %d is out of range", cur, m.root)
	}
	if m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid) {
		return fmt.Errorf("meta page %d: the freelist page %d is out of range", cur, m.freelist)
	}
	c.rep.Freelist = m.freelist != noFreelist
	c.meta = m
	return nil
}

// walk checks the tree from the root bucket, then the freelist.
func (c *checker) walk() error {
	m := c.meta
	c.reachable = make([]uint64, (c.hwm+63)/64)
	c.mark(0)
	c.mark(1)
	c.rep.Buckets = -1 // the root bucket is not one
	if err := c.bucket(m.root, 0); err != nil {
		return err
	}
	if c.progress != nil {
		c.progress(c.rep.Reachable, c.hwm)
	}
	if m.freelist == noFreelist {
		return nil // bbolt rebuilds the freelist from what is unreachable
	}
	free, err := c.freelist(m.freelist)
	if err != nil {
		return err
	}
	isFree := make([]uint64, len(c.reachable))
	for _, id := range free {
		if c.isSet(c.reachable, id) {
			return fmt.Errorf("freelist: page %d is in use and also listed as free", id)
		}
		if c.isSet(isFree, id) {
			return fmt.Errorf("freelist: page %d is listed twice", id)
		}
		isFree[id/64] |= 1 << (id % 64)
	}
	for id := uint64(2); id < c.hwm; id++ {
		if !c.isSet(c.reachable, id) && !c.isSet(isFree, id) {
			return fmt.Errorf("page %d: neither in use nor in the freelist", id)
		}
	}
	return nil
}

func (c *checker) isSet(set []uint64, id uint64) bool { return set[id/64]&(1<<(id%64)) != 0 }

func (c *checker) mark(id uint64) {
	c.reachable[id/64] |= 1 << (id % 64)
	c.rep.Reachable++
}

// page reads page id with its overflow pages, after checking that they
// lie below the high-water mark and were not reached before, and that the
// page says it is page id.
func (c *checker) page(id uint64) (flags, count uint16, p []byte, err error) {
	if err := c.ctx.Err(); err != nil {
		return 0, 0, nil, err
	}
	if id < 2 || id >= c.hwm {
		return 0, 0, nil, fmt.Errorf("page %d: out of range (the file has pages 2 to %d)", id, c.hwm-1)
	}
	h, err := c.readAt(id*c.ps, pageHeaderSize)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("page %d: %w", id, err)
	}
	if got := le.Uint64(h[0:]); got != id {
		return 0, 0, nil, fmt.Errorf("page %d: it says it is page %d", id, got)
	}
	flags, count = le.Uint16(h[8:]), le.Uint16(h[10:])
	overflow := uint64(le.Uint32(h[12:]))
	if overflow >= c.hwm-id {
		return 0, 0, nil, fmt.Errorf("page %d: its %d overflow pages reach past the last page %d", id, overflow, c.hwm-1)
	}
	for i := id; i <= id+overflow; i++ {
		if c.isSet(c.reachable, i) {
			return 0, 0, nil, fmt.Errorf("page %d: used twice", i)
		}
		c.mark(i)
	}
	if c.progress != nil && c.rep.Reachable%512 < overflow+1 {
		c.progress(c.rep.Reachable, c.hwm)
	}
	p, err = c.readAt(id*c.ps, (overflow+1)*c.ps)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("page %d: %w", id, err)
	}
	return flags, count, p, nil
}

// elem returns element i's key (and, for a leaf, value) of the page or
// inline page p with count elements, checking that they lie inside p.
func elem(p []byte, i int, leaf bool) (e [4]uint32, key, value []byte, err error) {
	off := uint64(pageHeaderSize + i*elementSize)
	if off+elementSize > uint64(len(p)) {
		return e, nil, nil, fmt.Errorf("element %d lies past the page's end", i)
	}
	for j := range e {
		e[j] = le.Uint32(p[off+uint64(4*j):])
	}
	var pos, ksize, vsize uint64
	if leaf {
		pos, ksize, vsize = uint64(e[1]), uint64(e[2]), uint64(e[3])
	} else {
		pos, ksize = uint64(e[0]), uint64(e[1])
	}
	start := off + pos
	if ksize == 0 {
		return e, nil, nil, fmt.Errorf("element %d: an empty key", i)
	}
	if start+ksize+vsize > uint64(len(p)) {
		return e, nil, nil, fmt.Errorf("element %d: its key and value (%d bytes at %d) lie past the page's end (%d bytes)", i, ksize+vsize, start, len(p))
	}
	return e, p[start : start+ksize], p[start+ksize : start+ksize+vsize], nil
}

// inRange checks key order: strictly after prev (if any), at or after lo,
// before hi (if any).
func inRange(i int, key, prev, lo, hi []byte) error {
	if i > 0 && bytes.Compare(prev, key) >= 0 {
		return fmt.Errorf("key %d is not after the key before it", i)
	}
	if lo != nil && bytes.Compare(key, lo) < 0 {
		return fmt.Errorf("key %d is before its parent's key", i)
	}
	if hi != nil && bytes.Compare(key, hi) >= 0 {
		return fmt.Errorf("key %d is not before the next key of its parent", i)
	}
	return nil
}

// bucket checks the bucket whose root is page root.
func (c *checker) bucket(root uint64, depth int) error {
	c.rep.Buckets++
	return c.tree(root, depth, nil, nil)
}

// tree checks page id and what it leads to: keys in [lo, hi).
func (c *checker) tree(id uint64, depth int, lo, hi []byte) error {
	if depth > maxDepth {
		return fmt.Errorf("page %d: the tree is deeper than %d levels", id, maxDepth)
	}
	flags, count, p, err := c.page(id)
	if err != nil {
		return err
	}
	switch flags {
	case flagBranch:
		if count == 0 {
			return fmt.Errorf("page %d: a branch page with no elements", id)
		}
		type child struct {
			id  uint64
			key []byte
		}
		children := make([]child, count)
		var prev []byte
		for i := range int(count) {
			_, key, _, err := elem(p, i, false)
			if err != nil {
				return fmt.Errorf("page %d: %w", id, err)
			}
			if err := inRange(i, key, prev, lo, hi); err != nil {
				return fmt.Errorf("page %d: %w", id, err)
			}
			off := pageHeaderSize + i*elementSize
			children[i] = child{le.Uint64(p[off+8:]), bytes.Clone(key)}
			prev = key
		}
		for i, ch := range children {
			next := hi
			if i+1 < len(children) {
				next = children[i+1].key
			}
			if err := c.tree(ch.id, depth+1, ch.key, next); err != nil {
				return err
			}
		}
		return nil
	case flagLeaf:
		var sub []uint64
		var prev []byte
		for i := range int(count) {
			e, key, value, err := elem(p, i, true)
			if err != nil {
				return fmt.Errorf("page %d: %w", id, err)
			}
			if err := inRange(i, key, prev, lo, hi); err != nil {
				return fmt.Errorf("page %d: %w", id, err)
			}
			prev = key
			if e[0]&flagBucket == 0 {
				continue
			}
			if len(value) < bucketHeaderSize {
				return fmt.Errorf("page %d: element %d: a bucket of %d bytes", id, i, len(value))
			}
			if r := le.Uint64(value); r != 0 {
				sub = append(sub, r)
				continue
			}
			c.rep.Buckets++
			if err := inline(value[bucketHeaderSize:]); err != nil {
				return fmt.Errorf("page %d: element %d: inline bucket: %w", id, i, err)
			}
		}
		for _, r := range sub {
			if err := c.bucket(r, depth+1); err != nil {
				return err
			}
		}
		return nil
	default:
		return fmt.Errorf("page %d: not a branch or leaf page (type %#x)", id, flags)
	}
}

// inline checks an inline bucket's page: a leaf page inside a value, with
// no buckets in it (bbolt never inlines a bucket that holds buckets).
func inline(p []byte) error {
	if len(p) < pageHeaderSize {
		return fmt.Errorf("%d bytes, shorter than a page header", len(p))
	}
	if flags := le.Uint16(p[8:]); flags != flagLeaf {
		return fmt.Errorf("not a leaf page (type %#x)", flags)
	}
	var prev []byte
	for i := range int(le.Uint16(p[10:])) {
		e, key, _, err := elem(p, i, true)
		if err != nil {
			return err
		}
		if err := inRange(i, key, prev, nil, nil); err != nil {
			return err
		}
		if e[0]&flagBucket != 0 {
			return fmt.Errorf("element %d: a bucket inside an inline bucket", i)
		}
		prev = key
	}
	return nil
}

// freelist checks the stored freelist page and returns the free pages.
func (c *checker) freelist(id uint64) ([]uint64, error) {
	flags, count, p, err := c.page(id)
	if err != nil {
		return nil, fmt.Errorf("freelist: %w", err)
	}
	if flags != flagFreelist {
		return nil, fmt.Errorf("freelist: page %d is not a freelist page (type %#x)", id, flags)
	}
	start, n := uint64(pageHeaderSize), uint64(count)
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return nil, fmt.Errorf("freelist: page %d: cut short", id)
		}
		n, start = le.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if n > (uint64(len(p))-start)/8 {
		return nil, fmt.Errorf("freelist: page %d: %d page numbers do not fit in it", id, n)
	}
	free := make([]uint64, n)
	for i := range free {
		f := le.Uint64(p[start+uint64(i)*8:])
		if f < 2 || f >= c.hwm {
			return nil, fmt.Errorf("freelist: page %d is out of range (the file has pages 2 to %d)", f, c.hwm-1)
		}
		free[i] = f
	}
	return free, nil
}
