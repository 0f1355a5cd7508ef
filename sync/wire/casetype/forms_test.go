package casetype

import (
	"testing"

	"clinicgw/sync/wire"
)

func TestDefaultFormsAreValid(t *testing.T) {
	set := DefaultForms()
	if err := set.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(set.Forms) != len(All) {
		t.Fatalf("%d forms for %d case types", len(set.Forms), len(All))
	}
	for i, f := range set.Forms {
		if f.ID != string(All[i]) || f.Title.SV == "" {
			t.Errorf("form %d: %s %q", i, f.ID, f.Title.SV)
		}
	}
	if _, err := wire.Marshal(set); err != nil {
		t.Error(err)
	}
}
