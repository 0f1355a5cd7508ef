package booking

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/store"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/personnummer"
)

var ctx = context.Background()

const (
	unit   = "SE2321000016-A001"
	clinA  = "SE2321000016-1003"
	clinB  = "SE2321000016-1004"
	staff1 = "SE2321000016-2001"
)

// Synthetic personnummer only (Skatteverket's test range).
var (
	pnr1 = string(personnummer.Synthetic(time.Date(1980, 4, 1, 0, 0, 0, 0, time.UTC), 981))
	pnr2 = string(personnummer.Synthetic(time.Date(1992, 11, 30, 0, 0, 0, 0, time.UTC), 990))
)

// syntheticPnr is the nth of many distinct synthetic personnummer.
func syntheticPnr(n int) string {
	return string(personnummer.Synthetic(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), 980+n%20))
}

// fixture is a diary on a real bbolt store in a temp dir, with a fake clock.
type fixture struct {
	t     testing.TB
	dir   string
	db    *store.DB
	clock *clocktest.Fake
	d     *Diary
}

func newFixture(t testing.TB, now time.Time) *fixture {
	t.Helper()
	dir := t.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, "kek.key"), rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, clock: clocktest.New(now)}
	f.open()
	t.Cleanup(func() {
		if f.db != nil {
			f.db.Close()
		}
	})
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	kek, err := store.LoadKeyFile(filepath.Join(f.dir, "kek.key"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = nil
	db, err := store.Open(ctx, filepath.Join(f.dir, "store.db"), kek, store.Options{Unit: unit})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
	f.d, err = New(OnStore(f.db), Options{Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
}

// reopen closes the store and opens it again: a gateway restart.
func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// stockholm is a Stockholm wall-clock instant.
func stockholm(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, Local(time.Time{}).Location())
}

// visit is the usual online type: 30 minutes, rebook and cancel until 24
// hours before, released to staff 48 hours before.
var visit = TimeType{ID: "besok-30", StaffName: "Läkarbesök", PatientName: "Besök", Minutes: 30,
	Clinicians: []string{clinA, clinB}, Online: true, Rebook: true, RebookHours: 24, Cancel: true, CancelHours: 24,
	Reminder: true, ReleaseHours: 48}

// phone is a staff-only type of the same length.
var phone = TimeType{ID: "telefon-30", StaffName: "Telefontid psykolog", PatientName: "Telefonsamtal", Minutes: 30, Online: false}

// addSlot writes one free time directly, for the rules' tests.
func (f *fixture) addSlot(start time.Time, clin, typeID string, minutes int) SlotID {
	f.t.Helper()
	s := &Slot{Start: start.UTC(), Minutes: minutes, Clinician: clin, TypeID: typeID, State: Free}
	f.must(f.d.st.Update(ctx, func(tx Tx) error { return saveSlot(tx, s) }))
	return s.ID()
}

func code(err error) Code {
	if d, ok := DeclineOf(err); ok {
		return d.Code
	}
	if err != nil {
		return Code("error: " + err.Error())
	}
	return ""
}

var _ = errors.New
