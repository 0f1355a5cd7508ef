package fhirapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// TestBookingRace: the API (a record system over mutual TLS), a member
// of staff (the staff pages' call) and a patient's online request (the
// sync's Decide) book the same free time at once, on the encrypted bbolt
// store, round after round: exactly one wins each round, the API's loss
// is a 409 OperationOutcome with the decline's code, and the time has
// the winner's booking.
func TestBookingRace(t *testing.T) {
	f := newFixture(t, 0, 1<<20, withDiary)
	ctx := context.Background()
	client := f.client("booker")
	staffPnr := string(f.adult)
	patientPnr := string(personnummer.Synthetic(time.Date(1992, 11, 30, 0, 0, 0, 0, time.UTC), 990))
	apiPnr := string(personnummer.Synthetic(time.Date(1975, 2, 3, 0, 0, 0, 0, time.UTC), 981))
	slots := f.freeSlots()
	rounds := min(len(slots), 24)
	wins := map[string]int{}
	for i := range rounds {
		ft := slots[i]
		r := f.curl("booker", "/Slot?"+"start=eq"+ft.Start.Format("2006-01-02T15:04:05Z")+"&status=free")
		got := entries(t, r.decode(t))
		if len(got) != 1 {
			t.Fatalf("round %d: the free Slot: %s", i, r.body)
		}
		body, _ := json.Marshal(bookBody(got[0]["id"].(string), apiPnr))
		start := make(chan struct{})
		var wg sync.WaitGroup
		var apiStatus int
		var apiBody []byte
		var staffErr, patientErr error
		var decision wire.BookingDecision
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, f.url+"/Appointment", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/fhir+json")
			<-start
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			apiStatus = resp.StatusCode
			apiBody, _ = io.ReadAll(resp.Body)
		})
		wg.Go(func() {
			<-start
			_, staffErr = f.diary.Book(ctx, ft.ID, booking.Actor{Staff: clinician}, booking.BookRequest{Patient: staffPnr})
		})
		wg.Go(func() {
			<-start
			decision, patientErr = f.diary.Decide(ctx, wire.BookingRequest{ID: "req-" + string(ft.ID), Kind: wire.BookingBook,
				Patient: patientPnr, Time: string(ft.ID)})
		})
		close(start)
		wg.Wait()
		if patientErr != nil {
			t.Fatal(patientErr)
		}
		won := []string{}
		if apiStatus == http.StatusCreated {
			won = append(won, "api")
		} else if apiStatus != http.StatusConflict || !strings.Contains(string(apiBody), `"code":"taken"`) ||
			!strings.Contains(string(apiBody), `"OperationOutcome"`) {
			t.Fatalf("round %d: the API lost with %d %s, want 409 with the decline taken", i, apiStatus, apiBody)
		}
		if staffErr == nil {
			won = append(won, "staff")
		} else if d, ok := booking.DeclineOf(staffErr); !ok || d.Code != booking.Taken {
			t.Fatalf("round %d: staff: %v", i, staffErr)
		}
		if decision.Outcome == wire.BookingConfirmed {
			won = append(won, "patient")
		} else if decision.Reason != string(booking.Taken) {
			t.Fatalf("round %d: patient: %+v", i, decision)
		}
		if len(won) != 1 {
			t.Fatalf("round %d: %v won the same time", i, won)
		}
		wins[won[0]]++
		sl, err := f.diary.Slot(ctx, ft.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"api": apiPnr, "staff": staffPnr, "patient": patientPnr}[won[0]]
		if sl.Booking == nil || sl.Booking.Patient != want {
			t.Fatalf("round %d: %s won but the time has %+v", i, won[0], sl.Booking)
		}
		if apiStatus == http.StatusConflict {
			validate(t, "lost", apiBody)
		}
	}
	t.Logf("%d rounds, wins: %v", rounds, wins)
}
