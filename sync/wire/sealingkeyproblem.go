package wire

import "net/http"

// SealingKeyUnknown is the 400 problem of a sealed payload that names a
// sealing key the server does not hold: one it retired after a rotation,
// or never its. The sender fetches the server's key again and seals the
// payload anew; nothing in it was applied.
func SealingKeyUnknown(detail string) *Problem {
	return problemOf(ProblemSealingKeyUnknown, "Sealing key unknown", http.StatusBadRequest, detail)
}
