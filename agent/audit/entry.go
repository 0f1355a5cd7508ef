package audit

import "time"

// Outcome says whether the logged operation was carried out.
type Outcome string

// The outcomes.
const (
	Allowed Outcome = "ok"
	Denied  Outcome = "denied"
)

// Entry is one access to patient data.
type Entry struct {
	Time    time.Time // when, UTC, nanosecond precision is kept
	Actor   string    // staff HSA-ID, "patient" or "system"
	Unit    string    // care unit HSA-ID
	Action  string    // what was done (cases.Action values)
	CaseID  string    // the case, empty for a list or a log read
	Patient string    // the patient's personnummer (12 digits), empty when none
	Outcome Outcome
}

// Hash is a SHA-256 digest in the chain.
type Hash [32]byte

// Head is the position and hash of the newest record: what a verifier
// compares the end of the log against, and what a checkpoint records.
type Head struct {
	Seq  uint64 // sequence number of the newest record; 0 for an empty log
	Hash Hash   // its hash; Genesis(unit) for an empty log
}

// Record is an Entry in its place in the chain.
type Record struct {
	Seq   uint64 // 1, 2, 3, … with no gaps
	Entry Entry
	Prev  Hash // the previous record's Hash (Genesis for Seq 1)
	Hash  Hash // SHA-256 over Seq, Prev and the entry's canonical encoding
}
