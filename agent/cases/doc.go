// Package cases is the care unit's domain: cases, messages, statuses, the
// workflow's transitions and who may make them, due dates in working days,
// statistics. Personnummer (sync/wire/personnummer), HSA-IDs
// (sync/wire/hsaid) and the working-day calendar (sync/wire/workday) are
// the shared leaves it checks and counts with.
//
// A case is due two working days (Swedish public holidays honoured) after
// the day the patient sent it — or within its service's answer rule, which
// the case keeps from the unit's catalogue when it arrives with the
// service's version the patient wrote on (Submission.FormVersion, else
// the current one; ServiceConfig.Services, Case.AnswerDays,
// Case.ServiceVersion); a case's type is any service id (casetype.Valid),
// built in or made by the unit: the central store's time of record, not the
// time it arrived at this gateway, which a case keeps beside it for the
// access log and the statistics (Case.SentAt, Case.ReceivedAt, DueFrom). A
// patient's reply that reopens a case renews the due date from its own
// time of record.
//
// A central event is judged by its time of record too: a date of birth
// after it (plus wire.ClockSkewTolerance) is refused, never one after this
// gateway's clock. What the central store accepted against a version's
// rule (a limit this version draws tighter) is stored flagged
// (Case.Relaxed); what cannot apply at all is kept, sealed, in the
// quarantine, in the transaction that moves the sync cursor past it, and
// reported until region IT retries or releases it (quarantine.go). A
// sealed event sealed to a retired key that names what is here already is
// a duplicate instead (sealdup.go).
//
// The sync journal (continuity.go) keeps each applied central event for a
// reconciliation; a plain new case or follow-up whose content the case
// record holds exactly is kept without it, with the hash of the event as
// sent, and rebuilt from the case record when it is given back
// (journalslim.go); a sealed event keeps its envelope as raw bytes,
// encoded again when it is given back (journalsealed.go). A chained
// page's journal records are made beside its transaction, and hand a
// new case's texts as its event holds them encoded to the store, which
// copies them into the case's record (WireTexts, journaltexts.go).
//
// The package holds no storage: Service works through the Store interface,
// which agent/store implements on an encrypted bbolt file. Statistics are
// read from a store's aggregates of what each case adds to them
// (StatsTally, StatsStore) when it keeps them (statsagg.go); handling
// times are counted in a histogram (statshist.go), so Median and P90 are
// rounded down by less than a minute, or above 4 h 15 min by less than
// 0.8 %, while counts and Mean are exact. Every read and
// write of a case through Service writes one access-log entry in the same
// transaction as the change. DoWithin (within.go) runs a command in a
// transaction its caller owns, so a change elsewhere in the store (a
// booking in the diary) commits with it or not at all.
//
// The distributor's inbox (inbox.go) lists its open cases earliest due
// first across pages, counts its views from the store's aggregates
// (inboxagg.go, InboxStore) or else the indexes alone (InboxCounts: no
// case decoded, no access-log entry) and finds a patient's cases through
// the patient index (SearchPatient), writing the search and each case
// found to the access log.
//
// Every read for a member of staff (Get, List, Queue, SearchPatient, the
// access-log extracts) reads in a read transaction and then commits only
// its access-log entries, through the store's group commit (readlog.go),
// returning what it read once they are durable.
//
// A unit's staff groups have queues (groups.go): a case routed to a group
// (ServiceConfig.RouteFor, on arrival; Route, by the distributor) waits
// unassigned in its queue, which the group's clinicians read (CanRead) and
// take from (Take); a clinician reads their own cases and their groups'
// queues, nothing else. Who is in which group the service asks its
// GroupSource on every call; the statistics count per group too
// (statsgroup.go).
//
// The unit's own systems (an Integration actor, through agent/fhirapi)
// write through systemwrite.go: a message to a patient on a case by the
// workflow's rows for them (any open case, assigned or not) or starting
// a case, once per the system's own identifier (ClientWrite, kept by the
// store, so across restarts, for ClientWriteRetention: the prune of
// continuity.go drops it after), refused for a patient with no case at the
// unit unless the system may start one; and a case closed with the
// system's reference (Case.Refs). They go through the same transaction,
// outbox and access log as staff's.
//
// A refusal (ValidationError, TransitionError) says in English what was
// wrong for the log and, through Swedish, in staff's words from the one
// catalogue (sync/i18n's cases.*).
package cases
