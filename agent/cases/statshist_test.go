package cases

import (
	"testing"
	"time"
)

// TestAddHistToSameAsAddHist: adding a histogram to two accumulators in one
// pass (addHistTo) leaves each as addHist leaves it, sorted buckets or not
// (the fallback), to accumulators empty or holding more buckets already.
func TestAddHistToSameAsAddHist(t *testing.T) {
	long := HandlingBucketOf(400 * time.Hour)
	hists := []HandlingHist{
		{},
		{Buckets: []BucketCount{{0, 1}}, Sum: HandlingSum{0, 60}},
		{Buckets: []BucketCount{{3, 2}, {255, 1}, {256, 4}, {long, 1}}, Sum: HandlingSum{1, 5}},
		{Buckets: []BucketCount{{long, 1}, {2, 3}}, Sum: HandlingSum{0, 7}}, // not sorted
	}
	for i, h := range hists {
		for _, pre := range []HandlingHist{{}, {Buckets: []BucketCount{{1, 1}, {long + 5, 2}}, Sum: HandlingSum{0, 9}}} {
			var a, o, wantA, wantO handlingAcc
			a.addHist(pre)
			wantA.addHist(pre)
			addHistTo(&a, &o, h)
			wantA.addHist(h)
			wantO.addHist(h)
			for _, c := range []struct {
				name      string
				got, want handlingAcc
			}{{"first", a, wantA}, {"second", o, wantO}} {
				if c.got.n != c.want.n || c.got.sum != c.want.sum || c.got.result() != c.want.result() {
					t.Errorf("histogram %d, %s: n %d sum %v result %+v, want n %d sum %v result %+v", i, c.name,
						c.got.n, c.got.sum, c.got.result(), c.want.n, c.want.sum, c.want.result())
				}
				for b := range max(len(c.got.counts), len(c.want.counts)) {
					g, w := 0, 0
					if b < len(c.got.counts) {
						g = c.got.counts[b]
					}
					if b < len(c.want.counts) {
						w = c.want.counts[b]
					}
					if g != w {
						t.Errorf("histogram %d, %s: bucket %d holds %d, want %d", i, c.name, b, g, w)
					}
				}
			}
		}
	}
}
