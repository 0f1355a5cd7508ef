package localui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
	wirelabels "clinicgw/sync/wire/labels"
)

// caseData is what the case page shows.
type caseData struct {
	C       *cases.Case
	Overdue bool
	// Delayed says the patient sent the case (the central store's time of
	// record) a minute or more before it arrived here: the page shows
	// both, since the due date counts from the first.
	Delayed    bool
	Names      map[string]string // HSA-ID → name, for the thread and history
	Clinicians []Member
	// Holder is the clinician the case is assigned to, with their leave;
	// Leave, when the holder is on leave and the viewer may distribute,
	// offers the clinicians to move it to in one click.
	Holder     Member
	Leave      leaveData
	Distribute bool // the viewer may assign, move or take it back
	Answer     bool // the viewer is the assigned clinician and may answer
	BookTime   bool // and may book a time from it in the diary (diarycase.go)
	HandBack   bool
	CanClose   bool
	Signature  string
	Standard   []standardAnswer
	// Form is the unit's form of the case's type, to show the answers
	// by (nil: none, or no form store).
	Form *wire.Form
	// Online says the gateway syncs with a central store: then each staff
	// message says whether the central store has confirmed it (Unsent:
	// the ids it has not), and Delivery is the state of the latest one,
	// "queued" or "sent" ("" when there is none).
	Online   bool
	Unsent   map[string]bool
	Delivery string
	// JustSent is the ?ok= flash of a message just sent ("sent" or
	// "initiated"): the page says whether it reached the patient, and
	// says it again, live, when the central store confirms it.
	JustSent string
	// Route is what the page offers about staff groups' queues (queue.go).
	Route routeData
}

// delivery fills in whether the central store has confirmed each staff
// message of the case: a message waits in the outbox until it has.
func (s *Server) delivery(r *http.Request, d *caseData) error {
	if s.cfg.Sync == nil || !s.cfg.Sync().Online {
		return nil
	}
	var ids []string
	for _, m := range d.C.Messages {
		if m.Kind != cases.FromPatient {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	unsent, err := s.cfg.Cases.Unsent(r.Context(), ids)
	if err != nil {
		return err
	}
	d.Online, d.Unsent, d.Delivery = true, unsent, "sent"
	if unsent[ids[len(ids)-1]] {
		d.Delivery = "queued"
	}
	return nil
}

// casePage shows one case. The case service decides whether the viewer
// may see it and writes the access log, allowed or not.
func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	actor := actorOf(sess)
	c, err := s.cfg.Cases.Get(r.Context(), actor, cases.ID(r.PathValue("id")))
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	now := s.clock.Now()
	d := caseData{C: c, Overdue: c.Status.Open() && cases.IsOverdue(c.DueAt, now), Names: map[string]string{},
		Delayed: !c.SentAt.IsZero() && c.ReceivedAt.Sub(c.SentAt) >= time.Minute}
	for _, m := range c.Messages {
		d.Names[m.Author] = s.cfg.Directory.Name(m.Author)
	}
	for _, r := range c.Refs {
		d.Names[r.By] = s.cfg.Directory.Name(r.By)
	}
	for _, e := range c.History {
		d.Names[e.Actor] = s.cfg.Directory.Name(e.Actor)
		if e.Assignee != "" {
			d.Names[e.Assignee] = s.cfg.Directory.Name(e.Assignee)
		}
	}
	if len(c.Fields) > 0 && s.cfg.Services != nil {
		// The version of the service the case was written on, whatever the
		// service became since (changed, retired).
		cat, err := s.cfg.Services.Catalog(r.Context())
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		if x, ok := cat.Lookup(string(c.Type), c.ServiceVersion); ok {
			f := x.Form()
			d.Form = &f
		}
	} else if len(c.Fields) > 0 && s.cfg.Forms != nil {
		set, err := s.cfg.Forms.Current(r.Context())
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		d.Form = wirelabels.FindForm(set, c.Type)
	}
	mine := actor.Has(cases.Clinician) && c.Assignee == actor.HSAID
	answering := c.Status == cases.Assigned || c.Status == cases.PartiallyAnswered
	d.Distribute = actor.Has(cases.Distributor) && c.Status != cases.Withdrawn && c.Status != cases.Answered && c.Status != cases.Closed
	d.Answer = mine && answering
	d.BookTime = d.Answer && s.cfg.Diary != nil && s.cfg.DiaryLog != nil && caseBookable(c) // diarycase.go
	d.HandBack = mine && answering
	d.CanClose = c.Status == cases.Answered && (mine || actor.Has(cases.Distributor))
	d.Route = s.routeFor(actor, c) // queue.go
	all := s.cfg.Directory.Clinicians(now)
	if d.Distribute {
		d.Clinicians = all
	}
	for _, m := range all {
		if c.Assignee != "" && m.HSAID == c.Assignee {
			d.Holder = m
		}
	}
	if d.Distribute && d.Holder.OnLeave && c.Status.Open() {
		d.Leave = leaveData{Path: "/cases/" + string(c.ID) + "/reassign", Verb: "reassign", Field: "assignee",
			Hidden: [][2]string{{"version", strconv.FormatUint(c.Version, 10)}, {"current", c.Assignee}},
			Chosen: d.Holder, Others: available(all, c.Assignee), Back: "/cases/" + string(c.ID)}
	}
	if d.Answer {
		prefs, err := s.prefs(r, actor.HSAID)
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		d.Signature = prefs.Signature
		if d.Standard, err = s.standardAnswers(r); err != nil {
			s.caseError(w, r, err)
			return
		}
	}
	if err := s.delivery(r, &d); err != nil {
		s.caseError(w, r, err)
		return
	}
	p := page{Title: "title.case", Nav: "case", Live: "case:" + string(c.ID)}
	if ok := r.URL.Query().Get("ok"); (ok == "sent" || ok == "initiated") && d.Online {
		d.JustSent, p.flashHere = ok, true
	}
	p.Data = d
	if actor.Has(cases.Distributor) {
		p.Nav = "inbox"
	} else if mine {
		p.Nav = "mine"
	}
	if r.URL.Query().Get("part") == "case" {
		s.fragment(w, r, "case", "casebody", p)
		return
	}
	s.render(w, r, http.StatusOK, "case", p)
}

// caseAction does one workflow step from the case page or a list.
func (s *Server) caseAction(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	actor := actorOf(sess)
	id := cases.ID(r.PathValue("id"))
	version, _ := strconv.ParseUint(r.PostFormValue("version"), 10, 64)
	cmd := cases.Command{Version: version}
	flash := ""
	switch r.PathValue("action") {
	case "assign":
		cmd.Action, cmd.Assignee, flash = cases.Assign, r.PostFormValue("assignee"), "assigned"
	case "reassign":
		cmd.Action, cmd.Assignee, flash = cases.Reassign, r.PostFormValue("assignee"), "reassigned"
	case "take-back":
		cmd.Action, flash = cases.TakeBack, "taken-back"
	case "hand-back":
		cmd.Action, flash = cases.HandBack, "handed-back"
	case "close":
		cmd.Action, flash = cases.Close, "closed"
	case "send":
		switch r.PostFormValue("kind") {
		case "answer":
			cmd.Action = cases.SendAnswer
		case "partial":
			cmd.Action = cases.SendPartial
		case "counter":
			cmd.Action = cases.SendCounter
		default:
			s.fail(w, r, http.StatusBadRequest, "err.invalid")
			return
		}
		flash = "sent"
		cmd.Text = strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n")
		prefs, err := s.prefs(r, actor.HSAID)
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		cmd.Signature, cmd.AuthorTitle = prefs.Signature, sess.Staff.Title
	default:
		s.fail(w, r, http.StatusNotFound, "err.notFound")
		return
	}
	if cmd.Assignee != "" {
		m, ok := s.clinician(cmd.Assignee)
		if !ok {
			s.fail(w, r, http.StatusBadRequest, "err.invalid")
			return
		}
		if m.OnLeave && actor.Has(cases.Distributor) {
			// Only for a case the viewer may see (a refusal is logged).
			if err := s.cfg.Cases.Authorize(r.Context(), actor, id); err != nil {
				s.caseError(w, r, err)
				return
			}
			if s.warnLeave(w, r, m, caseLeave(r, id, r.PathValue("action"))) {
				return
			}
		}
	}
	c, err := s.cfg.Cases.Do(r.Context(), actor, id, cmd)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	back := "/cases/" + string(c.ID)
	switch {
	case r.PostFormValue("from") == "inbox":
		back = "/inbox"
	case !cases.CanRead(actor, c):
		back = homeOf(sess.Staff) // handed back: no longer theirs to see
	}
	http.Redirect(w, r, back+"?ok="+flash, http.StatusSeeOther)
}

func errorsIsConflict(err error) bool {
	return errors.Is(err, cases.ErrConflict) || errors.Is(err, cases.ErrIllegalTransition)
}
