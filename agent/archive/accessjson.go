package archive

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
)

// appendAccess appends access-log.json for rs to dst: exactly what
// json.Marshal writes for accessJSON(rs) (TestFHIRSameAsEncodingJSON and
// its fuzz target compare them), without reflection. A time json.Marshal
// refuses (a year outside 0–9999, a zone of 24 hours or more) goes to
// json.Marshal, which says why.
func appendAccess(dst []byte, rs []audit.Record) ([]byte, error) {
	w := jsonw{b: dst}
	w.open('[')
	for _, r := range rs {
		e := r.Entry
		if !marshalsTime(e.Time) {
			return json.Marshal(accessJSON(rs))
		}
		w.open('{')
		w.key("seq")
		w.b = strconv.AppendUint(w.b, r.Seq, 10)
		w.comma = true
		w.key("time")
		w.b = append(w.b, '"')
		w.b = e.Time.AppendFormat(w.b, time.RFC3339Nano)
		w.b = append(w.b, '"')
		w.comma = true
		w.field("actor", e.Actor)
		w.field("unit", e.Unit)
		w.field("action", e.Action)
		w.field("caseId", e.CaseID)
		w.opt("patient", e.Patient)
		w.field("outcome", string(e.Outcome))
		w.key("prev")
		w.b = appendHexString(w.b, r.Prev[:])
		w.comma = true
		w.key("hash")
		w.b = appendHexString(w.b, r.Hash[:])
		w.comma = true
		w.field("who", labels.Actor(e.Actor, "sv", nil))
		w.field("actionSv", labels.Action(cases.Action(e.Action), "sv"))
		w.field("outcomeSv", labels.Outcome(e.Outcome, "sv"))
		w.close('}')
	}
	w.close(']')
	return w.b, nil
}

// marshalsTime reports whether time.Time's MarshalJSON takes t, whose
// bytes are then its RFC 3339 form with the fraction it has.
func marshalsTime(t time.Time) bool {
	_, off := t.Zone()
	y := t.Year()
	return y >= 0 && y <= 9999 && off > -24*3600 && off < 24*3600
}

func appendHexString(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = hex.AppendEncode(dst, b)
	return append(dst, '"')
}
