// Package store is the care unit's encrypted local store: cases, their
// indexes and the access log in one bbolt file, every value sealed with
// AES-256-GCM.
//
// Each sealed value carries a format byte, the key-ring term that sealed it
// and a random 96-bit nonce; its additional data is the bucket and key it is
// stored under, so a value flipped or moved to another key fails to open.
// The key ring's data keys are wrapped by a key-encryption key (KEK) that
// never touches the file: a key file today, a PKCS#11 token later. Rotating
// adds a term; old terms keep reading, new writes use the newest.
//
// Patients are found through a keyed HMAC of the personnummer, never the
// number itself. Every write returns only after bbolt has committed it to
// disk (NoSync is never set), so an acknowledged case survives a crash.
// A power cut too: bbolt never syncs the file's folder, so Open syncs it,
// or a store file just created would vanish with everything acknowledged
// in it (TestPowerCutLosesNoAcknowledgedCase, on agent/powercut's disk,
// with a NoSync control that must lose cases).
//
// A damaged file never makes the process panic. Open checks an existing
// file's structure from its raw bytes (package boltfile) before bbolt maps
// it, and that every sealed value opens before anything is written; a
// damaged, empty or foreign file is a *DamagedError naming it, and is left
// as it was. While the store is open, every bbolt transaction runs with
// bbolt's panics and faults on the mapped file recovered into a
// *DamagedError (damage.go): the store is then marked damaged (Damaged,
// for the health check) and refuses writes. Check (store check) is the
// whole verification without a change to the file.
package store
