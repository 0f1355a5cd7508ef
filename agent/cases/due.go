package cases

import (
	"time"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/workday"
)

// DefaultAnswerDays is how many working days after the day of receipt a
// case must be answered within unless its service sets a shorter rule (or
// a longer one it tells the patient: sync/wire/catalog).
const DefaultAnswerDays = wire.DefaultAnswerDays

// DueDate returns when a case received at received must have been answered
// (received is the case's time of record, see DueFrom):
// by the end of the second working day after the day of receipt, whatever
// the time of receipt. The day of receipt never counts, working day or not:
// received on a Monday, due at the end of Wednesday; received on a Saturday,
// due at the end of Tuesday.
//
// The bound is inclusive: DueDate returns the last instant of that day,
// 23:59:59.999999999 Stockholm time (CET or CEST as the date has it, so
// daylight-saving changes never shift it). A case is overdue when now is
// after it (IsOverdue), so "open and due before now" is exactly the
// overdue set.
func DueDate(received time.Time) time.Time { return DueWithin(received, DefaultAnswerDays) }

// DueWithin is DueDate for an answer rule of days working days (at least
// 1; less counts as 1).
func DueWithin(received time.Time, days int) time.Time {
	days = max(days, 1)
	y, m, d := received.In(workday.Stockholm()).Date()
	count := 0
	for i := 1; ; i++ {
		// Noon avoids any daylight-saving edge; time.Date normalises d+i.
		day := time.Date(y, m, d+i, 12, 0, 0, 0, workday.Stockholm())
		if !workday.IsWorkingDay(day) {
			continue
		}
		if count++; count == days {
			dy, dm, dd := day.Date()
			return time.Date(dy, dm, dd, 23, 59, 59, 999999999, workday.Stockholm())
		}
	}
}

// DueFrom returns the time a patient action's due date counts from: when
// the central store accepted it (accepted, its time of record), so that the
// days a case waited for the gateway — offline over a weekend, say — are
// not added to the unit's two working days. Two cases fall back to
// arrived, the gateway's own time of the action's arrival:
//
//   - accepted is zero: the time of record is not known (a caller without
//     one; every central store that speaks the protocol sends it).
//   - accepted is after arrived: the central store's clock is ahead of this
//     one. Skew never makes a case due later than counting from its
//     arrival would.
//
// An accepted long before arrived (a long outage) is kept: the deadline
// ran while the gateway was away, and the case may be overdue on arrival.
func DueFrom(accepted, arrived time.Time) time.Time {
	if accepted.IsZero() || accepted.After(arrived) {
		return arrived
	}
	return accepted
}

// answerDays is the answer rule c is due by.
func (c *Case) answerDays() int {
	if c.AnswerDays > 0 {
		return c.AnswerDays
	}
	return DefaultAnswerDays
}

// IsOverdue reports whether a case due at due (as DueDate returns) is
// overdue at now: now is strictly after due.
func IsOverdue(due, now time.Time) bool {
	return now.After(due)
}
