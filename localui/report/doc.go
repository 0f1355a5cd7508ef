// Package report renders a care unit's statistics (agent/cases.Stats) for
// the unit administrator: server-side SVG charts, with no script and no
// inline style so that the UI's CSP holds, and a CSV download. Stats hold
// counts and durations only, never anything about a patient.
package report
