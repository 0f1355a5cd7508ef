// Package metrics is the gateway's operational view for region IT: the
// Prometheus collectors behind /metrics, the health checks behind /healthz
// and /readyz, and the admin listener's HTTP handler that serves them (and
// /backup, with the /metrics token, from a handler the agent gives it).
//
// Every figure is gathered when it is scraped, through small interfaces
// declared here (StoreSource, SyncSource, NoticeSource, LoginSource,
// ArchiveSource) that the agent implements over its parts: there are no
// background loops. The case counts come from the store's indexes, not
// from opening cases.
//
// Nothing here carries patient data: labels are fixed enumerations (case
// statuses, login steps, quarantine reasons, restore-recovery states, outbound sealing states, the static "part" of a log record) or the central store's sealing key id (a hash of a public key), values are counts, sizes, times and sequence numbers. A
// personnummer, a name or a message's text has no path into a metric.
package metrics
