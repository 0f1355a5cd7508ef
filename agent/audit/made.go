package audit

import "errors"

// Made is a record Next made (NextMade): its entry valid, its hash
// computed, so that it is encoded without either done a second time —
// the store encodes a record per case on a sync backlog. Only NextMade
// makes one; the zero Made is refused.
type Made struct{ r Record }

// NextMade is Next, returning the record as Made.
func NextMade(head Head, e Entry) (Made, Head, error) {
	r, h, err := Next(head, e)
	return Made{r}, h, err
}

// Record returns the record.
func (m Made) Record() Record { return m.r }

// AppendBinary appends the encoding of the record to b: what
// Record.AppendBinary appends, without checking again what Next checked
// and hashed. It refuses only the zero Made.
func (m Made) AppendBinary(b []byte) ([]byte, error) {
	if m.r.Seq == 0 {
		return b, errors.New("audit: encode record: not made by Next")
	}
	return appendRecord(b, m.r), nil
}
