package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// demoLive has n synthetic patients write through the central store, one
// every 100 ms, and shows each case arriving in the gateway's encrypted
// store; then the demo staff answer every one of them and it shows each
// answer reaching the patient at the central store. Only case ids and
// form titles are printed, never a patient's data.
func demoLive(ctx context.Context, e *env, cs *central.Store, svc *cases.Service, n int) error {
	forms, err := cs.Forms(ctx, demoUnit)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Live: %d patients write now through the central store's patient side.\n", n)
	type sent struct {
		id, pnr, title string
		at             time.Time
	}
	var all []sent
	var arrival []time.Duration
	pending := map[string]sent{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	poll := time.NewTicker(2 * time.Millisecond)
	defer poll.Stop()
	for len(all) < n || len(pending) > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if len(all) == n {
				if deadline := all[n-1].at.Add(30 * time.Second); time.Now().After(deadline) {
					return fmt.Errorf("demo: %d cases did not reach the gateway within 30 s; see the log", len(pending))
				}
				continue
			}
			i := len(all)
			f := forms.Forms[i%len(forms.Forms)]
			id, pnr, err := submitDemoCase(ctx, cs, i, f)
			if err != nil {
				return err
			}
			s := sent{id: id, pnr: pnr, title: f.Title.SV, at: time.Now()}
			all = append(all, s)
			pending[id] = s
		case <-poll.C:
			for id, s := range pending {
				if _, err := svc.Get(ctx, demoDistributor, cases.ID(id)); err != nil {
					continue
				}
				d := time.Since(s.at)
				arrival = append(arrival, d)
				delete(pending, id)
				fmt.Fprintf(e.stdout, "  case %s (%s) is in the gateway's encrypted store %s after the patient sent it\n", id, s.title, ms(d))
			}
		}
	}
	p50, p99 := percentiles(arrival)
	fmt.Fprintf(e.stdout, "All %d arrived: median %s, slowest %s (p99 %s).\n\n", n, ms(p50), ms(slices.Max(arrival)), ms(p99))

	fmt.Fprintf(e.stdout, "Staff answer them: the message administrator assigns each, a clinician answers.\n")
	start := time.Now()
	for i, s := range all {
		k := demoClinicians[i%len(demoClinicians)]
		if _, err := svc.Do(ctx, demoDistributor, cases.ID(s.id), cases.Command{Action: cases.Assign, Assignee: k.actor.HSAID}); err != nil {
			return err
		}
		if _, err := svc.Do(ctx, k.actor, cases.ID(s.id), cases.Command{Action: cases.SendAnswer,
			Text: "Tack för ditt meddelande. Vi har ordnat det du bad om.", Signature: k.signature, AuthorTitle: k.title}); err != nil {
			return err
		}
	}
	waiting := slices.Clone(all)
	for len(waiting) > 0 {
		if time.Since(start) > 30*time.Second {
			return fmt.Errorf("demo: %d answers did not reach the central store within 30 s; see the log", len(waiting))
		}
		waiting = slices.DeleteFunc(waiting, func(s sent) bool {
			pc, err := cs.PatientCase(ctx, s.pnr, s.id)
			return err == nil && pc.StaffMessages() > 0
		})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	fmt.Fprintf(e.stdout, "All %d answers are with the patients at the central store %s after the first was sent\n(each patient gets the notice \"Du har ett meddelande\", with no health data).\n", n, ms(time.Since(start)))
	return nil
}

// submitDemoCase has synthetic patient i write on form f at the central
// store, and returns the case's id and the patient's personnummer.
func submitDemoCase(ctx context.Context, cs *central.Store, i int, f wire.Form) (id, pnr string, err error) {
	pnr = string(personnummer.Synthetic(time.Date(1950+i%50, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC), 980+i%20))
	id, err = cs.Submit(ctx, demoUnit, central.Submission{
		PatientPNR: pnr, PatientName: fmt.Sprintf("Livepatient %s", demoNames[i%len(demoNames)]),
		FormID: f.ID, Fields: formAnswers(f), Text: "Hej! Jag skriver via 1177-demon.",
	})
	if err != nil {
		return "", "", fmt.Errorf("demo: submit at the central store: %w", err)
	}
	return id, pnr, nil
}

// demoWaiting has one patient write on each of the unit's forms and
// leaves the cases to the staff: new, unassigned cases of every type for
// the message administrator's inbox.
func demoWaiting(ctx context.Context, e *env, cs *central.Store, svc *cases.Service) error {
	forms, err := cs.Forms(ctx, demoUnit)
	if err != nil {
		return err
	}
	var ids []string
	for i, f := range forms.Forms {
		id, _, err := submitDemoCase(ctx, cs, 500+i, f)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(ids) > 0 {
		ids = slices.DeleteFunc(ids, func(id string) bool {
			_, err := svc.Get(ctx, demoDistributor, cases.ID(id))
			return err == nil
		})
		if len(ids) > 0 && time.Now().After(deadline) {
			return fmt.Errorf("demo: %d new cases did not reach the gateway within 30 s; see the log", len(ids))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	fmt.Fprintf(e.stdout, "New today: %d cases, one on each of the unit's forms, wait unassigned in the inbox.\n", len(forms.Forms))
	return nil
}

// formAnswers fills in a form's required fields (those always shown)
// with plausible answers.
func formAnswers(f wire.Form) []wire.Field {
	var out []wire.Field
	for _, ff := range f.Fields {
		if !ff.Required || ff.ShowIf != nil {
			continue
		}
		v := "Exempel"
		switch ff.Kind {
		case wire.FieldDate:
			v = time.Now().AddDate(0, 0, 7).Format(time.DateOnly)
		case wire.FieldSelect, wire.FieldRadio:
			v = ff.Options[0].Value
		case wire.FieldCheckbox:
			v = "true"
		}
		out = append(out, wire.Field{Name: ff.Name, Value: v})
	}
	return out
}

// percentiles returns the median and the 99th percentile of ds.
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2], s[(len(s)*99)/100]
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
