package store

// DiaryMeta is the diary's own sealed settings (agent/booking keeps the
// key of its published time ids here). In its own file so that the
// buckets' order in diary.go does not move: appended after them.
const DiaryMeta = "diary-meta"

func init() {
	diarySealed = append(diarySealed, DiaryMeta)
	allBuckets = append(allBuckets, DiaryMeta)
	sealedBuckets = append(sealedBuckets, DiaryMeta)
	addedBuckets = append(addedBuckets, DiaryMeta)
}
