package directory

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/workday"
)

const unit = "SE2321000016-E001"

// at is a moment in Swedish time, "2006-01-02 15:04".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, workday.Stockholm())
	if err != nil {
		panic(err)
	}
	return t
}

func TestAccess(t *testing.T) {
	d := sample(t)
	now := at("2026-05-04 10:00")
	for _, tc := range []struct {
		name string
		id   string
		unit string
		at   time.Time
		err  error
	}{
		{"open-ended commission", "SE2321000016-1001", unit, now, nil},
		{"last minute of the last day", "SE2321000016-1002", unit, at("2026-12-31 23:59"), nil},
		{"the day after the last day", "SE2321000016-1002", unit, at("2027-01-01 00:00"), ErrNoCommission},
		{"on leave keeps access", "SE2321000016-1002", unit, at("2026-07-15 09:00"), nil},
		{"first minute of the first day", "SE2321000016-1003", unit, at("2026-04-01 00:00"), nil},
		{"the last minute before the first day", "SE2321000016-1003", unit, at("2026-03-31 23:59"), ErrNoCommission},
		{"first day at UTC midnight is still the day before in Sweden", "SE2321000016-1003", unit, time.Date(2026, 3, 31, 21, 59, 0, 0, time.UTC), ErrNoCommission},
		{"last day is the 23-hour day of the DST change", "SE2321000016-1010", unit, at("2026-03-29 23:59"), nil},
		{"the day after the DST change", "SE2321000016-1010", unit, at("2026-03-30 00:00"), ErrNoCommission},
		{"both purposes", "SE2321000016-1005", unit, now, nil},
		{"Administration only", "SE2321000016-1008", unit, now, ErrNoCommission},
		{"another unit's commission", "SE2321000016-1006", unit, now, ErrNoCommission},
		{"asked for another unit", "SE2321000016-1001", "SE2321000016-E999", now, ErrNoCommission},
		{"the other unit's own person", "SE2321000016-1006", "SE2321000016-E999", now, nil},
		{"not in the directory", "SE2321000016-9999", unit, now, ErrUnknownPerson},
		{"empty HSA-ID", "", unit, now, ErrUnknownPerson},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := d.Access(tc.id, tc.unit, tc.at)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Access = %v, want %v", err, tc.err)
			}
			if err == nil && p.HSAID != tc.id {
				t.Errorf("Access returned %s", p.HSAID)
			}
		})
	}
}

func TestOnLeave(t *testing.T) {
	p, _ := sample(t).Lookup("SE2321000016-1002") // leave 2026-07-01 to 2026-07-31
	for _, tc := range []struct {
		at   string
		want bool
	}{
		{"2026-06-30 23:59", false},
		{"2026-07-01 00:00", true},
		{"2026-07-31 23:59", true},
		{"2026-08-01 00:00", false},
	} {
		if got := p.OnLeave(at(tc.at)); got != tc.want {
			t.Errorf("OnLeave(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}

// TestClinicians: the assign list has the clinicians with access, in
// Swedish order (Å before Ä, both after Z), people on leave marked.
func TestClinicians(t *testing.T) {
	d := sample(t)
	type row struct {
		id    string
		leave bool
	}
	var got []row
	for _, a := range d.Clinicians(unit, at("2026-05-04 10:00")) {
		got = append(got, row{a.Person.HSAID, a.OnLeave})
	}
	want := []row{
		{"SE2321000016-1001", false}, // Andersson
		{"SE2321000016-1002", false}, // Berg
		{"SE2321000016-1003", false}, // Carlsson
		{"SE2321000016-1007", false}, // Åström
		{"SE2321000016-1009", true},  // Älvdal, on leave
	} // not Fors (another unit), Zetterlund (Administration only), Öberg (ended), Dahl and Ek (not clinicians)
	if !slices.Equal(got, want) {
		t.Errorf("Clinicians = %v\nwant %v", got, want)
	}
	var all []string
	for _, p := range d.People() {
		all = append(all, p.Surname)
	}
	if wantAll := []string{"Andersson", "Berg", "Carlsson", "Dahl", "Ek", "Fors", "Zetterlund", "Åström", "Älvdal", "Öberg"}; !slices.Equal(all, wantAll) {
		t.Errorf("People by surname %v, want %v", all, wantAll)
	}
}

func TestSwedishOrder(t *testing.T) {
	names := []string{"öst", "Zorn", "Ärlig", "åberg", "Ekström", "Éclair", "Eklund", "Müller", "Myhr", "Mørk", "Mörk", "Ødegaard", "Ådahl"}
	slices.SortStableFunc(names, func(a, b string) int { return cmp(swedishKey(a), swedishKey(b)) })
	want := []string{"Éclair", "Eklund", "Ekström", "Myhr", "Müller", "Mørk", "Mörk", "Zorn", "åberg", "Ådahl", "Ärlig", "Ødegaard", "öst"}
	if !slices.Equal(names, want) {
		t.Errorf("sorted %v\nwant   %v", names, want)
	}
}

func cmp(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestRevoked: who must lose their sessions when the directory changes.
func TestRevoked(t *testing.T) {
	now := at("2026-05-04 10:00")
	old := sample(t)
	edit := func(id string, f func(p *Person)) func(*File) {
		return func(file *File) {
			for i := range file.People {
				if file.People[i].HSAID == id {
					f(&file.People[i])
				}
			}
		}
	}
	remove := func(id string) func(*File) {
		return func(file *File) {
			file.People = slices.DeleteFunc(file.People, func(p Person) bool { return p.HSAID == id })
		}
	}
	dayBefore := Date{Time: at("2026-05-03 00:00")}
	for _, tc := range []struct {
		name   string
		change func(*File)
		want   []string
	}{
		{"no change", func(*File) {}, nil},
		{"commission removed", edit("SE2321000016-1001", func(p *Person) { p.Commissions = nil }), []string{"SE2321000016-1001"}},
		{"commission ended yesterday", edit("SE2321000016-1001", func(p *Person) { p.Commissions[0].ValidTo = &dayBefore }), []string{"SE2321000016-1001"}},
		{"purpose changed", edit("SE2321000016-1001", func(p *Person) { p.Commissions[0].Purpose = "Administration" }), []string{"SE2321000016-1001"}},
		{"moved to another unit", edit("SE2321000016-1001", func(p *Person) { p.Commissions[0].Unit = "SE2321000016-E999" }), []string{"SE2321000016-1001"}},
		{"one of two commissions removed, the one that gives access", edit("SE2321000016-1005", func(p *Person) { p.Commissions = p.Commissions[:1] }), []string{"SE2321000016-1005"}},
		{"one of two commissions removed, the other", edit("SE2321000016-1005", func(p *Person) { p.Commissions = p.Commissions[1:] }), nil},
		{"person removed", remove("SE2321000016-1004"), []string{"SE2321000016-1004"}},
		{"role lost", edit("SE2321000016-1005", func(p *Person) { p.Roles = []cases.Role{cases.UnitAdmin} }), []string{"SE2321000016-1005"}},
		{"role swapped", edit("SE2321000016-1004", func(p *Person) { p.Roles = []cases.Role{cases.Clinician} }), []string{"SE2321000016-1004"}},
		{"role gained", edit("SE2321000016-1001", func(p *Person) { p.Roles = append(p.Roles, cases.Distributor) }), nil},
		{"title changed", edit("SE2321000016-1001", func(p *Person) { p.Title = "Specialistsjuksköterska" }), nil},
		{"leave added", edit("SE2321000016-1001", func(p *Person) { p.Leave = []Period{{From: dayBefore, To: dayBefore}} }), nil},
		{"person without access removed", remove("SE2321000016-1006"), nil},
		{"person whose commission ended removed", remove("SE2321000016-1010"), nil},
		{"person added", func(f *File) {
			p := f.People[0]
			p.HSAID = "SE2321000016-1099"
			f.People = append(f.People, p)
		}, nil},
		{"several at once", func(f *File) {
			remove("SE2321000016-1002")(f)
			edit("SE2321000016-1007", func(p *Person) { p.Commissions[0].ValidFrom = Date{Time: at("2026-06-01 00:00")} })(f)
		}, []string{"SE2321000016-1002", "SE2321000016-1007"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile(t)
			tc.change(&f)
			new, err := Parse(bytes.NewReader(marshal(t, f)))
			if err != nil {
				t.Fatal(err)
			}
			if got := Revoked(old, new, unit, now); !slices.Equal(got, tc.want) {
				t.Errorf("Revoked = %v, want %v", got, tc.want)
			}
		})
	}
	if got := Revoked(nil, old, unit, now); got != nil {
		t.Errorf("Revoked from nothing = %v", got)
	}
	want := []string{"SE2321000016-1001", "SE2321000016-1002", "SE2321000016-1003", "SE2321000016-1004", "SE2321000016-1005", "SE2321000016-1007", "SE2321000016-1009"}
	if got := Revoked(old, nil, unit, now); !slices.Equal(got, want) {
		t.Errorf("Revoked to nothing = %v, want %v", got, want)
	}
}

// BenchmarkAccess: the check every request makes, in a directory of 5,000.
func BenchmarkAccess(b *testing.B) {
	d, err := Parse(bytes.NewReader(fileOf(5000)))
	if err != nil {
		b.Fatal(err)
	}
	now := at("2026-05-04 10:00")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Access("SE2321000016-P04999", unit, now); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPurposeNFD: "Vård och behandling" with å written as a and a
// combining ring (Unicode NFD) is the same purpose; other spellings are not.
func TestPurposeNFD(t *testing.T) {
	for _, tc := range []struct {
		purpose string
		err     error
	}{
		{"Va\u030ard och behandling", nil},
		{"vård och behandling", ErrNoCommission},
		{"Vård och behandling ", ErrNoCommission},
		{"Vard och behandling", ErrNoCommission},
	} {
		f := sampleFile(t)
		f.People[0].Commissions[0].Purpose = tc.purpose
		d, err := Parse(bytes.NewReader(marshal(t, f)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Access("SE2321000016-1001", unit, now); !errors.Is(err, tc.err) {
			t.Errorf("purpose %q: Access = %v, want %v", tc.purpose, err, tc.err)
		}
	}
}

// TestLeaveAt: whether a person is on leave at a moment, and the last day
// of that leave (adjoining and overlapping periods run on), in Swedish
// days: the rule behind the warning before a case is given to someone on
// leave.
func TestLeaveAt(t *testing.T) {
	day := func(s string) Date {
		d, err := time.ParseInLocation(time.DateOnly, s, workday.Stockholm())
		if err != nil {
			panic(err)
		}
		return Date{Time: d}
	}
	p := Person{Leave: []Period{
		{From: day("2026-07-01"), To: day("2026-07-10")},
		{From: day("2026-07-11"), To: day("2026-07-20")}, // adjoins: one leave to the 20th
		{From: day("2026-07-15"), To: day("2026-07-25")}, // overlaps: on to the 25th
		{From: day("2026-08-10"), To: day("2026-08-10")}, // one day
		{From: day("2026-10-20"), To: day("2026-10-25")}, // over the change to winter time (25 Oct)
	}}
	for _, tc := range []struct {
		name  string
		at    string
		leave bool
		until string
	}{
		{"before any leave: starts later", "2026-06-30 23:59", false, ""},
		{"first minute of the first day", "2026-07-01 00:00", true, "2026-07-25"},
		{"on leave now", "2026-07-05 12:00", true, "2026-07-25"},
		{"in the adjoining period", "2026-07-12 08:00", true, "2026-07-25"},
		{"last minute of the last day", "2026-07-25 23:59", true, "2026-07-25"},
		{"ended", "2026-07-26 00:00", false, ""},
		{"between leaves: the next starts later", "2026-08-09 23:59", false, ""},
		{"a one-day leave", "2026-08-10 13:00", true, "2026-08-10"},
		{"after a one-day leave", "2026-08-11 00:00", false, ""},
		{"the last hour of a 25-hour day", "2026-10-25 23:30", true, "2026-10-25"},
		{"the day after the change", "2026-10-26 00:00", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			until, leave := p.LeaveAt(at(tc.at))
			if leave != tc.leave || leave && until.String() != tc.until {
				t.Errorf("LeaveAt(%s) = %s, %v; want %s, %v", tc.at, until, leave, tc.until, tc.leave)
			}
			if p.OnLeave(at(tc.at)) != tc.leave {
				t.Errorf("OnLeave(%s) = %v, want %v", tc.at, !tc.leave, tc.leave)
			}
		})
	}
	for _, a := range sample(t).Clinicians(unit, at("2026-05-04 10:00")) {
		if a.OnLeave != !a.LeaveUntil.IsZero() || a.OnLeave && a.LeaveUntil.String() != "2026-05-10" {
			t.Errorf("Clinicians: %s on leave %v until %s", a.Person.HSAID, a.OnLeave, a.LeaveUntil)
		}
	}
}
