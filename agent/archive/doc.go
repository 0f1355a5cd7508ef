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
// form answers are read by the form of the service version the case was
// written on (Config.Catalog; else the unit's current form, Config.Forms). manifest.json lists every file with its SHA-256; manifest.sig is the
// gateway's detached signature over it, signer.pem its certificate.
//
// A package streams (Writer, Verify): a case's files go into the tar as
// they are made and Verify checks a tar as it reads it (each file's
// content hashed once; the tar around the files — headers, padding, end —
// compared, segment by segment, with what Writer writes there), so memory
// holds one case's files, not the package; the cases and their
// access-log records are read a chunk of about 4 MiB at a time
// (membound.go), not a whole batch. Files are compact JSON. Package
// format 2 (Format) has the time in whole seconds and one USTAR block per
// tar header; format 1 had the clock's fraction of a second and so a PAX
// header per file, 1 KiB more each, and still verifies.
//
// Measured (BenchmarkExport, 100,000 cases of 2 KiB, on a loaded 2-vCPU
// machine, so also in CPU seconds of the process beside reading the same
// cases): first the tar stopped being built in memory, the JSON stopped
// being indented and each case stopped being decoded a fourth time; then
// the export's CPU went from 37–39 s to 19–22 s (0.07 to 0.13–0.14 of the
// read's; wall time 0.02–0.09 to 0.07–0.14 in three pairs of runs) when the FHIR bundle and METS.xml were written by hand instead of by
// reflection (tests and fuzz targets prove them byte for byte what
// encoding/json and encoding/xml wrote), a run stopped reading every case
// once more to choose a batch before writing it, Verify stopped hashing
// the whole file twice, and the commit that noted the verified file's
// hash went. Then the purge stopped decoding each case again: the read
// that exported it notes what the purge needs (store.Seen: the case's
// index values, its statistics tally and the stamp of its sealed record)
// and the purge removes a case by that while its record is still the one
// read; case.json is written by the store's own case encoder and
// access-log.json by hand, not by reflection (both proved byte for byte
// what encoding/json wrote); the journal entry goes in the purge's
// commit (two commits per package, not three). The export's CPU went
// from 20.2–20.8 s to 15.3 s (0.13–0.14 to 0.18 of the read's; in steps,
// 20.5 and 17.4 s; load 20–26). Then the tar's headers were written by
// hand (ustar.go; archive/tar's Writer checked every field for every
// format, and Verify made each header again to compare), Verify read
// them by hand (archive/tar's Reader for anything but a package of
// Format's USTAR headers, which verifies alike) and manifest.json was
// written by hand, as MarshalIndent wrote it: the export's CPU at 30,000
// cases went from 5.0–5.6 s to 4.0–4.7 s in three pairs of runs at load
// 24–35 (0.14–0.19 to 0.17–0.24 of the read's). What remains per case:
// decoded once, hashed twice (written, verified), the purge's write, and
// 16 KB of package (the text in case.json and in the FHIR bundle, and
// four AuditEvents). The package is not compressed: gzip at its fastest
// level (compress/flate BestSpeed) took a package of 500 such cases from
// 8.0 MB to 0.72 MB (the benchmark's text repeats; real text shrinks
// less) for 20 ms of CPU to write and 9.5 ms to read back, about 60 µs
// a case against the export's 150 µs, while writing and reading back
// 16 KB costs the kernel some 10 µs; the files' hashes are of their
// contents, so the hashing stays. A compressed package would also be a
// new format for the region's archive to accept. A package is made
// while the one before it is read back, verified and purged, in a
// goroutine, so the two share the machine's cores and disk waits.
//
// Run writes each package to a temporary file, syncs it, renames it into
// the archive folder, reads it back and verifies it, and only then purges
// its cases in one store transaction, with the package's journal entry.
// A case written after the export read it (a patient's reply reopening an
// answered case) is not purged: it stays, with its change, and is
// exported again once old enough. The journal keeps each case's version
// as the batch was chosen, so a run going on after a kill purges a case
// only while it still has that version. A journal in the store makes every
// step resumable: killed at any point, the next run finishes the package
// it was making — never exporting a case twice, never purging one without
// a verified package. After a purge the key term that sealed the removed
// cases is retired (rotate, reseal, retire), so their ciphertext left in
// free pages can never be opened.
//
// The booking diary's times with bookings render as FHIR R4 too
// (fhirbooking.go: BookingsFHIR, a Schedule per clinician, a Slot per
// time, an Appointment per booking); with Config.Bookings each Run ends by
// putting the bookings of the times that started since the last export
// and more than Age ago in a package of their own (bookingsrun.go:
// bookings/fhir.json, no case; journalled and resumable like the cases'
// packages; the diary keeps its times).
package archive
