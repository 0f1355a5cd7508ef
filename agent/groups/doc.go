// Package groups keeps the care unit's staff groups ("Sjuksköterskor",
// "Läkare", "Psykologer", …): each a stable id, a name and its members
// (HSA-IDs chosen from the staff directory), sealed in the encrypted
// store's settings under one key, edited by the unit administrator.
//
// A Set answers the case service's question of who is in which group
// (cases.GroupSource): a member counts only while the staff directory
// gives them an active commission for the unit, so a member who loses
// their commission stops seeing the group's queue at the next request,
// without anyone editing the group. The definitions are read once at Open
// and replaced whole by Save, which checks them first (ids, names,
// members, limits) and changes nothing when any is wrong, saying which
// (*Error, with the catalogue key of the Swedish text).
package groups
