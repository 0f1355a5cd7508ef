package main

import (
	"container/heap"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/catalog"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// seeder plays the demo's three weeks: patients' cases arrive in batches
// (as the uplink would pull them), and staff and patients act on them at
// invented times, in time order, with the fake clock set to each moment.
type seeder struct {
	svc   *cases.Service
	clock *clocktest.Fake
	rng   *mrand.Rand
	end   time.Time

	queue   stepQueue
	batches int
	steps   int
}

// arrival is a case the patient sends at a moment of the demo.
type arrival struct {
	at  time.Time
	sub cases.Submission
}

// step is one workflow command due at a moment; next follows it.
type step struct {
	at    time.Time
	id    cases.ID
	actor cases.Actor
	cmd   cases.Command
	after time.Duration // delay of next after this step
	next  *step
}

// stepQueue orders pending steps by time.
type stepQueue []*step

func (q stepQueue) Len() int           { return len(q) }
func (q stepQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q stepQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *stepQueue) Push(x any)        { *q = append(*q, x.(*step)) }
func (q *stepQueue) Pop() any {
	old := *q
	s := old[len(old)-1]
	*q = old[:len(old)-1]
	return s
}

// arrivals invents n submissions spread over the demo's weeks, mostly in
// the daytime, in time order. Every case type occurs when n allows.
func (s *seeder) arrivals(n int) []arrival {
	start := s.end.AddDate(0, 0, -demoDays)
	loc := workday.Stockholm()
	out := make([]arrival, 0, n)
	for i := range n {
		// Daytime (07–22) for most, any hour for the rest.
		day := start.AddDate(0, 0, s.rng.IntN(demoDays))
		y, m, d := day.In(loc).Date()
		hour := 7 + s.rng.IntN(15)
		if s.rng.IntN(10) == 0 {
			hour = s.rng.IntN(24)
		}
		at := time.Date(y, m, d, hour, s.rng.IntN(60), s.rng.IntN(60), 0, loc)
		if at.Before(start) || !at.Before(s.end) {
			at = start.Add(time.Duration(s.rng.Int64N(int64(s.end.Sub(start)))))
		}
		typ := demoTypes[i%len(demoTypes)]
		if i >= len(demoTypes) {
			typ = demoTypes[s.rng.IntN(len(demoTypes))]
		}
		out = append(out, arrival{at: at, sub: s.submission(i, typ, at)})
	}
	slices.SortFunc(out, func(a, b arrival) int { return a.at.Compare(b.at) })
	return out
}

var demoNames = []string{"Ett", "Två", "Tre", "Fyra", "Fem", "Sex", "Sju", "Åtta", "Nio", "Tio",
	"Elva", "Tolv", "Tretton", "Fjorton", "Femton", "Sexton", "Sjutton", "Arton", "Nitton", "Tjugo"}

// submission invents the i-th patient's case of type typ, sent at at.
func (s *seeder) submission(i int, typ casetype.Type, at time.Time) cases.Submission {
	loc := workday.Stockholm()
	y, _, _ := at.In(loc).Date()
	serial := 980 + i%20
	name := fmt.Sprintf("Testperson %s", demoNames[(i/20)%len(demoNames)])
	if i >= 400 {
		name = fmt.Sprintf("Testperson %d", i+1)
	}
	var birth time.Time
	child := s.rng.IntN(8) == 0
	if child {
		birth = time.Date(y-1-s.rng.IntN(9), time.Month(1+s.rng.IntN(12)), 1+s.rng.IntN(28), 0, 0, 0, 0, loc)
	} else {
		birth = time.Date(y-18-s.rng.IntN(70), time.Month(1+s.rng.IntN(12)), 1+s.rng.IntN(28), 0, 0, 0, 0, loc)
	}
	sub := cases.Submission{
		Type:        typ,
		Patient:     cases.Person{PNR: personnummer.Synthetic(birth, serial), Name: name},
		Text:        demoTexts[typ][s.rng.IntN(len(demoTexts[typ]))],
		Fields:      demoFields[typ],
		SubmittedAt: at,
	}
	if child {
		gBirth := time.Date(y-28-s.rng.IntN(20), time.Month(1+s.rng.IntN(12)), 1+s.rng.IntN(28), 0, 0, 0, 0, loc)
		sub.Guardian = &cases.Person{
			PNR:  personnummer.Synthetic(gBirth, 980+(i+7)%20),
			Name: fmt.Sprintf("Testförälder %s", demoNames[i%len(demoNames)]),
		}
	}
	return sub
}

// run plays the arrivals and the steps they lead to, in time order, up to
// the end of the demo period. A step that would fall after it is left
// undone: those cases stay open, as a real inbox's newest do.
func (s *seeder) run(ctx context.Context, arrivals []arrival) error {
	for len(arrivals) > 0 || len(s.queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(arrivals) > 0 && (len(s.queue) == 0 || !s.queue[0].at.Before(arrivals[0].at)) {
			// One pull of the uplink: what arrived within the hour, before
			// any pending step.
			n := 1
			for n < len(arrivals) && arrivals[n].at.Sub(arrivals[0].at) < time.Hour &&
				(len(s.queue) == 0 || arrivals[n].at.Before(s.queue[0].at)) {
				n++
			}
			batch := arrivals[:n]
			arrivals = arrivals[n:]
			if err := s.receive(ctx, batch); err != nil {
				return err
			}
			continue
		}
		st := heap.Pop(&s.queue).(*step)
		s.clock.Set(st.at)
		if _, err := s.svc.Do(ctx, st.actor, st.id, st.cmd); err != nil {
			return fmt.Errorf("demo step %s on case %s: %w", st.cmd.Action, st.id, err)
		}
		s.steps++
		if st.next != nil {
			s.schedule(st.at.Add(st.after), st.next)
		}
	}
	return nil
}

// receive stores one batch, received when its last case arrived, and plans
// what happens to each case.
func (s *seeder) receive(ctx context.Context, batch []arrival) error {
	s.clock.Set(batch[len(batch)-1].at)
	subs := make([]cases.Submission, len(batch))
	for i, a := range batch {
		subs[i] = a.sub
	}
	got, err := s.svc.ReceiveBatch(ctx, subs)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	s.batches++
	now := s.clock.Now()
	for _, c := range got {
		if first := s.plan(c.ID, s.end.Sub(now) < 3*24*time.Hour); first != nil {
			s.schedule(now.Add(s.minutes(20, 6*60)), first)
		}
	}
	return nil
}

// schedule queues st at t, unless t is past the demo's end.
func (s *seeder) schedule(t time.Time, st *step) {
	if !t.Before(s.end) {
		return
	}
	st.at = t
	heap.Push(&s.queue, st)
}

// minutes returns a random duration between lo and hi minutes.
func (s *seeder) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+s.rng.IntN(hi-lo+1)) * time.Minute
}

// plan invents what happens to a case: a chain of steps, each with the
// delay before the next. Only recent cases may be left unhandled on
// purpose; older ones are open at the end only when their steps ran late.
func (s *seeder) plan(id cases.ID, recent bool) *step {
	var first, last *step
	add := func(actor cases.Actor, cmd cases.Command, delay time.Duration) {
		st := &step{id: id, actor: actor, cmd: cmd}
		if first == nil {
			first = st
		} else {
			last.after, last.next = delay, st
		}
		last = st
	}
	pick := func() int { return s.rng.IntN(len(demoClinicians)) }
	other := func(k int) int { return (k + 1 + s.rng.IntN(len(demoClinicians)-1)) % len(demoClinicians) }
	by := func(k int, action cases.Action, text string, delay time.Duration) {
		add(demoClinicians[k].actor, cases.Command{Action: action, Text: text, Signature: demoClinicians[k].signature, AuthorTitle: demoClinicians[k].title}, delay)
	}
	assign := func(k int, action cases.Action, delay time.Duration) {
		add(demoDistributor, cases.Command{Action: action, Assignee: demoClinicians[k].actor.HSAID}, delay)
	}

	switch r := s.rng.IntN(100); {
	case r < 5 && recent: // stays in the inbox
		return nil
	case r >= 97: // the patient withdraws it before anyone takes it
		add(demoPatient, cases.Command{Action: cases.Withdraw}, 0)
		return first
	}
	k := pick()
	assign(k, cases.Assign, 0)
	switch r := s.rng.IntN(100); {
	case r < 12 && recent: // assigned, not yet handled
		return first
	case r < 20: // the clinician is away: taken back and given to another
		add(demoDistributor, cases.Command{Action: cases.TakeBack}, s.minutes(60, 24*60))
		k = other(k)
		assign(k, cases.Assign, s.minutes(10, 120))
	case r < 25: // reassigned directly
		k = other(k)
		assign(k, cases.Reassign, s.minutes(60, 24*60))
	case r < 30: // handed back by the clinician, assigned again
		by(k, cases.HandBack, "", s.minutes(30, 8*60))
		k = other(k)
		assign(k, cases.Assign, s.minutes(10, 240))
	case r < 45: // a counter-question; most patients reply
		by(k, cases.SendCounter, "Hej! Kan du beskriva besvären lite närmare? Hur länge har de pågått?", s.minutes(60, 2*24*60))
		if s.rng.IntN(10) < 3 {
			return first // waiting for the patient
		}
		add(demoPatient, cases.Command{Action: cases.FollowUp, Text: "Ungefär en vecka, värst på morgonen."}, s.minutes(60, 24*60))
	case r < 52: // a partial answer first
		by(k, cases.SendPartial, "Hej! Vi har tagit emot ditt ärende och återkommer med besked i morgon.", s.minutes(30, 6*60))
	}
	answerIn := s.minutes(30, 2*24*60)
	if s.rng.IntN(100) < 15 { // a slow one, likely overdue
		answerIn = s.minutes(2*24*60, 5*24*60)
	}
	by(k, cases.SendAnswer, demoAnswers[s.rng.IntN(len(demoAnswers))], answerIn)
	if s.rng.IntN(100) < 40 {
		add(demoDistributor, cases.Command{Action: cases.Close}, s.minutes(60, 2*24*60))
	}
	return first
}

// The demo's invented texts: nothing in them is about a real person.
var demoTexts = map[casetype.Type][]string{
	casetype.BookAppointment:     {"Jag skulle vilja boka en tid för en hälsokontroll.", "Kan jag få en tid hos läkare för ont i knät?"},
	casetype.ChangeAppointment:   {"Jag behöver flytta min tid på torsdag till veckan efter.", "Kan min tid flyttas till en eftermiddag?"},
	casetype.CancelAppointment:   {"Jag vill avboka min tid nästa vecka.", "Avbokar min tid, jag är frisk nu."},
	casetype.RenewPrescription:   {"Jag behöver förnya mitt recept, det tar slut om en vecka."},
	casetype.RenewSickLeave:      {"Mitt sjukintyg går ut på fredag och jag är fortfarande sjuk."},
	casetype.RecordExtract:       {"Jag vill beställa en kopia av min journal från förra året."},
	casetype.AdviceNurse:         {"Mitt barn har haft feber i två dagar, vad ska vi göra?", "Jag har fått utslag på armen, behöver jag komma in?"},
	casetype.AdvicePsychologist:  {"Jag har svårt att sova och känner mig orolig. Kan jag få prata med någon?"},
	casetype.ChangeFamilyDoctor:  {"Jag vill byta fast läkarkontakt på vårdcentralen."},
	casetype.SymptomRegistration: {"Hosta och halsont sedan fyra dagar, ingen feber.", "Ont i ryggen efter träning."},
	casetype.ContactMe:           {"Ring mig gärna på förmiddagen.", "Kan någon kontakta mig om mina provsvar?"},
	catalog.RenewAssistiveDevice: {"Min rullator behöver bytas, hjulen är slitna."},
	catalog.TestResults:          {"Har svaret på blodproverna från förra veckan kommit?"},
	catalog.LifestyleSupport:     {"Jag vill ha hjälp att sluta röka."},
}

// demoTypes are the seeded cases' types: the built-in case types and three
// of the demo unit's services from the catalogue's templates.
var demoTypes = append(slices.Clone(casetype.All), catalog.RenewAssistiveDevice, catalog.TestResults, catalog.LifestyleSupport)

// demoFields are the seeded cases' form answers: names and values of
// central.DefaultForms' fields (the demo unit's forms), so that the case
// page shows them by their labels.
var demoFields = func() map[casetype.Type][]cases.Field {
	answers := map[casetype.Type][]string{ // field name, value, ...
		casetype.BookAppointment:     {"reason", "Kontroll av blodtrycket.", "when", "morning"},
		casetype.ChangeAppointment:   {"current", "2026-12-01", "when", "afternoon"},
		casetype.CancelAppointment:   {"current", "2026-12-15"},
		casetype.RenewPrescription:   {"medicine", "Testmedicin 10 mg", "howOften", "daily"},
		casetype.RenewSickLeave:      {"until", "2026-12-31", "work", "Lärare"},
		casetype.RecordExtract:       {"period", "2025", "delivery", "post"},
		casetype.AdviceNurse:         {"question", "Hosta sedan några dagar.", "since", "days"},
		casetype.AdvicePsychologist:  {"question", "Jag sover dåligt."},
		casetype.ChangeFamilyDoctor:  {"wish", "Ingen särskild"},
		casetype.SymptomRegistration: {"symptoms", "Hosta och halsont.", "fever", "false"},
		casetype.ContactMe:           {"when", "morning"},
		catalog.RenewAssistiveDevice: {"device", "Rullator"},
		catalog.TestResults:          {"kind", "lab"},
		catalog.LifestyleSupport:     {"habit", "tobacco"},
	}
	out := map[casetype.Type][]cases.Field{}
	for _, t := range catalog.Templates() {
		f := t.Service.Form()
		kv := answers[casetype.Type(f.ID)]
		for i := 0; i+1 < len(kv); i += 2 {
			for _, ff := range f.Fields {
				if ff.Name == kv[i] {
					out[casetype.Type(f.ID)] = append(out[casetype.Type(f.ID)], cases.Field{Name: ff.Name, Label: ff.Label.SV, Value: kv[i+1]})
				}
			}
		}
	}
	return out
}()

var demoAnswers = []string{
	"Hej! Du har fått en tid, se under Mina bokningar.",
	"Hej! Receptet är förnyat och finns på apoteket i morgon.",
	"Hej! Vila och drick mycket. Hör av dig igen om det inte blir bättre inom en vecka.",
	"Hej! Vi ringer dig på förmiddagen i morgon.",
	"Hej! Ärendet är åtgärdat.",
}
