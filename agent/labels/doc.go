// Package labels is the home of the text staff read in place of the
// gateway's own codes: the statuses as staff read them, workflow and
// access-log actions, roles, actor and message kinds and access-log
// outcomes, in Swedish and English; Answers renders a stored case's form
// answers. The names of the sync protocol's codes — case types, the
// statuses and message kinds as patients read them, form field kinds —
// and the rendering of answers are sync/wire/labels', shared with the
// reference central store; Known answers for both, so one test checks
// every code.
//
// The staff UI (localui) and the archive package with its FHIR export
// (agent/archive) render through it. A code without a name is shown marked
// (sync/wire/wirelabels.Unknown), never as it is.
package labels
