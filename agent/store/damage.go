package store

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

// ErrDamaged means the store file is damaged: its structure, a value in
// it, or its key ring. Every error that says so is a *DamagedError.
var ErrDamaged = errors.New("the store is damaged")

// DamagedError says which store file is damaged, how, and what to do.
type DamagedError struct {
	Path   string
	Reason error
	// Untouched: clinicgw refused the file before writing anything to it.
	Untouched bool
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "store %s is damaged: %v. Restore the latest backup of this file and keep the damaged one for analysis", e.Path, e.Reason)
	if e.Untouched {
		b.WriteString(" (clinicgw has not changed it)")
	}
	return b.String()
}

// Unwrap gives ErrDamaged and the reason.
func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Reason} }

// damaged returns err as a *DamagedError about the store at path, unless
// it is one already.
func damaged(path string, err error, untouched bool) error {
	var d *DamagedError
	if errors.As(err, &d) {
		return err
	}
	return &DamagedError{Path: path, Reason: err, Untouched: untouched}
}

// isValueDamage tells a value that does not open from other failures; a
// slim sync journal record that does not rebuild to the event it keeps
// the hash of (cases.ErrJournalDamaged) is one too.
func isValueDamage(err error) bool {
	return errors.Is(err, ErrTampered) || errors.Is(err, ErrRetired) || errors.Is(err, cases.ErrJournalDamaged)
}

// panicOrigin reports, from inside a deferred function while a panic
// unwinds, whether one is under way, whether it began in bbolt, and
// whether it is a fault (a memory access the runtime turned into a
// panic, see debug.SetPanicOnFault).
func panicOrigin() (panicking, inBolt, fault bool) {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	seen := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			seen = true
		case !seen:
		case f.Function == "runtime.sigpanic":
			fault = true
		case strings.HasPrefix(f.Function, "runtime."):
		default:
			return true, strings.HasPrefix(f.Function, "go.etcd.io/bbolt"), fault
		}
		if !more {
			return seen, false, fault
		}
	}
}

// recoverDamage, deferred around a call into bbolt, turns a panic that
// began in bbolt (an assertion, an index out of range on a damaged page)
// or a fault reading the mapped file (debug.SetPanicOnFault: a file cut
// short under it, an I/O error) into a *DamagedError in *errp, and marks
// the store damaged for writes. Any other panic — a bug in clinicgw —
// goes on unwinding as before.
func (db *DB) recoverDamage(errp *error) {
	panicking, inBolt, fault := panicOrigin()
	if !panicking || (!inBolt && !fault) {
		return
	}
	p := recover()
	if _, ok := p.(interface{ Addr() uintptr }); !inBolt && !ok {
		panic(p) // a nil pointer in clinicgw's own code: a bug, not damage
	}
	reason := fmt.Errorf("bbolt stopped on it: %v", p)
	if !inBolt || fault {
		reason = fmt.Errorf("its pages could not be read where bbolt expected them (the file was cut short, or the disk failed to read it): %v", p)
	}
	err := damaged(db.path, reason, false)
	db.markDamaged(err, true)
	*errp = err
}

// markDamaged records that the store is damaged, for Damaged and the
// health checks; writes too stops every later write: after a panic inside
// bbolt, its state in memory cannot be trusted to write a consistent file.
func (db *DB) markDamaged(err error, writes bool) {
	var d *DamagedError
	if db.damage.CompareAndSwap(nil, &err) && !(errors.As(err, &d) && d.Untouched) {
		// Found while serving; a refused Open returns the error instead.
		db.log.Error("store damaged", "path", db.path, "reason", err)
	}
	if writes {
		db.noWrites.CompareAndSwap(nil, &err)
	}
}

// Damaged returns why the store is damaged, or nil: a value that did not
// open, or a panic in bbolt, since it was opened.
func (db *DB) Damaged() error {
	if p := db.damage.Load(); p != nil {
		return *p
	}
	return nil
}

// note turns an error that says a value did not open into a
// *DamagedError and marks the store damaged.
func (db *DB) note(err error) error {
	if err == nil || !isValueDamage(err) {
		return err
	}
	err = damaged(db.path, err, false)
	db.markDamaged(err, false)
	return err
}

// view runs fn in a bbolt read transaction, with faults on the mapped
// file and bbolt's panics turned into errors.
func (db *DB) view(fn func(*bolt.Tx) error) (err error) {
	defer db.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.note(db.bolt.View(fn))
}

// update runs fn in a bbolt write transaction like view, and refuses
// once a panic in bbolt made the store damaged.
func (db *DB) update(fn func(*bolt.Tx) error) (err error) {
	if p := db.noWrites.Load(); p != nil {
		return *p
	}
	defer db.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return db.note(db.bolt.Update(func(btx *bolt.Tx) error {
		// Read by bbolt in this transaction's commit only: the writer's.
		db.bolt.AllocSize = growStep(btx.Size())
		return fn(btx)
	}))
}
