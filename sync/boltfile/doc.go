// Package boltfile checks the structure of a bbolt file from its raw bytes,
// trusting none of them, before bbolt is let near it.
//
// bbolt trusts its file: it maps it into memory and follows page numbers,
// element offsets and lengths without bounds checks. A flipped byte, a
// truncated file or a file of another format makes it panic with an
// assertion, index out of range, or fault on memory beyond the mapped
// file — and when the store is opened for writing (with the freelist not
// stored, as clinicgw runs it), that walk runs in a goroutine of bbolt's
// own, where no recover can reach it: the process dies with a stack trace.
//
// Check reads the file through an io.ReaderAt (never a mapping), with
// every offset checked, and walks exactly what bbolt will: both meta
// pages, the tree of buckets from the current meta's root, every branch
// and leaf page with its overflow, every element's key and value bounds,
// inline buckets, key order across the tree, page numbers below the
// high-water mark and inside the file, no page used twice, and a stored
// freelist. A file that passes can be opened and walked by bbolt without
// reading outside it (FuzzCheck holds that against bbolt itself).
//
// One meta page that does not check is what a power cut in the middle of
// a commit leaves; bbolt then goes on from the other one, which is its
// design. Check does the same and reports it in Report.BadMeta. bbolt
// writes its pages in the machine's byte order: this package reads
// little-endian files, what clinicgw's platforms (amd64, arm64) write.
//
// Both ends keep their state in bbolt files and check them here before
// opening them: the gateway's encrypted store (agent/store) and the
// reference central store (sync/central). It imports only the standard
// library.
package boltfile
