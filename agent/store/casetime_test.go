package store

import (
	"testing"
	"time"
)

// TestCaseTimesFormattedInPlace: a case record's times — UTC, or in a
// zone whose offset is whole minutes, years 0 to 9999 — are written by
// appendCase itself, not by time's general formatter (a case has five,
// on the sealing goroutine); TestEncodeCaseIsJSONMarshal and
// FuzzEncodeCase hold them to json.Marshal.
func TestCaseTimesFormattedInPlace(t *testing.T) {
	n := 0
	timeFormatted = func() { n++ }
	defer func() { timeFormatted = nil }()
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		here bool
	}{
		{t0, true}, {t0.Add(123456789), true}, {t0.In(stockholm), true}, {time.Date(2026, 7, 1, 8, 0, 0, 1, stockholm), true},
		{t0.In(time.FixedZone("", -(23*3600 + 59*60))), true},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), true}, {time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), true},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false}, {time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{t0.In(time.FixedZone("", 3600+30)), false}, {t0.In(time.FixedZone("", 24*3600)), false},
	} {
		n = 0
		cs := newCase(1, "text")
		cs.SentAt, cs.ReceivedAt, cs.DueAt, cs.Messages[0].At, cs.History[0].At = c.at, c.at, c.at, c.at, c.at
		appendCase(nil, cs)
		if c.here && n != 0 {
			t.Errorf("%v: %d of the case's 5 times formatted by time.Time.AppendFormat", c.at, n)
		}
		if !c.here && n != 5 {
			t.Errorf("%v: %d of the case's 5 times formatted by time.Time.AppendFormat; want 5", c.at, n)
		}
	}
}

// FuzzRFC3339Nano holds appendRFC3339Nano to time.Time.MarshalJSON, and
// to leaving to it every time it does not write.
func FuzzRFC3339Nano(f *testing.F) {
	f.Add(int64(0), int64(0), 0)
	f.Add(int64(-62167219200), int64(1), -60)
	f.Add(int64(253402300799), int64(999999999), 3600)
	f.Add(int64(253402300799), int64(0), 60)
	f.Add(int64(1764576000), int64(100), -(23*3600 + 59*60))
	f.Fuzz(func(t *testing.T, unix, nanos int64, offset int) {
		tm := time.Unix(unix, nanos).In(time.FixedZone("", offset))
		got, ok := appendRFC3339Nano([]byte("x"), tm)
		want, err := tm.MarshalJSON()
		_, off := tm.Zone()
		switch {
		case ok && (err != nil || string(got) != "x"+string(want)):
			t.Fatalf("%v: wrote %s; MarshalJSON writes %s (%v)", tm, got, want, err)
		case !ok && string(got) != "x":
			t.Fatalf("%v: not written, yet appended %q", tm, got)
		case !ok && err == nil && off%60 == 0 && off > -24*3600 && off < 24*3600:
			t.Fatalf("%v: not written; MarshalJSON writes %s", tm, want)
		}
	})
}
