package wire

import "time"

// The canonical instances of the v2 bodies, for the golden files and the
// decoder tests.

const goldenIncarnation = "5f0c2b7e9a41d3c68e07b1f24a9d6c30"

// goldenBase is a made-up link at seq 40: the chain below starts from it.
var goldenBase = Genesis(goldenIncarnation)

func canonicalChainedPage() ChainedPage {
	p := canonicalInboxPage()
	// Protocol v2 carries the version of the form a case was written on
	// (the fuzz corpus grows from this page too).
	nc := *p.Events[0].Case
	nc.FormVersion = 3
	p.Events[0].Case = &nc
	return ChainedPage{Events: p.Events, Cursor: p.Cursor, More: p.More, Chain: Chain{
		Incarnation: goldenIncarnation, Head: 50,
		Base: goldenBase.String(), End: ChainOf(goldenBase, p.Events).String(),
	}}
}

func canonicalReconcileBatch() ReconcileBatch {
	return ReconcileBatch{Events: canonicalInboxPage().Events}
}

func canonicalReconcileResult() ReconcileResult {
	return ReconcileResult{Results: []EventResult{
		{ID: "ev-41", Status: ItemAccepted},
		{ID: "ev-42", Status: ItemDuplicate},
		{ID: "ev-43", Status: ItemRejected, Problem: NotFound("The case of the follow-up is not in this central store.")},
		{ID: "ev-44", Status: ItemAccepted},
	}}
}

func canonicalConfirmedPage() ConfirmedPage {
	p := ConfirmedPage{Complete: true}
	for i, it := range canonicalOutboxBatch().Items {
		p.Items = append(p.Items, ConfirmedItem{Seq: uint64(7 + i), ConfirmedAt: it.At.Add(time.Minute), Item: it})
	}
	p.Items[0].AuthorHSAID, p.Items[0].AssigneeHSAID = hsaClinician, hsaClinician
	return p
}

// hsaClinician is a made-up HSA-ID of a member of staff.
const hsaClinician = "SE2321000016-C001"

// canonicalOutboxBatch2 is the canonical batch and a reassignment, with
// whom its first two items and the reassignment name.
func canonicalOutboxBatch2() OutboxBatch2 {
	items := canonicalOutboxBatch().Items
	b := OutboxBatch2{Items: append(items[:len(items):len(items)], OutboxItem{IdempotencyKey: "out-5",
		CaseID: items[1].CaseID, Kind: OutboxAssignment, At: items[1].At.Add(time.Hour)})}
	b.Staff = []ItemStaff{
		{IdempotencyKey: b.Items[0].IdempotencyKey, AuthorHSAID: hsaClinician, AssigneeHSAID: hsaClinician},
		{IdempotencyKey: b.Items[1].IdempotencyKey, AssigneeHSAID: "SE2321000016-C002"},
		{IdempotencyKey: "out-5", AssigneeHSAID: hsaClinician},
	}
	return b
}
