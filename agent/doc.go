// Package agent is the clinicgw service itself: its configuration file,
// the wiring of the domain packages below it (store, cases, audit) and,
// later, the service lifecycle that cmd/clinicgw hands to the operating
// system's service manager.
//
// The configuration is a TOML file, decoded strictly: an unknown or
// misspelt key is an error that names the file, line and key, and every
// value is checked by Config.Validate before anything is opened.
package agent
