package store

import "time"

// A case record holds five times or more, each written as
// time.Time.MarshalJSON writes it (RFC 3339 with nanoseconds, trailing
// zeros cut). time's formatter writes each number through a general
// routine; appendRFC3339Nano writes the usual ones itself, the same
// bytes (TestEncodeCaseIsJSONMarshal, FuzzEncodeCase).

// appendRFC3339Nano appends t quoted as MarshalJSON writes it and reports
// true, when t's year is 0 to 9999 and its zone's offset whole minutes
// under a day; else it appends nothing and reports false.
func appendRFC3339Nano(dst []byte, t time.Time) ([]byte, bool) {
	_, off := t.Zone()
	if off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return dst, false
	}
	secs := t.Unix() + int64(off)
	// From year 0 to 9999: -62167219200 is 0000-01-01T00:00:00 as Unix
	// seconds, 253402300800 is 10000-01-01.
	if secs < -62167219200 || secs >= 253402300800 {
		return dst, false
	}
	days, sod := floorDivMod(secs, 86400)
	y, m, d := civil(days)
	dst = append(dst, '"')
	dst = append4(dst, y)
	dst = append(dst, '-')
	dst = append2(dst, m)
	dst = append(dst, '-')
	dst = append2(dst, d)
	dst = append(dst, 'T')
	dst = append2(dst, int(sod/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(sod/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(sod%60))
	if ns := t.Nanosecond(); ns != 0 {
		var buf [10]byte
		buf[0] = '.'
		for i := 9; i >= 1; i-- {
			buf[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for buf[n-1] == '0' {
			n--
		}
		dst = append(dst, buf[:n]...)
	}
	switch {
	case off == 0:
		dst = append(dst, 'Z')
	default:
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		dst = append(dst, sign)
		dst = append2(dst, off/3600)
		dst = append(dst, ':')
		dst = append2(dst, off/60%60)
	}
	return append(dst, '"'), true
}

// floorDivMod returns a/b rounded down and the remainder, 0 to b-1.
func floorDivMod(a, b int64) (int64, int64) {
	q, r := a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// civil returns the proleptic Gregorian date days after 1970-01-01
// (Howard Hinnant's civil_from_days).
func civil(days int64) (y, m, d int) {
	z := days + 719468 // days after 0000-03-01
	era, doe := floorDivMod(z, 146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if mp >= 10 {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}

func append4(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}
