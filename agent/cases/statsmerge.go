package cases

// AddAnswersOf adds to b the answers o counted: o is a StatsBuilder of
// the same period that only AddAnswers was called on (a store keeps one
// for the handling times of weeks that are past, statsagg.go). o is only
// read, so several builders may add it at once. The Stats are those
// AddAnswers with each of o's histograms on b would give, in one pass
// over o's sums (per case type, per group and per week) instead of one
// over every histogram o added.
func (b *StatsBuilder) AddAnswersOf(o *StatsBuilder) {
	b.answered += o.answered
	for typ, a := range o.handlingByType {
		if a.n != 0 {
			b.typeAcc(typ).addAcc(a)
		}
	}
	for g, og := range o.groups {
		if og.answered != 0 {
			gb := b.group(string(g))
			gb.answered += og.answered
			gb.handling.addAcc(&og.handling)
		}
	}
	for k, w := range o.weeks {
		if w.Answered == 0 {
			continue
		}
		wc := b.weeks[k]
		if wc == nil {
			wc = &WeekCount{Year: w.Year, Week: w.Week}
			b.weeks[k] = wc
		}
		wc.Answered += w.Answered
	}
}
