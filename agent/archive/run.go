package archive

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
	wirelabels "clinicgw/sync/wire/labels"
)

// DefaultAge is how long after their last change answered and closed
// cases stay in the store: three months.
const DefaultAge = 90 * 24 * time.Hour

// DefaultBatch is how many cases go in one package.
const DefaultBatch = 500

// journalPrefix keys the journal of packages under way, in the store's
// sealed settings.
const journalPrefix = "archive/journal/"

// Config is what an Archiver needs.
type Config struct {
	DB     *store.DB
	Unit   string
	Dir    string        // the region archive's folder
	Age    time.Duration // DefaultAge if 0
	Batch  int           // DefaultBatch if 0
	Signer Signer
	Clock  clock.Clock
	Logger *slog.Logger
	// Retire, when true, retires the key term that sealed the purged cases
	// after a run that purged any (rotate, reseal, retire).
	Retire bool
	// Forms returns the unit's forms, by which the package names each
	// form answer (labels.Answers); nil: answers are kept as sent, marked.
	Forms func(ctx context.Context) (wire.FormSet, error)
	// Catalog, when not nil, returns the unit's catalogue of services,
	// by which the package names each form answer with the version of
	// the service the case was written on (Case.ServiceVersion,
	// catalog.Lookup); it wins over Forms.
	Catalog func(ctx context.Context) (catalog.Catalog, error)
	// Bookings, when not nil, is the booking diary whose bookings each
	// run exports too (bookingsrun.go).
	Bookings BookingSource
}

// formOf returns the form a case of type id written on the service's
// version (0: the current one) is read by, or nil.
type formOf func(id casetype.Type, version int) *wire.Form

// Archiver exports, verifies and purges.
type Archiver struct {
	cfg Config
	log *slog.Logger
	// fault, in tests, fails a run at a named step ("writing": half the
	// package in its temporary file; "written", "verified", "purged";
	// "retiring": between the key rotation and the reseal) as a crash there
	// would stop it.
	fault func(step string) error
	// held, in tests, is told of every chunk of cases write reads: how
	// many and about how many bytes (caseBytes).
	held func(n, bytes int)
}

func (a *Archiver) at(step string) error {
	if a.fault != nil {
		return a.fault(step)
	}
	return nil
}

// Age is how old an answered or closed case must be to be exported.
func (a *Archiver) Age() time.Duration { return a.cfg.Age }

// New checks cfg and returns an Archiver.
func New(cfg Config) (*Archiver, error) {
	if cfg.DB == nil || cfg.Dir == "" || cfg.Unit == "" || cfg.Signer.Key == nil || cfg.Signer.Cert == nil {
		return nil, errors.New("archive: a store, the unit, an archive folder and a signing key with its certificate are required")
	}
	if cfg.Age <= 0 {
		cfg.Age = DefaultAge
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Archiver{cfg: cfg, log: cfg.Logger}, nil
}

// journal is one package under way.
type journal struct {
	Name  string   `json:"name"`
	Cases []string `json:"cases"`
	// Versions are the cases' versions as the batch was chosen, beside
	// Cases: a run that goes on with the package after a kill purges a
	// case only while it still has that version (a journal without them,
	// from an older gateway, purges as that gateway did).
	Versions []uint64 `json:"versions,omitempty"`
	// A journal once had the package file's SHA-256 (sha256) too, noted
	// after it verified at the cost of a commit; nothing read it, and a
	// package is verified again whenever a run goes on with it.
}

// Report is what a run did.
type Report struct {
	Packages, Cases int
	Bookings        int // bookings exported (bookingsrun.go)
	Bytes           int64
	RetiredTerms    []uint32
}

// Progress is told after every package: cases done and to do in all. The
// total is an upper bound until the last call (answered, closed and
// withdrawn cases not yet read, some of which may prove too recent), when
// it equals done.
type Progress func(done, total int)

// Run finishes any package a killed run left, then exports every case
// old enough, a batch per package, and purges what it exported. It stops
// at ctx's end between steps; run it again to go on.
func (a *Archiver) Run(ctx context.Context, progress Progress) (Report, error) {
	var rep Report
	if err := atomicfile.MkdirAll(a.cfg.Dir, 0o750); err != nil {
		return rep, fmt.Errorf("archive folder: %w", err)
	}
	a.removeTemps()
	keys, err := a.cfg.DB.SettingKeys(ctx, journalPrefix)
	if err != nil {
		return rep, err
	}
	for _, k := range keys {
		j, err := a.loadJournal(ctx, k)
		if err != nil {
			return rep, err
		}
		n, size, err := a.finish(ctx, j, nil)
		if err != nil {
			return rep, err
		}
		rep.Packages, rep.Cases, rep.Bytes = rep.Packages+1, rep.Cases+n, rep.Bytes+size
	}
	cands, err := a.candidates(ctx)
	if err != nil {
		return rep, err
	}
	// Each package is made (chosen, journalled, written) while the one
	// before it is settled (read back, verified, purged) in a goroutine:
	// one package's disk waits and the other's work overlap, and a
	// package is still purged only once verified. At most one settles at
	// a time, in order, and Run waits for it before it returns.
	type settled struct {
		n, ids int
		size   int64
		err    error
	}
	var settling chan settled
	done, told := 0, 0
	wait := func() error {
		if settling == nil {
			return nil
		}
		s := <-settling
		settling = nil
		if s.err != nil {
			return s.err
		}
		rep.Packages, rep.Cases, rep.Bytes = rep.Packages+1, rep.Cases+s.n, rep.Bytes+s.size
		done += s.ids
		if progress != nil {
			told = done + len(cands) // at most: a candidate left may prove too recent
			progress(done, told)
		}
		return nil
	}
	for len(cands) > 0 {
		if err := ctx.Err(); err != nil {
			return rep, errors.Join(err, wait())
		}
		held, ids, seen, rest, err := a.nextBatch(ctx, cands)
		if err != nil {
			return rep, errors.Join(err, wait())
		}
		if len(ids) == 0 {
			cands = nil
			break
		}
		j := journal{Name: a.packageName(ids), Cases: ids, Versions: make([]uint64, len(seen))}
		for i, s := range seen {
			j.Versions[i] = s.Version
		}
		err = a.saveJournal(ctx, j) // the intent first
		if err == nil {
			seen, err = a.make(ctx, j, held, seen)
		}
		if err != nil {
			return rep, errors.Join(err, wait())
		}
		if err := wait(); err != nil {
			return rep, err
		}
		cands = rest
		settling = make(chan settled, 1)
		go func(c chan<- settled) {
			n, size, err := a.settle(ctx, j, seen)
			c <- settled{n, len(ids), size, err}
		}(settling)
	}
	if err := wait(); err != nil {
		return rep, err
	}
	if progress != nil && told != done {
		progress(done, done)
	}
	nb, size, err := a.exportBookings(ctx) // bookingsrun.go
	if err != nil {
		return rep, err
	}
	if nb > 0 {
		rep.Packages, rep.Bookings, rep.Bytes = rep.Packages+1, nb, rep.Bytes+size
	}
	if rep.RetiredTerms, err = a.retire(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// Unfinished reports whether a run was stopped before its end: a package
// journalled but not done, or key terms still to retire.
func (a *Archiver) Unfinished(ctx context.Context) (bool, error) {
	keys, err := a.cfg.DB.SettingKeys(ctx, journalPrefix)
	if err != nil || len(keys) > 0 {
		return len(keys) > 0, err
	}
	if _, ok, err := a.loadBookingsJournal(ctx); err != nil || ok { // bookingsrun.go
		return ok, err
	}
	_, err = a.cfg.DB.Setting(ctx, retireKey)
	if errors.Is(err, store.ErrNoSetting) {
		return false, nil
	}
	return err == nil, err
}

// finish takes a journalled package to its end: made (make), then
// settled (settle). It returns the cases purged and the file's size.
func (a *Archiver) finish(ctx context.Context, j journal, held []Item) (int, int64, error) {
	seen, err := a.make(ctx, j, held, nil)
	if err != nil {
		return 0, 0, err
	}
	return a.settle(ctx, j, seen)
}

// make writes the package of a journal unless its file is there already
// (settle verifies it, whoever wrote it). held are the first of j's
// cases, read already (nextBatch), or none; seen, beside j.Cases, what
// nextBatch saw of them, or nil. It returns what was seen of each case
// as it was written (store.Seen, for the purge), or nil when it wrote
// nothing.
func (a *Archiver) make(ctx context.Context, j journal, held []Item, seen []store.Seen) ([]store.Seen, error) {
	path := filepath.Join(a.cfg.Dir, j.Name+".tar")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		if err != nil {
			return nil, fmt.Errorf("archive: %s: %w; nothing purged", path, err)
		}
		return nil, nil
	}
	if len(seen) != len(j.Cases) {
		seen = make([]store.Seen, len(j.Cases))
	}
	if err := a.write(ctx, path, j, held, seen); err != nil {
		return nil, err
	}
	return seen, a.at("written")
}

// settle reads a journalled package back and verifies it, then purges
// its cases and removes the journal entry. It returns the cases purged
// and the file's size.
func (a *Archiver) settle(ctx context.Context, j journal, seen []store.Seen) (int, int64, error) {
	path := filepath.Join(a.cfg.Dir, j.Name+".tar")
	m, size, err := a.verifyFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("archive: %s does not verify: %w; nothing purged", path, err)
	}
	if !slices.Equal(m.Cases, sortedCopy(j.Cases)) {
		return 0, 0, fmt.Errorf("archive: %s holds other cases than its journal says; nothing purged — check the archive folder", path)
	}
	if err := a.at("verified"); err != nil {
		return 0, 0, err
	}
	if err := a.markRetire(ctx); err != nil {
		return 0, 0, err
	}
	if seen == nil && len(j.Versions) == len(j.Cases) {
		// Going on after a stop: each case by the version it was chosen
		// at, decoded to compare (store.Seen with no stamp).
		seen = make([]store.Seen, len(j.Cases))
		for i, id := range j.Cases {
			seen[i] = store.Seen{ID: cases.ID(id), Version: j.Versions[i]}
		}
	}
	if seen == nil {
		return a.settleOlder(ctx, j, m, size)
	}
	// Cases a stopped run purged already are skipped; a case written since
	// its export is kept (exported again once old enough). The journal
	// entry goes in the purge's own commit.
	purged, kept, err := a.cfg.DB.PurgeSeen(ctx, seen, journalPrefix+j.Name)
	if err != nil {
		return 0, 0, err
	}
	if len(kept) > 0 {
		a.log.Warn("archive cases changed after their export kept", "package", j.Name, "kept", len(kept))
	}
	if err := a.at("purged"); err != nil {
		return 0, 0, err
	}
	a.log.Info("archive package done", "package", j.Name, "cases", len(j.Cases), "purged", purged, "bytes", size)
	return purged, size, nil
}

// settleOlder purges the cases of a journal an older gateway wrote, which
// has no versions of its cases: each read to check it is in the verified
// package, as that gateway did; then it removes the journal entry.
func (a *Archiver) settleOlder(ctx context.Context, j journal, m *Manifest, size int64) (int, int64, error) {
	in := map[string]bool{}
	for _, id := range m.Cases {
		in[id] = true
	}
	ids := make([]cases.ID, len(j.Cases))
	for i, id := range j.Cases {
		ids[i] = cases.ID(id)
	}
	// Cases a stopped run purged already are skipped.
	purged, err := a.cfg.DB.PurgeCases(ctx, ids, func(c *cases.Case) error {
		if !in[string(c.ID)] {
			return fmt.Errorf("not in the verified package %s", j.Name)
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if err := a.at("purged"); err != nil {
		return 0, 0, err
	}
	if err := a.cfg.DB.DeleteSetting(ctx, journalPrefix+j.Name); err != nil {
		return 0, 0, err
	}
	a.log.Info("archive package done", "package", j.Name, "cases", len(j.Cases), "purged", purged, "bytes", size)
	return purged, size, nil
}

// formOf returns how the package finds each case's form: by the
// catalogue's version the case was written on (Config.Catalog), else by
// the unit's current forms (Config.Forms), else none.
func (a *Archiver) formOf(ctx context.Context) (formOf, error) {
	switch {
	case a.cfg.Catalog != nil:
		cat, err := a.cfg.Catalog(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: the unit's catalogue: %w", err)
		}
		return func(id casetype.Type, version int) *wire.Form {
			s, ok := cat.Lookup(string(id), version)
			if !ok {
				return nil
			}
			f := s.Form()
			return &f
		}, nil
	case a.cfg.Forms != nil:
		set, err := a.cfg.Forms(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: the unit's forms: %w", err)
		}
		return func(id casetype.Type, _ int) *wire.Form { return wirelabels.FindForm(set, id) }, nil
	}
	return func(casetype.Type, int) *wire.Form { return nil }, nil
}

// write builds the package of j's cases and writes it atomically. It
// holds the cases a chunk of about exportBytes at a time: held (the first
// of j's cases, read by nextBatch), then as readChunk reads them.
// seen, beside j.Cases, gets what the read of each case saw (store.Seen).
func (a *Archiver) write(ctx context.Context, path string, j journal, held []Item, seen []store.Seen) error {
	forms, err := a.formOf(ctx)
	if err != nil {
		return err
	}
	// atomicfile: a temporary file beside it, synced, renamed, folder
	// synced. The package streams into it a case at a time. The fault point
	// "writing" is half way through the cases.
	err = atomicfile.WriteFrom(path, 0o640, func(f io.Writer) error {
		bw := bufio.NewWriterSize(f, 256<<10)
		w := NewWriter(bw, j.Name, a.cfg.Unit, a.cfg.Clock.Now(), a.cfg.Signer)
		for from := 0; from < len(j.Cases); {
			items, err := held, error(nil)
			if from == 0 && len(held) > 0 {
				held, err = nil, a.complete(ctx, items, forms)
			} else {
				items, err = a.readChunk(ctx, j.Cases[from:], seen[from:], forms)
			}
			if err != nil {
				return err
			}
			for k, it := range items {
				if from+k == len(j.Cases)/2 {
					if err := bw.Flush(); err != nil {
						return err
					}
					if err := a.at("writing"); err != nil {
						return err
					}
				}
				if err := w.Add(it); err != nil {
					return fmt.Errorf("build %s: %w", j.Name, err)
				}
				items[k] = Item{} // written: its memory may go
			}
			from += len(items)
		}
		if _, err := w.Close(); err != nil {
			return fmt.Errorf("build %s: %w", j.Name, err)
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// readChunk reads the first of ids, as many as add up to about
// exportBytes (one at least), with their access-log records and forms.
// seen, beside ids, gets what was seen of each case read.
func (a *Archiver) readChunk(ctx context.Context, ids []string, seen []store.Seen, forms formOf) ([]Item, error) {
	var items []Item
	size := 0
	err := a.cfg.DB.View(ctx, func(tx cases.ReadTx) error {
		items, size = items[:0], 0
		for i, id := range ids {
			c, err := tx.Case(cases.ID(id))
			if err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			b := caseBytes(c)
			if len(items) > 0 && size+b > exportBytes {
				break
			}
			if seen[i], err = tx.(store.SeenReader).Seen(c); err != nil {
				return err
			}
			size += b
			items = append(items, Item{Case: c})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the cases: %w", err)
	}
	if a.held != nil {
		a.held(len(items), size)
	}
	return items, a.complete(ctx, items, forms)
}

// complete adds to each item its case's access-log records and form.
func (a *Archiver) complete(ctx context.Context, items []Item, forms formOf) error {
	ids := make([]cases.ID, len(items))
	for i, it := range items {
		ids[i] = it.Case.ID
	}
	access, err := a.cfg.DB.AuditOfCases(ctx, ids)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].Access = access[items[i].Case.ID]
		items[i].Form = forms(items[i].Case.Type, items[i].Case.ServiceVersion)
	}
	return nil
}

// verifyFile reads and verifies the package at path, made by this unit's
// key, and returns its manifest and the file's size.
func (a *Archiver) verifyFile(path string) (*Manifest, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	m, size, err := verify(bufio.NewReaderSize(f, 256<<10), nil)
	if err != nil {
		return nil, 0, err
	}
	if m.Unit != a.cfg.Unit || !a.cfg.Signer.Cert.Equal(m.Signer) {
		return nil, 0, fmt.Errorf("%w: made by another unit or key", ErrInvalid)
	}
	return m, size, nil
}

// exportable are the statuses a case is exported in, once old enough.
var exportable = []cases.Status{cases.Answered, cases.Closed, cases.Withdrawn}

// candidates lists the cases answered, closed or withdrawn, in id order:
// from the status index, without reading them.
func (a *Archiver) candidates(ctx context.Context) ([]cases.ID, error) {
	var ids []cases.ID
	err := a.cfg.DB.View(ctx, func(tx cases.ReadTx) error {
		ids = ids[:0]
		for _, st := range exportable {
			if err := tx.Lookup(cases.ByStatus, string(st), func(id cases.ID) bool { ids = append(ids, id); return true }); err != nil {
				return err
			}
		}
		return nil
	})
	slices.Sort(ids)
	return ids, err
}

// nextBatch reads cands in order, in one transaction, until it has found
// a batch of cases to export — answered, closed or withdrawn, last changed
// longer than Age ago — or read them all. It returns the batch's ids, the
// first of its cases as items (as many as add up to about exportBytes, so
// that write need not read them again) and the candidates it did not
// read. Each case is read once here; a run used to read every case once
// more to choose them before it wrote any.
func (a *Archiver) nextBatch(ctx context.Context, cands []cases.ID) (held []Item, ids []string, seen []store.Seen, rest []cases.ID, err error) {
	cut := a.cfg.Clock.Now().Add(-a.cfg.Age)
	size, n := 0, 0
	err = a.cfg.DB.View(ctx, func(tx cases.ReadTx) error {
		held, ids, seen, size, n = held[:0], ids[:0], seen[:0], 0, 0
		holding := true
		for ; n < len(cands) && len(ids) < a.cfg.Batch; n++ {
			c, err := tx.Case(cands[n])
			if errors.Is(err, cases.ErrNotFound) {
				continue // removed since the candidates were listed
			}
			if err != nil {
				return fmt.Errorf("case %s: %w", cands[n], err)
			}
			if !slices.Contains(exportable, c.Status) || !lastActivity(c).Before(cut) {
				continue
			}
			s, err := tx.(store.SeenReader).Seen(c)
			if err != nil {
				return err
			}
			ids, seen = append(ids, string(c.ID)), append(seen, s)
			if b := caseBytes(c); holding && (len(held) == 0 || size+b <= exportBytes) {
				held, size = append(held, Item{Case: c}), size+b
			} else {
				holding = false // held stays the batch's first cases
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("read the cases: %w", err)
	}
	if a.held != nil && len(held) > 0 {
		a.held(len(held), size)
	}
	return held, ids, seen, cands[n:], nil
}

// packageName names a package by the unit and its first and last case.
func (a *Archiver) packageName(ids []string) string {
	return fmt.Sprintf("%s-%s-%s", a.cfg.Unit, ids[0], ids[len(ids)-1])
}

func (a *Archiver) saveJournal(ctx context.Context, j journal) error {
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return a.cfg.DB.PutSetting(ctx, journalPrefix+j.Name, b)
}

func (a *Archiver) loadJournal(ctx context.Context, key string) (journal, error) {
	var j journal
	b, err := a.cfg.DB.Setting(ctx, key)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		return j, fmt.Errorf("archive journal %s: %w", strings.TrimPrefix(key, journalPrefix), err)
	}
	return j, nil
}

// removeTemps removes temporary files a killed write left.
func (a *Archiver) removeTemps() {
	entries, _ := os.ReadDir(a.cfg.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tar") {
			os.Remove(filepath.Join(a.cfg.Dir, e.Name()))
		}
	}
}

// retireKey marks, in the store's sealed settings, that purged cases'
// key term is still to be retired: "0" before the key ring was rotated for
// it, then the term resealed to. It is set before the first purge and
// removed once the older terms are retired, so a run killed anywhere in
// between retires them the next time.
const retireKey = "archive/retire"

// markRetire notes, before a purge, that the key term sealing the purged
// cases must be retired (with Retire; a mark already there stays).
func (a *Archiver) markRetire(ctx context.Context) error {
	if !a.cfg.Retire {
		return nil
	}
	_, err := a.cfg.DB.Setting(ctx, retireKey)
	if errors.Is(err, store.ErrNoSetting) {
		err = a.cfg.DB.PutSetting(ctx, retireKey, []byte("0"))
	}
	return err
}

// retire, when marked, rotates the key ring, reseals everything under the
// new term and retires the older terms: the purged cases' ciphertext in
// free pages never opens again. Each step can be killed and done again.
func (a *Archiver) retire(ctx context.Context) ([]uint32, error) {
	mark, err := a.cfg.DB.Setting(ctx, retireKey)
	if errors.Is(err, store.ErrNoSetting) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if string(mark) == "0" {
		t, err := a.cfg.DB.RotateKey(ctx)
		if err != nil {
			return nil, err
		}
		if err := a.cfg.DB.PutSetting(ctx, retireKey, []byte(strconv.FormatUint(uint64(t.Term), 10))); err != nil {
			return nil, err
		}
	}
	if err := a.at("retiring"); err != nil {
		return nil, err
	}
	if _, err := a.cfg.DB.Reseal(ctx, 1000, nil); err != nil {
		return nil, err
	}
	retired, err := a.cfg.DB.RetireTerms(ctx)
	if err != nil {
		return nil, err
	}
	return retired, a.cfg.DB.DeleteSetting(ctx, retireKey)
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
