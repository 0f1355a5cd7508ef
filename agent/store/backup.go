package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/clock"
)

// A backup is the store file copied as it is in one read transaction
// (bbolt's Tx.WriteTo: a hot copy while writers go on), with a manifest
// beside it. The copy holds the key ring and every value sealed as the
// store holds them: it is as encrypted as the store, and the key-encryption
// key is not in it. Nothing is decrypted to make it, so no key is needed.

// ManifestSuffix is what a backup's manifest adds to the backup's name.
const ManifestSuffix = ".manifest.json"

// manifestFormat is Manifest.Format's current value.
const manifestFormat = 1

// ErrInUse means the store file is locked by another process: a running
// gateway (or a command on it).
var ErrInUse = errInUse

// Manifest describes a backup: whose store, when, and how to tell the
// copy is whole. It holds no patient data.
type Manifest struct {
	Format     int       `json:"format"`
	Unit       string    `json:"unit"`       // the care unit's HSA-ID
	TakenAt    time.Time `json:"takenAt"`    // when the read transaction began, UTC
	Schema     uint32    `json:"schema"`     // the store's schema version
	SyncCursor uint64    `json:"syncCursor"` // the last central event applied
	AuditSeq   uint64    `json:"auditSeq"`   // the access log's last sequence number
	Txid       uint64    `json:"txid"`       // bbolt's transaction id of the copy
	Size       int64     `json:"size"`       // the copy's bytes
	SHA256     string    `json:"sha256"`     // the copy's SHA-256, hex
}

// manifestOf reads a manifest's fields (all but the checksum) in btx.
func manifestOf(btx *bolt.Tx, now time.Time) (Manifest, error) {
	meta := btx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return Manifest{}, errors.New("it has no meta bucket: it is not a clinicgw store")
	}
	m := Manifest{Format: manifestFormat, Unit: string(meta.Get(keyUnit)), TakenAt: now.UTC(), Txid: uint64(btx.ID()), Size: btx.Size()}
	var err error
	if m.Schema, err = readSchema(btx); err != nil {
		return Manifest{}, err
	}
	if raw := meta.Get(keySyncCursor); raw != nil {
		if len(raw) != 8 {
			return Manifest{}, errors.New("its sync cursor is damaged")
		}
		m.SyncCursor = binary.BigEndian.Uint64(raw)
	}
	if b := btx.Bucket([]byte(bucketAudit)); b != nil {
		if k, _ := b.Cursor().Last(); k != nil {
			if m.AuditSeq, err = seqOf(k); err != nil {
				return Manifest{}, fmt.Errorf("access log: %w", err)
			}
		}
	}
	return m, nil
}

// writeBackup writes a copy of the file as btx sees it to w. begin, if not
// nil, is called with the manifest (its checksum still empty) before the
// first byte; progress, if not nil, now and then with the bytes written.
func writeBackup(ctx context.Context, btx *bolt.Tx, w io.Writer, now time.Time, begin func(Manifest) error, progress func(done, total int64)) (Manifest, error) {
	m, err := manifestOf(btx, now)
	if err != nil {
		return Manifest{}, err
	}
	if begin != nil {
		if err := begin(m); err != nil {
			return Manifest{}, err
		}
	}
	h := sha256.New()
	cw := &countWriter{ctx: ctx, w: io.MultiWriter(w, h), total: m.Size, progress: progress}
	n, err := btx.WriteTo(cw)
	if err != nil {
		return Manifest{}, fmt.Errorf("copy: %w", err)
	}
	if n != m.Size {
		return Manifest{}, fmt.Errorf("copy: %d bytes written, the file has %d", n, m.Size)
	}
	if progress != nil {
		progress(n, m.Size)
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	return m, nil
}

// countWriter counts the bytes, reports them about every 4 MiB and stops
// when ctx ends.
type countWriter struct {
	ctx      context.Context
	w        io.Writer
	n, last  int64
	total    int64
	progress func(done, total int64)
}

func (c *countWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 4<<20 {
		c.last = c.n
		c.progress(c.n, c.total)
	}
	return n, err
}

// Backup writes a consistent copy of the open store to w in one read
// transaction, while writes go on, and returns its manifest. begin, if not
// nil, gets the manifest without its checksum before the first byte (an
// HTTP handler sets its headers); progress, if not nil, the bytes written
// now and then.
func (db *DB) Backup(ctx context.Context, w io.Writer, begin func(Manifest) error, progress func(done, total int64)) (Manifest, error) {
	var m Manifest
	err := db.view(func(btx *bolt.Tx) error {
		var err error
		m, err = writeBackup(ctx, btx, w, db.clock.Now(), begin, progress)
		return err
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("back up store %s: %w", db.path, err)
	}
	if m.Unit != db.unit {
		return Manifest{}, fmt.Errorf("back up store %s: it belongs to care unit %q, not %q", db.path, m.Unit, db.unit)
	}
	return m, nil
}

// BackupFile writes a consistent copy of the store file at path, which no
// process has open, to w: its structure is checked first (a damaged file
// is a *DamagedError), then it is copied in one read transaction of a
// read-only bbolt. A store a running gateway has open is ErrInUse.
func BackupFile(ctx context.Context, path string, w io.Writer, opts Options, progress func(done, total int64)) (Manifest, error) {
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.System
	}
	f, err := openLocked(path, opts.LockTimeout)
	if err != nil {
		return Manifest{}, err
	}
	fi, err := f.file.Stat()
	if err == nil {
		if _, err = checkFile(ctx, f.file, fi.Size(), nil); err != nil && ctx.Err() == nil {
			err = damaged(path, err, true)
		}
	}
	f.close()
	if err != nil {
		return Manifest{}, err
	}
	bdb, err := openBoltReadOnly(path, opts.LockTimeout)
	if err != nil {
		return Manifest{}, err
	}
	defer bdb.Close()
	db := &DB{bolt: bdb, path: path, unit: opts.Unit, clock: opts.Clock}
	return db.Backup(ctx, w, nil, progress)
}

// BackupTarget refuses a backup's path when it, or its manifest, exists:
// a backup never replaces a file.
func BackupTarget(path string) error {
	for _, p := range []string{path, path + ManifestSuffix} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s exists already; a backup never replaces a file: give a new name, or move the old one away", p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// WriteBackup makes the backup file at path with what fill writes, then
// its manifest beside it (path + ManifestSuffix), each into a temporary
// file in the same folder, synced, renamed, the folder synced
// (atomicfile): a backup whose manifest exists is whole. fill returns the
// manifest of what it wrote, whose size and checksum are checked against
// the bytes that reached the file. Neither path nor its manifest may
// exist; on any failure neither is left behind.
func WriteBackup(path string, fill func(w io.Writer) (Manifest, error)) (Manifest, error) {
	if err := BackupTarget(path); err != nil {
		return Manifest{}, err
	}
	var m Manifest
	err := atomicfile.WriteFrom(path, 0o600, func(w io.Writer) error {
		cw := &sumWriter{w: w, h: sha256.New()}
		var err error
		if m, err = fill(cw); err != nil {
			return err
		}
		if got := hex.EncodeToString(cw.h.Sum(nil)); cw.n != m.Size || got != m.SHA256 {
			return fmt.Errorf("%d bytes with SHA-256 %s arrived, the store's copy has %d bytes with SHA-256 %s; nothing kept", cw.n, got, m.Size, m.SHA256)
		}
		return nil
	})
	if err != nil {
		return Manifest{}, err
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = atomicfile.Write(path+ManifestSuffix, append(raw, '\n'), 0o600)
	}
	if err != nil {
		os.Remove(path)
		return Manifest{}, err
	}
	return m, nil
}

type sumWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (s *sumWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.h.Write(p[:n])
	s.n += int64(n)
	return n, err
}

// ReadManifest reads the manifest of the backup at path and checks the
// backup file against it: its size and SHA-256. A missing manifest, or a
// file that is short, long or changed, is an error saying so.
func ReadManifest(path string) (Manifest, error) {
	raw, err := os.ReadFile(path + ManifestSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("backup %s has no manifest (%s): it is not a clinicgw backup, or it was not finished", path, path+ManifestSuffix)
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", path, err)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("backup %s: its manifest does not read: %w", path, err)
	}
	if m.Format != manifestFormat {
		return Manifest{}, fmt.Errorf("backup %s: manifest format %d; this clinicgw reads format %d", path, m.Format, manifestFormat)
	}
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup %s: %w", path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != m.Size || sum != m.SHA256 {
		return Manifest{}, fmt.Errorf("backup %s is damaged or truncated: it has %d bytes with SHA-256 %s, its manifest says %d bytes with SHA-256 %s; use another backup", path, n, sum, m.Size, m.SHA256)
	}
	return m, nil
}
