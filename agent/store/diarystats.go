package store

// DiaryStats is the booking diary's statistics' aggregates (agent/booking
// stats.go): counts of bookings per month, time type and clinician, kept
// by the diary in the transaction that changes a time. Sealed like the
// diary's other values; counts only, no patient data.
const DiaryStats = "diary-stats"

// Appended after the diary's other buckets (diary.go's init runs first:
// files initialise in name order), so their positions do not move.
func init() {
	diarySealed = append(diarySealed, DiaryStats)
	allBuckets = append(allBuckets, DiaryStats)
	sealedBuckets = append(sealedBuckets, DiaryStats)
	addedBuckets = append(addedBuckets, DiaryStats)
}
