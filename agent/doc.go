// Package agent is the clinicgw service itself: its configuration file,
// the wiring of the domain packages below it (store, cases, audit) and
// the service lifecycle that cmd/clinicgw hands to the operating system's
// service manager (New, Start, Stop, Wait).
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
