package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// The tar around a package's files is written here by hand, and only
// where archive/tar would write the same bytes: a USTAR header block for
// a file of plain ASCII path and ordinary size and time (every file a
// package of Format has). Anything else goes through archive/tar's
// Writer, which is also what TestHeaderSameAsArchiveTar and
// FuzzHeaderSameAsArchiveTar compare the hand-written block with, byte
// for byte. archive/tar's WriteHeader checks each field for every
// format it might need (Header.allowedFormats) and cost as much as
// making the case's FHIR bundle; Writer and Verify each write a header
// per file.

// Fields of a USTAR header block: offset and size.
const (
	ustarName     = 0
	ustarNameLen  = 100
	ustarMode     = 100
	ustarUID      = 108
	ustarGID      = 116
	ustarSize     = 124
	ustarMtime    = 136
	ustarChksum   = 148
	ustarType     = 156
	ustarMagic    = 257 // "ustar\x00" then version "00"
	ustarDevMajor = 329
	ustarDevMinor = 337
	ustarPrefix   = 345
	ustarPrefLen  = 155
	blockSize     = 512
	// maxOctal11 is the first value an 11-digit octal field cannot hold.
	maxOctal11 = 1 << 33
)

// appendHeader appends to dst the header Writer writes (tarHeader) for
// the file p of size bytes in the package name made at mtime, in the tar
// format f: by hand for a USTAR header archive/tar would write the same
// way, else by archive/tar (PAX in formatV1). It fails where archive/tar
// fails.
func appendHeader(dst []byte, name, p string, size int, mtime time.Time, f tar.Format) ([]byte, error) {
	if f == tar.FormatUSTAR {
		if b, ok := appendUSTAR(dst, name+"/"+p, size, mtime); ok {
			return b, nil
		}
	}
	buf := bytes.NewBuffer(dst)
	if err := tar.NewWriter(buf).WriteHeader(tarHeader(name, p, size, mtime, f)); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}

// appendUSTAR appends the USTAR header block of a regular file of mode
// 0640, owned by 0:0, and reports true; or appends nothing and reports
// false where archive/tar's Writer might not write exactly that (a
// non-ASCII or unsplittable path, a size or time out of an octal field's
// range, a time with a fraction of a second or before 1970, a folder's
// trailing slash).
func appendUSTAR(dst []byte, path string, size int, mtime time.Time) ([]byte, bool) {
	secs := mtime.Unix()
	if size < 0 || size >= maxOctal11 || secs <= 0 || secs >= maxOctal11 || mtime.Nanosecond() != 0 || !plainASCII(path) || strings.HasSuffix(path, "/") {
		return dst, false
	}
	prefix, base := "", path
	if len(path) > ustarNameLen {
		var ok bool
		if prefix, base, ok = splitUSTAR(path); !ok {
			return dst, false
		}
	}
	start := len(dst)
	dst = append(dst, make([]byte, blockSize)...)
	blk := dst[start:]
	copy(blk[ustarName:], base)
	octal(blk[ustarMode:ustarMode+8], 0o640)
	octal(blk[ustarUID:ustarUID+8], 0)
	octal(blk[ustarGID:ustarGID+8], 0)
	octal(blk[ustarSize:ustarSize+12], int64(size))
	octal(blk[ustarMtime:ustarMtime+12], secs)
	blk[ustarType] = tar.TypeReg
	copy(blk[ustarMagic:], "ustar\x0000")
	octal(blk[ustarDevMajor:ustarDevMajor+8], 0)
	octal(blk[ustarDevMinor:ustarDevMinor+8], 0)
	copy(blk[ustarPrefix:], prefix)
	// The checksum: the sum of the block's bytes with its own field as
	// spaces, in six octal digits, a NUL and a space.
	sum := int64(' ') * 8
	for i, c := range blk {
		if i < ustarChksum || i >= ustarChksum+8 {
			sum += int64(c)
		}
	}
	octal(blk[ustarChksum:ustarChksum+7], sum)
	blk[ustarChksum+7] = ' '
	return dst, true
}

// octal writes x into field as archive/tar does: zero-padded octal
// digits filling all but the last byte, then a NUL. x fits (checked by
// the caller).
func octal(field []byte, x int64) {
	s := strconv.FormatInt(x, 8)
	n := len(field) - 1
	for i := range n - len(s) {
		field[i] = '0'
	}
	copy(field[n-len(s):], s)
	field[n] = 0
}

// splitUSTAR splits a path longer than a USTAR name field between the
// prefix and name fields at a slash, as archive/tar does.
func splitUSTAR(path string) (prefix, base string, ok bool) {
	n := len(path)
	if n > ustarPrefLen+1 {
		n = ustarPrefLen + 1
	} else if path[n-1] == '/' {
		n--
	}
	i := strings.LastIndexByte(path[:n], '/')
	if i <= 0 || len(path)-i-1 > ustarNameLen || len(path)-i-1 == 0 || i > ustarPrefLen {
		return "", "", false
	}
	return path[:i], path[i+1:], true
}

// plainASCII reports whether s is printable ASCII without NUL: what a
// USTAR string field holds as archive/tar writes it.
func plainASCII(s string) bool {
	for i := range len(s) {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return s != ""
}

// tarIn is how verify reads a package's tar: each file's header (Next),
// then its content (Read), and the tar's bytes around the contents since
// the last file (frame: the padding, the header), which verify compares
// with what Writer writes there.
type tarIn interface {
	Next() (*tar.Header, error)
	io.Reader
	frame() []byte
	resetFrame()
}

// newTarIn returns the tarIn of r: ustarIn when the first block is a
// USTAR header of a regular file (a package of Format), else archive/tar's
// Reader (formatV1's PAX headers, and whatever else r holds, which its
// frame then refuses).
func newTarIn(r io.Reader) tarIn {
	first := make([]byte, blockSize)
	n, _ := io.ReadFull(r, first)
	first = first[:n]
	r = io.MultiReader(bytes.NewReader(first), r)
	if n == blockSize && first[ustarType] == tar.TypeReg && string(first[ustarMagic:ustarMagic+8]) == "ustar\x0000" {
		return &ustarIn{r: r}
	}
	fr := &frameReader{r: r}
	return &archiveTarIn{tar.NewReader(fr), fr}
}

// archiveTarIn is archive/tar's Reader, its frame kept by frameReader.
type archiveTarIn struct {
	tr *tar.Reader
	fr *frameReader
}

func (a *archiveTarIn) Next() (*tar.Header, error) { return a.tr.Next() }

func (a *archiveTarIn) Read(p []byte) (int, error) {
	a.fr.content = true
	defer func() { a.fr.content = false }()
	return a.tr.Read(p)
}

func (a *archiveTarIn) frame() []byte { return a.fr.frame.Bytes() }
func (a *archiveTarIn) resetFrame()   { a.fr.frame.Reset() }

// ustarIn reads a tar of USTAR headers by hand: a header's name (prefix
// and name fields), type, size and time, nothing more. That is enough,
// since verify compares every byte of the tar around the files with what
// Writer writes for those; archive/tar's Reader parsed every field of
// every format and was as costly as hashing the files.
type ustarIn struct {
	r     io.Reader
	left  int64 // of the current file's content
	pad   int   // after it
	fr    []byte
	blk   [blockSize]byte
	ended bool
}

var errHeader = errors.New("archive/tar: invalid tar header") // as archive/tar says it

func (u *ustarIn) Next() (*tar.Header, error) {
	if u.ended {
		return nil, io.EOF
	}
	if u.left > 0 { // content not read: skipped, not part of the frame
		if _, err := io.CopyN(io.Discard, u.r, u.left); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		u.left = 0
	}
	u.fr = u.fr[:0]
	if u.pad > 0 {
		start := len(u.fr)
		u.fr = append(u.fr, make([]byte, u.pad)...)
		if _, err := io.ReadFull(u.r, u.fr[start:]); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		u.pad = 0
	}
	n, err := io.ReadFull(u.r, u.blk[:])
	u.fr = append(u.fr, u.blk[:n]...)
	switch {
	case n == 0 && err == io.EOF:
		u.ended = true
		return nil, io.EOF
	case err != nil:
		return nil, io.ErrUnexpectedEOF
	}
	if u.blk == [blockSize]byte{} { // the end: a second zero block must follow
		n, err := io.ReadFull(u.r, u.blk[:])
		u.fr = append(u.fr, u.blk[:n]...)
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		if u.blk != [blockSize]byte{} {
			return nil, errHeader
		}
		u.ended = true
		return nil, io.EOF
	}
	size, ok1 := parseOctal(u.blk[ustarSize : ustarSize+12])
	secs, ok2 := parseOctal(u.blk[ustarMtime : ustarMtime+12])
	if !ok1 || !ok2 || string(u.blk[ustarMagic:ustarMagic+8]) != "ustar\x0000" {
		return nil, errHeader
	}
	name := cString(u.blk[ustarName : ustarName+ustarNameLen])
	if prefix := cString(u.blk[ustarPrefix : ustarPrefix+ustarPrefLen]); prefix != "" {
		name = prefix + "/" + name
	}
	u.left, u.pad = size, int(-size&(blockSize-1))
	return &tar.Header{Name: name, Size: size, ModTime: time.Unix(secs, 0), Typeflag: u.blk[ustarType], Format: tar.FormatUSTAR}, nil
}

func (u *ustarIn) Read(p []byte) (int, error) {
	if u.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > u.left {
		p = p[:u.left]
	}
	n, err := u.r.Read(p)
	u.left -= int64(n)
	if err == io.EOF && u.left > 0 {
		err = io.ErrUnexpectedEOF
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

func (u *ustarIn) frame() []byte { return u.fr }
func (u *ustarIn) resetFrame()   { u.fr = u.fr[:0] }

// parseOctal reads a USTAR numeric field: octal digits, then NULs or
// spaces; false for anything else (verify then finds the header is not
// one Writer writes).
func parseOctal(f []byte) (int64, bool) {
	var x int64
	i := 0
	for ; i < len(f) && f[i] >= '0' && f[i] <= '7'; i++ {
		x = x<<3 | int64(f[i]-'0')
	}
	if i == 0 || i > 11 {
		return 0, false
	}
	for ; i < len(f); i++ {
		if f[i] != 0 && f[i] != ' ' {
			return 0, false
		}
	}
	return x, true
}

// cString is a USTAR string field up to its first NUL.
func cString(f []byte) string {
	if i := bytes.IndexByte(f, 0); i >= 0 {
		f = f[:i]
	}
	return string(f)
}
