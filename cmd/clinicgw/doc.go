// Command clinicgw is the care-unit gateway of the patient ↔ clinic secure
// messaging service: one binary that sets up a gateway (init), runs it in
// the foreground or as a systemd or Windows service (run, install, start,
// stop, status, uninstall; reload, the unit's ExecReload), looks after
// its encrypted store (keys, audit verify, store check, backup, restore),
// reports on the
// unit's cases (stats) and runs a seeded
// demonstration clinic (demo).
//
// Usage:
//
//	clinicgw <command> [flags]
//
// Run `clinicgw help` for the commands and `clinicgw <command> --help` for
// a command's flags. Exit status: 0 success, 1 failure, 2 usage error.
package main
