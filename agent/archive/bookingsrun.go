package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"bufio"

	"clinicgw/agent/booking"
	"clinicgw/agent/store"
	"clinicgw/sync/atomicfile"
)

// The booking diary's bookings in the archive (exportBookings, at the end
// of every Run when Config.Bookings is set): the times that started in a
// window — from where the last export ended to Age ago — with their
// bookings, current and cancelled, go into a package of their own as
// FHIR (bookings/fhir.json, BookingsFHIR), no case in it. The window's
// end is kept (bookingsUpToKey) once the package verified, so every time
// goes into one package, once; a window without a booking moves the end
// on without a package. The diary keeps its times (the statistics are
// counted from them): the export copies, it does not purge.
//
// Resumable like the cases' packages: the journal (bookingsJournalKey:
// the package's name and window) is written first; a run killed before
// the end finds it and writes the package if its file is missing,
// verifies it, moves the end on and only then drops the journal, so a
// kill at any point neither loses a window nor exports one twice.

// BookingSource is the booking diary as the export reads it
// (*booking.Diary).
type BookingSource interface {
	Slots(ctx context.Context, from, to time.Time) ([]*booking.Slot, error)
	Types(ctx context.Context) (map[string]booking.TimeType, error)
}

const (
	bookingsJournalKey = "archive/bookings-journal"
	bookingsUpToKey    = "archive/bookings-upto"
	bookingsPath       = "representations/rep1/data/bookings/fhir.json"
)

// bookingsJournal is the bookings' package under way.
type bookingsJournal struct {
	Name     string    `json:"name"`
	From, To time.Time `json:"-"`
	FromUnix int64     `json:"from"`
	ToUnix   int64     `json:"to"`
}

// exportBookings exports the next window's bookings; it returns how many
// bookings (appointments) went into a package and the package's size.
func (a *Archiver) exportBookings(ctx context.Context) (int, int64, error) {
	if a.cfg.Bookings == nil {
		return 0, 0, nil
	}
	j, ok, err := a.loadBookingsJournal(ctx)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		from, err := a.bookingsUpTo(ctx)
		if err != nil {
			return 0, 0, err
		}
		to := a.cfg.Clock.Now().Add(-a.cfg.Age).UTC().Truncate(time.Second)
		if !from.Before(to) {
			return 0, 0, nil
		}
		times, _, err := a.bookingTimes(ctx, from, to)
		if err != nil {
			return 0, 0, err
		}
		if len(times) == 0 {
			return 0, 0, a.saveBookingsUpTo(ctx, to)
		}
		j = bookingsJournal{Name: fmt.Sprintf("%s-bookings-%d-%d", a.cfg.Unit, from.Unix(), to.Unix()), From: from, To: to}
		if err := a.saveBookingsJournal(ctx, j); err != nil { // the intent first
			return 0, 0, err
		}
	}
	path := filepath.Join(a.cfg.Dir, j.Name+".tar")
	times, types, err := a.bookingTimes(ctx, j.From, j.To)
	if err != nil {
		return 0, 0, err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		err = atomicfile.WriteFrom(path, 0o640, func(f io.Writer) error {
			bw := bufio.NewWriterSize(f, 256<<10)
			w := NewWriter(bw, j.Name, a.cfg.Unit, a.cfg.Clock.Now(), a.cfg.Signer)
			if err := w.AddBookings(times, types); err != nil {
				return err
			}
			if _, err := w.Close(); err != nil {
				return err
			}
			return bw.Flush()
		})
		if err != nil {
			return 0, 0, fmt.Errorf("archive: bookings: %w", err)
		}
	} else if err != nil {
		return 0, 0, fmt.Errorf("archive: %s: %w", path, err)
	}
	if err := a.at("bookings-written"); err != nil {
		return 0, 0, err
	}
	m, size, err := a.verifyFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("archive: %s does not verify: %w; the bookings' window is kept to export again", path, err)
	}
	if len(m.Cases) != 0 || !slices.ContainsFunc(m.Files, func(f FileSum) bool { return f.Path == bookingsPath }) {
		return 0, 0, fmt.Errorf("archive: %s is not the bookings' package its journal names — check the archive folder", path)
	}
	if err := a.saveBookingsUpTo(ctx, j.To); err != nil {
		return 0, 0, err
	}
	if err := a.at("bookings-settled"); err != nil {
		return 0, 0, err
	}
	if err := a.cfg.DB.DeleteSetting(ctx, bookingsJournalKey); err != nil {
		return 0, 0, err
	}
	n := 0
	for _, s := range times {
		n += len(s.Canceled)
		if s.Booking != nil {
			n++
		}
	}
	a.log.Info("bookings archived", "package", j.Name, "bookings", n)
	return n, size, nil
}

// bookingTimes are the times that started in [from, to) and have or had
// a booking.
func (a *Archiver) bookingTimes(ctx context.Context, from, to time.Time) ([]*booking.Slot, map[string]booking.TimeType, error) {
	all, err := a.cfg.Bookings.Slots(ctx, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("archive: bookings: %w", err)
	}
	times := slices.DeleteFunc(all, func(s *booking.Slot) bool { return !hasBooking(s) })
	if len(times) == 0 {
		return nil, nil, nil
	}
	types, err := a.cfg.Bookings.Types(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("archive: bookings: %w", err)
	}
	return times, types, nil
}

func (a *Archiver) bookingsUpTo(ctx context.Context) (time.Time, error) {
	b, err := a.cfg.DB.Setting(ctx, bookingsUpToKey)
	if errors.Is(err, store.ErrNoSetting) {
		return time.Unix(0, 0).UTC(), nil
	}
	if err != nil {
		return time.Time{}, err
	}
	var secs int64
	if err := json.Unmarshal(b, &secs); err != nil {
		return time.Time{}, fmt.Errorf("archive: bookings exported up to: %w", err)
	}
	return time.Unix(secs, 0).UTC(), nil
}

func (a *Archiver) saveBookingsUpTo(ctx context.Context, t time.Time) error {
	b, _ := json.Marshal(t.Unix())
	return a.cfg.DB.PutSetting(ctx, bookingsUpToKey, b)
}

func (a *Archiver) loadBookingsJournal(ctx context.Context) (bookingsJournal, bool, error) {
	var j bookingsJournal
	b, err := a.cfg.DB.Setting(ctx, bookingsJournalKey)
	if errors.Is(err, store.ErrNoSetting) {
		return j, false, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		return j, false, fmt.Errorf("archive: the bookings' journal: %w", err)
	}
	j.From, j.To = time.Unix(j.FromUnix, 0).UTC(), time.Unix(j.ToUnix, 0).UTC()
	return j, true, nil
}

func (a *Archiver) saveBookingsJournal(ctx context.Context, j bookingsJournal) error {
	j.FromUnix, j.ToUnix = j.From.Unix(), j.To.Unix()
	b, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return a.cfg.DB.PutSetting(ctx, bookingsJournalKey, b)
}
