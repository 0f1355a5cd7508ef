package localui

import (
	"errors"
	"net/http"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// newCaseData is what the "new message to a patient" page shows: the
// types to choose from and, after a refused attempt, what was written
// (never the personnummer, which the person types again).
type newCaseData struct {
	Types     []casetype.Type
	ID        cases.ID // the case id every retry of this form sends
	Type      casetype.Type
	Subject   string
	Text      string
	Reply     bool
	Signature string
	Field     string // the field a refusal is about, for aria-invalid
}

// mayInitiate reports whether a session may start a case with a patient:
// clinicians and the message administrator.
func mayInitiate(actor cases.Actor) bool {
	return actor.Has(cases.Clinician) || actor.Has(cases.Distributor)
}

// newCasePage shows the form for a message to a patient that starts a
// case (invånarärende).
func (s *Server) newCasePage(w http.ResponseWriter, r *http.Request) {
	actor := actorOf(sessionOf(r))
	if !mayInitiate(actor) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	id, err := s.cfg.Cases.NewCaseID()
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	prefs, err := s.prefs(r, actor.HSAID)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	d := newCaseData{Types: langOf(r).Types(), ID: id, Type: casetype.ContactMe, Reply: true, Signature: prefs.Signature}
	s.render(w, r, http.StatusOK, "newcase", page{Title: "title.newCase", Nav: "newcase", Data: d})
}

// newCase starts the case and shows it. The personnummer comes only in
// the body and goes only to the case service; a refusal shows the form
// again with the service's words and without it.
func (s *Server) newCase(w http.ResponseWriter, r *http.Request) {
	sess := sessionOf(r)
	actor := actorOf(sess)
	if !mayInitiate(actor) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	prefs, err := s.prefs(r, actor.HSAID)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	req := cases.InitiateRequest{
		ID:           cases.ID(r.PostFormValue("id")),
		Patient:      cases.Person{PNR: personnummer.Personnummer(strings.TrimSpace(r.PostFormValue("pnr")))},
		Type:         casetype.Type(r.PostFormValue("type")),
		Subject:      r.PostFormValue("subject"),
		Text:         strings.ReplaceAll(r.PostFormValue("text"), "\r\n", "\n"),
		Signature:    prefs.Signature,
		AuthorTitle:  sess.Staff.Title,
		ReplyAllowed: r.PostFormValue("reply") == "on",
	}
	c, err := s.cfg.Cases.Initiate(r.Context(), actor, req)
	var ve *cases.ValidationError
	if errors.As(err, &ve) && !wantsJSON(r) {
		l := langOf(r)
		msg := l.T("err.invalid")
		if l.Code == "sv" {
			msg = ve.Swedish()
		}
		d := newCaseData{Types: langOf(r).Types(), ID: req.ID, Type: req.Type, Subject: req.Subject, Text: req.Text,
			Reply: req.ReplyAllowed, Signature: prefs.Signature, Field: ve.Field}
		if ve.Field == "id" {
			d.ID, _ = s.cfg.Cases.NewCaseID()
		}
		s.render(w, r, http.StatusBadRequest, "newcase", page{Title: "title.newCase", Nav: "newcase", Error: msg, Data: d})
		return
	}
	if errors.Is(err, cases.ErrExists) {
		s.fail(w, r, http.StatusConflict, "err.conflict")
		return
	}
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+string(c.ID)+"?ok=initiated", http.StatusSeeOther)
}
