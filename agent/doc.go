// Package agent is the clinicgw gateway's wiring: New, Start, Stop and
// Wait build the gateway from its parts — the encrypted store
// (agent/store), the case service (agent/cases), the staff directory and
// the card login (agent/directory, cardauth), the uplink to the central
// store (sync/uplink), the web UI (localui), notices (agent/notify), the
// nightly archive (agent/archive), the nightly backup and whole check of
// the access log (backup.go, auditcheck.go), the booking diary, its
// nightly generation and its changes published to the central store and
// the open diary pages at once (diary.go, agent/booking) and the admin listener
// (agent/metrics) —
// and run them, a lifecycle cmd/clinicgw hands to the operating system's
// service manager. Only cmd and the demo wiring (agent/democlinic) import
// it; the direction of every import in the module is
// TestImportDirection's (layering_test.go).
//
// Every goroutine the gateway starts has an owner that waits for it:
// Start starts the parts (uplink, login, notices, archive and backup
// schedules, config watch) in one WaitGroup and serves the web UI and the
// admin listener through one helper that counts their handlers and the
// connections they took over (websockets). Stop, a part's failure and the
// end of Start's context all lead to the one shutdown (lifecycle.go), in
// one order: the listeners stop accepting and drain (requests under way
// finish, the UI's page websockets are closed with 1001 and the bridges'
// presence websockets too, every handler has returned; after 5 s the
// rest are cancelled, and still waited for), then the parts are cancelled
// and joined, then the store and the key's token close. A Start that fails
// half-way runs the same shutdown over what it had started. A test starts
// and stops the whole gateway under load and finds no goroutine left.
//
// The configuration, a TOML file, is package agent/config; agent applies
// it, and on a reload each part verifies and commits its own section
// (reload_sections.go).
package agent
