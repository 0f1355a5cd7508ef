package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/workday"
)

func statsFlags(fs *flag.FlagSet) func(context.Context, *env) error {
	from := fs.String("from", "", "`DATE` is the first day of the period, YYYY-MM-DD, Stockholm time (default: the first case)")
	to := fs.String("to", "", "`DATE` is the last day of the period, included, YYYY-MM-DD (default: no end)")
	recount := fs.Bool("recount", false, "count the statistics afresh from every case and booking and compare with the aggregates the store keeps; exit 1 if they differ")
	rebuild := fs.Bool("rebuild", false, "with the service stopped: discard the statistics' aggregates and count them again from every case (resumable: a stopped count goes on at the next start)")
	var fromT, toT time.Time
	run := storeCommand(fs, func(ctx context.Context, e *env, cfg *agent.Config, db *store.DB) error {
		switch {
		case *recount:
			return statsRecount(ctx, e, withDiaryRecount(db)) // statsdiary.go
		case *rebuild:
			p := &checkProgress{w: e.stderr}
			if err := db.RebuildStats(ctx, func(done, total int) { p.report("statistics", done, total) }); err != nil {
				return err
			}
			if err := rebuildDiaryStats(ctx, db); err != nil { // statsdiary.go
				return err
			}
			fmt.Fprintln(e.stdout, "statistics' aggregates counted again from every case and booking")
			return nil
		}
		svc, err := cases.NewService(cases.ServiceConfig{
			Unit: cfg.Unit.HSAID, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: e.log,
		})
		if err != nil {
			return err
		}
		st, err := svc.Stats(ctx, consoleAdmin(cfg.Unit.HSAID), fromT, toT)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s (%s)\n", cfg.Unit.Name, cfg.Unit.HSAID)
		return printStats(e.stdout, st)
	})
	return func(ctx context.Context, e *env) error {
		var err error
		if fromT, toT, err = parsePeriod(*from, *to); err != nil { // a usage error before any file is read
			return err
		}
		if *recount && *rebuild {
			return usagef("--recount and --rebuild: one at a time")
		}
		if (*recount || *rebuild) && (*from != "" || *to != "") {
			return usagef("--recount and --rebuild take no period: they cover every case")
		}
		return run(ctx, e)
	}
}

// recounter is the store as statsRecount uses it.
type recounter interface {
	RecountStats(ctx context.Context) ([]string, error)
}

// statsRecount compares the store's statistics' aggregates with a full
// recount: exit 0 when equal, 1 with what differs.
func statsRecount(ctx context.Context, e *env, db recounter) error {
	diffs, err := db.RecountStats(ctx)
	if err != nil {
		return err
	}
	if len(diffs) == 0 {
		fmt.Fprintln(e.stdout, "statistics' aggregates equal a full recount of the cases and the booking diary")
		return nil
	}
	fmt.Fprintln(e.stdout, "statistics' aggregates differ from a full recount of the cases and the booking diary:")
	for _, d := range diffs {
		fmt.Fprintln(e.stdout, "  "+d)
	}
	return fmt.Errorf("the statistics' aggregates differ from a recount in %d places (the statistics shown may be off): with the service stopped, count them again with clinicgw stats --rebuild --config FILE", len(diffs))
}

// consoleAdmin is who the command line reads statistics as: the unit's
// administrator at the server's console, named by the unit's own HSA-ID
// (statistics carry no patient data and write no access-log entry).
func consoleAdmin(unit string) cases.Actor {
	return cases.Actor{Kind: cases.Staff, HSAID: unit, Roles: []cases.Role{cases.UnitAdmin}}
}

// parsePeriod turns --from and --to dates into the half-open period
// [from, to) in Stockholm time; --to names the last day included.
func parsePeriod(from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if from != "" {
		if f, err = time.ParseInLocation(time.DateOnly, from, workday.Stockholm()); err != nil {
			return f, t, usagef("--from %q: expected a date like 2025-01-31", from)
		}
	}
	if to != "" {
		if t, err = time.ParseInLocation(time.DateOnly, to, workday.Stockholm()); err != nil {
			return f, t, usagef("--to %q: expected a date like 2025-01-31", to)
		}
		t = t.AddDate(0, 0, 1)
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, usagef("--from %s is after --to %s", from, to)
	}
	return f, t, nil
}

// printStats writes st as a few small tables.
func printStats(w io.Writer, st cases.Stats) error {
	loc := workday.Stockholm()
	day := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
	period := "all cases"
	switch {
	case !st.From.IsZero() && !st.To.IsZero():
		period = "cases received " + day(st.From) + " to " + day(st.To.Add(-time.Nanosecond))
	case !st.From.IsZero():
		period = "cases received from " + day(st.From)
	case !st.To.IsZero():
		period = "cases received up to " + day(st.To.Add(-time.Nanosecond))
	}
	fmt.Fprintf(w, "Statistics, %s; open and overdue as of %s\n\n", period, st.Now.In(loc).Format("2006-01-02 15:04"))

	var t table
	t.row("received", strconv.Itoa(st.Received))
	t.row("unanswered", strconv.Itoa(st.Unanswered))
	t.row("overdue", strconv.Itoa(st.Overdue))
	t.row("answered in the period", strconv.Itoa(st.Answered))
	t.row("handling time, median", duration(st.Handling.Median, st.Handling.Count))
	t.row("handling time, p90", duration(st.Handling.P90, st.Handling.Count))
	t.row("handling time, mean", duration(st.Handling.Mean, st.Handling.Count))
	t.print(w)
	fmt.Fprintln(w, "(counts and mean exact; median and p90 from a histogram, rounded down by under a minute, above 4 h 15 min by under 0.8 %)")

	t = table{}
	t.row("case type", "received", "answered", "median", "p90")
	types := slices.Clone(casetype.All)
	// Types a newer form set may carry that this binary does not list.
	var other []casetype.Type
	for typ := range st.ByType {
		if !slices.Contains(types, typ) {
			other = append(other, typ)
		}
	}
	slices.Sort(other)
	for _, typ := range append(types, other...) {
		h := st.HandlingByType[typ]
		t.row(string(typ), strconv.Itoa(st.ByType[typ]), strconv.Itoa(h.Count), duration(h.Median, h.Count), duration(h.P90, h.Count))
	}
	fmt.Fprintln(w)
	t.print(w)

	if len(st.ByGroup) > 0 {
		t = table{}
		t.row("group", "received", "unanswered", "overdue", "answered", "median", "p90")
		for _, g := range slices.Sorted(maps.Keys(st.ByGroup)) {
			gs, name := st.ByGroup[g], string(g)
			if g == "" {
				name = "(inkorgen)" // the message administrator's own inbox
			}
			h := gs.Handling
			t.row(name, strconv.Itoa(gs.Received), strconv.Itoa(gs.Unanswered), strconv.Itoa(gs.Overdue),
				strconv.Itoa(gs.Answered), duration(h.Median, h.Count), duration(h.P90, h.Count))
		}
		fmt.Fprintln(w)
		t.print(w)
	}

	t = table{}
	t.row("status", "cases")
	for _, s := range []cases.Status{cases.Received, cases.Assigned, cases.PartiallyAnswered,
		cases.WaitingForPatient, cases.Answered, cases.Closed, cases.Withdrawn} {
		t.row(string(s), strconv.Itoa(st.ByStatus[s]))
	}
	fmt.Fprintln(w)
	t.print(w)

	if len(st.Weeks) > 0 {
		t = table{}
		t.row("week", "received", "answered")
		for _, wk := range st.Weeks {
			t.row(fmt.Sprintf("%d-W%02d", wk.Year, wk.Week), strconv.Itoa(wk.Received), strconv.Itoa(wk.Answered))
		}
		fmt.Fprintln(w)
		t.print(w)
	}
	return nil
}

// table lays out rows in columns: the first (or the first left) to the
// left, the others, numbers and durations, to the right.
type table struct {
	left int // columns aligned left; 0 means 1
	rows [][]string
}

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(w io.Writer) {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i < max(t.left, 1) {
				b.WriteString("  " + c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// duration writes d as days, hours and minutes; "-" when nothing was
// measured.
func duration(d time.Duration, count int) string {
	if count == 0 {
		return "-"
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	hours := d / time.Hour
	mins := (d - hours*time.Hour) / time.Minute
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, mins)
	default:
		return fmt.Sprintf("%dm", mins)
	}
}
