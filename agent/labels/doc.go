// Package labels names the gateway's own codes for staff: the statuses as
// staff read them, workflow and access-log actions, roles, actor and
// message kinds and access-log outcomes, in Swedish and English. The words
// are the one catalogue's (sync/i18n: status.*, action.*, role.*, actor.*,
// message.*, outcome.*); this package gives each code type its typed
// lookup. Answers renders a stored case's form
// answers. The names of the sync protocol's codes — case types, the
// statuses and message kinds as patients read them, form field kinds —
// and the rendering of answers are sync/wire/labels', shared with the
// reference central store; Known answers for both, so one test checks
// every code.
//
// The staff UI (localui) and the archive package with its FHIR export
// (agent/archive) render through it. A code without a name is shown marked
// (sync/wire/labels.Unknown), never as it is.
package labels
