// Package fhirtask is the one home of how a case's status reads as FHIR
// R4 Task.status: the integration API (agent/fhirapi) and the archive's
// FHIR bundle (agent/archive) both show it, and a record system that
// reads the one and later the other must see the same status.
//
// FHIR's Task state machine (R4 §12.1.2.1, the task-status value set)
// runs draft → requested → received → accepted → ready → in-progress →
// completed, with on-hold, cancelled, failed, rejected and
// entered-in-error beside it. A case maps to it so:
//
//   - received (in the unit's inbox, no one has it) → requested: "ready
//     to be performed, but no action has yet been taken";
//   - assigned (a clinician has it, nothing sent yet) → accepted: "the
//     potential performer has agreed to execute the task but has not yet
//     started work". The archive once wrote in-progress here; but a
//     case's work shows only when the patient gets something, and a
//     record system that sees in-progress would think a partial answer
//     was sent. One mapping, the API's (TestOneMapping in the archive and
//     the API hold both to it);
//   - partially answered → in-progress: "started but not yet complete";
//   - waiting for the patient → on-hold: "the task has been started but
//     work has been paused" (for the patient's reply);
//   - answered and closed → completed (businessStatus says which);
//   - withdrawn by the patient → cancelled: "the task was not completed".
package fhirtask
