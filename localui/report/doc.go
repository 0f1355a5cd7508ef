// Package report renders a care unit's statistics (cases.Stats) for the
// unit administrator's statistics page: charts as inline SVG and the same
// numbers as a CSV download; for a unit that routes cases to staff
// groups' queues, the same per group too (GroupCharts, WriteCSVGroups).
//
// Charts are drawn on the server, so the page needs no script, and carry
// no inline style: colours and sizes are SVG presentation attributes
// (fill=, font-size=) and hooks for the stylesheet are class names, which
// the CSP (style-src 'self') allows. Each chart is an accessible image: an
// <svg role="img"> labelled by its <title> and described by a <desc> that
// states every number, and every bar has its number written beside it, so
// that colour never carries information alone. Bar colours have at least
// 3:1 contrast against white and text at least 4.5:1 (WCAG 2.1 AA). The
// SVG is built with html/template, so names cannot break out of their
// element or attribute.
//
// Output is deterministic: case types come in the order of the unit's
// services (Services; casetype.All without them) and
// statuses in workflow order, each followed by any unknown keys in sorted
// order, so that golden files and repeated downloads compare equal.
//
// Texts are in Swedish unless the language is "en", from the one
// catalogue (sync/i18n; names of case types and statuses from
// agent/labels). Stats hold counts and durations only, never anything
// about a patient, and nothing here adds any.
package report
