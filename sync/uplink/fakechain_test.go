package uplink

import "clinicgw/sync/wire"

// fakeIncarnation is the incarnation of the tests' scripted central stores.
const fakeIncarnation = "00112233445566778899aabbccddeeff"

// fakePage is the chained page a scripted central store whose unit's
// events are all answers to a request after after: the events after it
// (more is false).
func fakePage(all []wire.Event, after uint64) wire.ChainedPage {
	link := wire.Genesis(fakeIncarnation)
	var page []wire.Event
	var base wire.Link
	cursor := after
	for _, ev := range all {
		if ev.Seq <= after {
			link = wire.NextLink(link, ev)
			continue
		}
		page = append(page, ev)
		cursor = ev.Seq
	}
	base = link
	end := wire.ChainOf(base, page)
	head := uint64(0)
	if len(all) > 0 {
		head = all[len(all)-1].Seq
	}
	c := wire.Chain{Incarnation: fakeIncarnation, Head: max(head, after), Base: base.String(), End: end.String()}
	return wire.ChainedPage{Events: page, Cursor: cursor, Chain: c}
}
