package cases

import "clinicgw/sync/wire/casetype"

// Statistics per staff group. Every case counts in the group whose queue
// it was routed to (Case.Group; "" for the message administrator's inbox),
// whoever took it from there: the national four — cases per type (or
// service), handling times, unanswered, status — for each group, summed
// from the same aggregates as the unit's (the aggregates carry the group).

// GroupID is a staff group's id (ValidGroupID) as the statistics key
// their counts by; "" is the message administrator's inbox.
type GroupID string

// GroupStats are the statistics of one group's cases for a period, as
// Stats counts them for the whole unit.
type GroupStats struct {
	Received   int
	ByType     map[casetype.Type]int
	ByStatus   map[Status]int
	Unanswered int
	Overdue    int
	Answered   int
	Handling   HandlingTime
}

// groupBuilder is StatsBuilder's count of one group.
type groupBuilder struct {
	received, unanswered, overdue, answered int
	byType                                  map[casetype.Type]int
	byStatus                                map[Status]int
	handling                                handlingAcc // statshist.go
}

// group returns the count of group g, made on first use.
func (b *StatsBuilder) group(g string) *groupBuilder {
	if b.groups == nil {
		b.groups = map[GroupID]*groupBuilder{}
	}
	gb := b.groups[GroupID(g)]
	if gb == nil {
		gb = &groupBuilder{byType: map[casetype.Type]int{}, byStatus: map[Status]int{}}
		b.groups[GroupID(g)] = gb
	}
	return gb
}

// groupResults returns the per-group statistics of b's counts.
func (b *StatsBuilder) groupResults() map[GroupID]GroupStats {
	out := make(map[GroupID]GroupStats, len(b.groups))
	for g, gb := range b.groups {
		s := GroupStats{Received: gb.received, Unanswered: gb.unanswered, Overdue: gb.overdue, Answered: gb.answered,
			ByType: make(map[casetype.Type]int, len(gb.byType)), ByStatus: make(map[Status]int, len(gb.byStatus)),
			Handling: gb.handling.result()}
		for k, v := range gb.byType {
			s.ByType[k] = v
		}
		for k, v := range gb.byStatus {
			s.ByStatus[k] = v
		}
		out[g] = s
	}
	return out
}
