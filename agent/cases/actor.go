package cases

// Role is what a member of staff may do in the e-service for this unit,
// as in the real tool.
type Role string

// The staff roles.
const (
	Distributor Role = "distributor" // ärendemottagare: sees the unit's inbox, assigns, takes back, reassigns
	Clinician   Role = "clinician"   // ärendehanterare: handles and answers the cases assigned to them
	UnitAdmin   Role = "unit-admin"  // enhetsadministratör: forms, statistics, settings
	Auditor     Role = "auditor"     // granskare: reads the access log
)

// ActorKind says whether an actor is staff, the patient side, or the system.
type ActorKind string

// The kinds of actor.
const (
	Staff   ActorKind = "staff"
	Patient ActorKind = "patient" // the patient or guardian, through the central store
	System  ActorKind = "system"  // the gateway itself (sync, schedules)
	// Integration is another system of the unit's (its record system)
	// calling the integration API (agent/fhirapi) with its SITHS function
	// certificate: named by its HSA-ID in the access log like staff. It
	// reads the unit's cases as a distributor would; what it may do
	// beyond reading the API decides from the directory's systems section.
	Integration ActorKind = "integration"
)

// Actor is who performs an operation.
type Actor struct {
	Kind  ActorKind
	HSAID string // staff and integration systems
	Roles []Role // staff only
	// Groups are the ids of the staff groups the member belongs to (staff
	// only). Service fills them from its GroupSource on every call,
	// whatever the caller put here.
	Groups []string
}

// IntegrationActor is the integration system hsaID (its function
// certificate's HSA-ID), as the case service sees it.
func IntegrationActor(hsaID string) Actor { return Actor{Kind: Integration, HSAID: hsaID} }

// StaffActor is the member of staff hsaID with the roles whose codes are
// roles (as cardauth carries them from the staff directory into a
// session), as the case service sees them.
func StaffActor(hsaID string, roles []string) Actor {
	rs := make([]Role, len(roles))
	for i, r := range roles {
		rs[i] = Role(r)
	}
	return Actor{Kind: Staff, HSAID: hsaID, Roles: rs}
}

// RoleCodes returns the codes of roles, as cardauth carries them.
func RoleCodes(roles []Role) []string {
	codes := make([]string, len(roles))
	for i, r := range roles {
		codes[i] = string(r)
	}
	return codes
}

// Has reports whether the actor is staff with role r.
func (a Actor) Has(r Role) bool {
	if a.Kind != Staff {
		return false
	}
	for _, x := range a.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Name is how the actor is recorded in history and the access log.
func (a Actor) Name() string {
	if a.Kind == Staff || a.Kind == Integration {
		return a.HSAID
	}
	return string(a.Kind)
}

// Action is something done to a case.
type Action string

// The actions. Receive, Withdraw and FollowUp come from the patient side;
// the others from staff.
const (
	Receive     Action = "receive"          // a new case arrives
	Initiate    Action = "initiate"         // staff start a case with a patient (Service.Initiate)
	Assign      Action = "assign"           // distributor gives an unassigned case to a clinician
	Reassign    Action = "reassign"         // distributor moves an assigned case to another clinician
	TakeBack    Action = "take-back"        // distributor takes a case back to the inbox
	HandBack    Action = "hand-back"        // the assigned clinician returns the case to the inbox
	SendPartial Action = "partial-answer"   // a partial answer; the case stays open
	SendCounter Action = "counter-question" // a question back; waits for the patient
	SendAnswer  Action = "answer"           // the final answer
	Close       Action = "close"            // nothing more to do
	Withdraw    Action = "withdraw"         // the patient withdraws the case
	FollowUp    Action = "follow-up"        // the patient writes again; may reopen
	// Take: a clinician in the case's group takes an unassigned case from
	// the group's queue ("Ta ärendet").
	Take Action = "take"
	// Route: a distributor moves a case to a group's queue, or with no
	// group to the inbox (taking it from its clinician if someone has it).
	Route         Action = "route"
	Read          Action = "read"            // a member of staff reads the case (access log only)
	List          Action = "list"            // a member of staff lists cases (access log only)
	ReadAccessLog Action = "read-access-log" // an auditor reads the access log (access log only)
	RestoreBackup Action = "restore-backup"  // the store was restored from a backup (access log only, by the system)
	// RecoverFromCentral: after a restore, a change staff made after the
	// backup came back from the central store (Service.RecoverConfirmed;
	// by the system).
	RecoverFromCentral Action = "recover-from-central"
)
