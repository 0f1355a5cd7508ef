// Package agent is the clinicgw gateway's wiring: its configuration file
// and hot reload, and New, Start, Stop and Wait, which build the gateway
// from its parts — the encrypted store (agent/store), the case service
// (agent/cases), the staff directory and the card login (agent/directory,
// cardauth), the uplink to the central store (sync/uplink), the web UI
// (localui), notices (agent/notify), the nightly archive (agent/archive)
// and the admin listener (agent/metrics) — and run them until cmd/clinicgw,
// which hands the process to the operating system's service manager, stops
// them. Only cmd and the demo wiring (agent/democlinic) import it; the
// direction of every import in the module is TestImportDirection's
// (layering_test.go).
//
// The configuration, a TOML file, is package agent/config; agent applies
// it, and on a reload each part verifies and commits its own section
// (reload_sections.go).
package agent
