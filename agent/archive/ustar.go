package archive

import (
	"archive/tar"
	"bytes"
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
