// Package backlogtest makes the realistic backlog the sync benchmarks
// measure, written once for all of them: the i-th case as patients write
// it (Submission: one of three default forms with its fields answered,
// about 2 KiB of Swedish text with å, ä, ö and line breaks, from one of
// Patients distinct synthetic patients), Submit to put the first n of them
// to a central store a thousand per call, and the reference every backlog
// figure stands beside: the same events written durably into a plain
// bbolt file, one commit per inbox page (PlainWrite). For the memory
// bound, the cases at the wire's largest (MaxSubmission, MaxForm,
// SubmitMax).
//
// It is for benchmarks and tests only (sync/uplink's BenchmarkSync and
// BenchmarkBurstRSS, cmd/clinicgw's BenchmarkRunBacklog); the personnummer are synthetic.
package backlogtest
