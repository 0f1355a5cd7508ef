package central

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/sync/bidi"
	"clinicgw/sync/wire"
)

// TestBookingFlowPagesGolden: "Bokade tider" with a guardian's child's
// booking and the times the unit cancelled, rendered as the golden file
// says (run with -update to write it). Beside TestPagesGolden, with the
// same mechanism.
func TestBookingFlowPagesGolden(t *testing.T) {
	slot := func(id string, h int) timeRow {
		return newTimeRow(wire.BookingTime{ID: id, Start: time.Date(2026, 12, 9, h, 0, 0, 0, time.UTC), Minutes: 30,
			TypeID: "besok-30", Type: "Besök", Clinician: "Anna Läkare", Rebook: true, Cancel: true})
	}
	unit := unitRow{ID: "SE2321000016-TEST", Name: "Vårdcentralen Test"}
	v := view{Title: "Boka tid", User: "Tolvan Tolvansson", Unit: unit, Booking: &bookingView{
		Mine: []bookedRow{{timeRow: slot("t1", 8), CanRebook: true, CanCancel: true},
			{timeRow: slot("t2", 9), CanRebook: true, CanCancel: true, Child: "Lilla Tolvansson"}},
		Canceled: []timeRow{slot("t3", 10)},
		Types:    []typeRow{{ID: "besok-30", Name: "Besök"}}}}
	var buf bytes.Buffer
	if err := newWeb(nil).pages["booking"].Execute(&buf, v); err != nil {
		t.Fatal(err)
	}
	got := bidi.NeutraliseHTML(buf.Bytes())
	file := filepath.Join("testdata", "pages", "booking-mine-unit.html")
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("renders other than %s:\n%s", file, got)
	}
}
