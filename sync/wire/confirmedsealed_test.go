package wire

import (
	"testing"
)

// The sealed confirmed page joins the package's tables: the golden files,
// the decoders' fuzz targets and mutations.
func init() {
	bodies = append(bodies,
		body{"sealed-confirmed-page", func() Body { return canonicalSealedConfirmedPage() }, wrap(DecodeConfirmedPage), MaxBodyBytes, func() any { return new(ConfirmedPage) }})
}

func canonicalSealedConfirmedPage() ConfirmedPage {
	p := canonicalConfirmedPage()
	for i, c := range p.Items {
		p.Items[i].Item = OutboxItem{}
		p.Items[i].Sealed = &SealedOutboxItem{IdempotencyKey: c.Item.IdempotencyKey, CaseID: c.Item.CaseID, Kind: c.Item.Kind,
			Sealed: b64([]byte("envelope " + c.Item.IdempotencyKey))}
	}
	return p
}

// TestSealedConfirmedRules: a confirmed item is plain or sealed, never
// both nor neither; the sealed one's members follow the sealed outbox
// item's rules; keys are unique across both forms.
func TestSealedConfirmedRules(t *testing.T) {
	plain := canonicalConfirmedPage()
	for _, tc := range []struct {
		name string
		mod  func(*ConfirmedPage)
		ok   bool
	}{
		{"sealed", func(*ConfirmedPage) {}, true},
		{"one plain, the rest sealed", func(p *ConfirmedPage) { p.Items[1].Item, p.Items[1].Sealed = plain.Items[1].Item, nil }, true},
		{"both", func(p *ConfirmedPage) { p.Items[0].Item = plain.Items[0].Item }, false},
		{"neither", func(p *ConfirmedPage) { p.Items[0].Sealed = nil }, false},
		{"not base64", func(p *ConfirmedPage) { p.Items[0].Sealed.Sealed = "åäö" }, false},
		{"unknown kind", func(p *ConfirmedPage) { p.Items[0].Sealed.Kind = "x" }, false},
		{"key twice", func(p *ConfirmedPage) {
			p.Items[1].Item, p.Items[1].Sealed = plain.Items[1].Item, nil
			p.Items[1].Item.IdempotencyKey = p.Items[0].Sealed.IdempotencyKey
		}, false},
		{"assignment without assignee", func(p *ConfirmedPage) { p.Items[1].Sealed.Kind = OutboxAssignment }, false},
	} {
		p := canonicalSealedConfirmedPage()
		tc.mod(&p)
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// FuzzDecodeSealedConfirmedPage: the confirmed page decoder, from the
// sealed page's golden file and its mutations.
func FuzzDecodeSealedConfirmedPage(f *testing.F) {
	fuzzDecoder(f, "sealed-confirmed-page", DecodeConfirmedPage)
}
