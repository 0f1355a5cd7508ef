package uplink

import (
	"context"
	"testing"

	"clinicgw/agent/booking"
)

// publicType is the opaque id the central store knows the diary's time
// type id by (agent/booking/publicid.go).
func publicType(t testing.TB, d *booking.Diary, id string) string {
	t.Helper()
	p, err := d.PublicTypeID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
