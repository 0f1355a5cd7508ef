package store

import (
	"errors"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
)

// AppendAudit appends an entry to the access log in the diary's write
// transaction: a change of the diary and its access-log entry commit
// together or not at all (agent/booking's WithAccessLog).
func (t *DiaryTx) AppendAudit(e audit.Entry) error {
	if t.full == nil {
		return errors.New("diary: the access log is written only in a write transaction")
	}
	return t.full.AppendAudit(e)
}

// CaseTx is the store's case transaction beside the diary's in a write
// (DiaryUpdate): a change of a case made in it commits with the diary's
// change or not at all (booking a time from a request case). An error in
// a read.
func (t *DiaryTx) CaseTx() (cases.Tx, error) {
	if t.full == nil {
		return nil, errors.New("diary: cases are written only in a write transaction")
	}
	return t.full, nil
}
