// Package archive exports answered and closed cases to the region's
// archive and removes them locally only once the export is proven.
//
// A package is one tar file of up to a batch of cases, laid out as an
// E-ARK SIP as far as it helps a receiving archive: METS.xml (the file
// section with every file's SHA-256) and, per case under
// representations/rep1/data/CASEID/, the case as JSON, a FHIR R4 Bundle
// (Task, QuestionnaireResponse, Communication per message, AuditEvent per
// access-log record) and the case's access-log records, which must outlive
// it. Codes stay as codes, with their Swedish names beside them
// (agent/labels, sync/wire/labels):
// form answers are read by the unit's form of the case's type (Config.Forms). manifest.json lists every file with its SHA-256; manifest.sig is the
// gateway's detached signature over it, signer.pem its certificate.
//
// A package streams (Writer, Verify): a case's files go into the tar as
// they are made and Verify checks a tar as it reads it (the tar around the
// files by hashing the canonical tar of what it read beside what it
// read), so memory holds one case's files, not the package; the cases
// and their access-log records are read a chunk of about 4 MiB at a time
// (membound.go), not a whole batch. Files are
// compact JSON. Measured (BenchmarkExport, 5000 cases of 2 KiB, one
// profile each on a loaded 2-vCPU machine): the run's CPU went from 3.3 s
// to 2.1 s and the package from 19.1 to 16.0 KB per case when the tar
// stopped being built in memory, the JSON stopped being indented and each
// case stopped being decoded a fourth time to see if it was still there.
// What remains per case: decoded three times (choosing what is old
// enough, writing, purging its index entries), the FHIR bundle (about a
// third of the CPU) and the read-back verification.
//
// Run writes each package to a temporary file, syncs it, renames it into
// the archive folder, reads it back and verifies it, and only then purges
// its cases in one store transaction. A journal in the store makes every
// step resumable: killed at any point, the next run finishes the package
// it was making — never exporting a case twice, never purging one without
// a verified package. After a purge the key term that sealed the removed
// cases is retired (rotate, reseal, retire), so their ciphertext left in
// free pages can never be opened.
package archive
