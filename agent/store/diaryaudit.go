package store

import (
	"errors"

	"clinicgw/agent/audit"
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
