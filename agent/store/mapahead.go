//go:build !windows

package store

// mapAhead says whether the store file is mapped mapAheadSize ahead
// (boltOptions). Not on Windows: there bbolt grows the file to its
// mapping, so a new store would take the whole size on disk at once.
const mapAhead = true
