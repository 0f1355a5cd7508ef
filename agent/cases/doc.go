// Package cases is the care unit's domain: cases, messages, statuses, the
// workflow's transitions and who may make them, due dates in working days,
// statistics, and validation of personnummer and samordningsnummer.
//
// The package holds no storage: Service works through the Store interface,
// which agent/store implements on an encrypted bbolt file. Every read and
// write of a case through Service writes one access-log entry in the same
// transaction as the change.
package cases
