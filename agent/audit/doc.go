// Package audit is the access log required by HSLF-FS 2016:40 4 kap 9 §:
// who read or changed which patient's case, when, for which care unit.
//
// Entries are chained: each record carries the SHA-256 of its predecessor,
// so a flipped, deleted, reordered or truncated entry is found by Verify.
// The package is pure: agent/store keeps the records sealed in the same
// bbolt transaction as the case change they describe.
package audit
