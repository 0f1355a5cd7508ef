// Package agent is the clinicgw service itself: its configuration file,
// the wiring of the domain packages below it (store, cases, audit) and,
// later, the service lifecycle that cmd/clinicgw hands to the operating
// system's service manager.
//
// The configuration, a TOML file, is package agent/config; agent applies
// it, and on a reload each part verifies and commits its own section
// (reload_sections.go).
package agent
