package booking

import (
	"testing"
	"time"
)

// FuzzSlotID: the time id decoder never panics, and an id it accepts
// names the key it decodes to, whose index reading gives the id back.
func FuzzSlotID(f *testing.F) {
	for _, s := range []string{"1778482800-SE2321000016-1003", "x", "-", "0-a", "99999999999999999999-a", "1-", "1777000000-" + string(make([]byte, 70))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := keyOf(SlotID(s))
		if err != nil {
			return
		}
		it, ok := parseIndexed(k, []byte{0, 30, 'x'})
		if !ok {
			t.Fatalf("%q: key %x does not read back", s, k)
		}
		if back := formatID(it); string(back) != s {
			t.Fatalf("%q: reads back as %q", s, back)
		}
		if it.Start.Location() != time.UTC {
			t.Fatalf("%q: not UTC", s)
		}
	})
}
