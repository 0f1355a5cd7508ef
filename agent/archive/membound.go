package archive

import (
	"clinicgw/agent/cases"
)

// An export holds the cases it writes, and their access-log records, a
// chunk at a time: as many of the package's cases as add up to about
// exportBytes (caseBytes), one case at least, read in one transaction and
// written before the next chunk is read. A package of DefaultBatch cases
// of the largest size would otherwise be held whole, with every record
// about them, before its first byte was written.
const exportBytes = 4 << 20

// caseBytes is about the memory a decoded case takes: its text, answers,
// names and messages, and a fixed allowance for the rest and for each
// event of its history.
func caseBytes(c *cases.Case) int {
	n := 512 + len(c.Patient.Name) + len(c.Subject) + 128*len(c.History)
	if g := c.Guardian; g != nil {
		n += len(g.Name)
	}
	for _, f := range c.Fields {
		n += 64 + len(f.Name) + len(f.Label) + len(f.Value)
	}
	for _, m := range c.Messages {
		n += 128 + len(m.Text) + len(m.Signature) + len(m.AuthorTitle)
	}
	return n
}
