package central

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"clinicgw/sync/bidi"
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
)

// view is what every page template gets; each page uses its part.
type view struct {
	Title    string // the page's h1 and <title>
	User     string // the logged-in person's name; "" on the login page
	Error    string // a Swedish error shown at the top
	Notice   string // a Swedish confirmation shown at the top
	PNRValue string // login: what was typed, on a failed attempt
	Name     string // login: likewise

	Cases []caseRow   // start
	Units []unitRow   // units
	Unit  unitRow     // forms, form
	Forms []wire.Form // forms
	Form  *formView   // form
	Case  *PatientCase
	// FollowUpText keeps a refused follow-up's text.
	FollowUpText string
	// Contact is the unit's contact details (forms, case); nil: none
	// published.
	Contact *wire.UnitContact
	// Booking is the online booking pages' part (bookingpages.go).
	Booking *bookingView
	// Bookable: the unit takes online bookings (forms: the link).
	Bookable bool
	// Reminder is the reminder choice's page (reminders.go).
	Reminder *reminderView
}

// contact returns the unit's published contact details, nil if it has
// none. A failure to read them costs the page nothing else: it is logged
// and the page shows none.
func (w *web) contact(r *http.Request, unit string) *wire.UnitContact {
	c, err := w.s.Contact(r.Context(), unit)
	if err != nil {
		w.s.log.Error("read the unit's contact details", "unit", unit, "err", err)
		return nil
	}
	if c.IsZero() {
		return nil
	}
	return &c
}

type caseRow struct {
	PatientCase
	New bool // the unit wrote since the person last looked
}

type unitRow struct {
	ID   string
	Name string
}

// formView is a form with the patient's answers so far.
type formView struct {
	ID            string
	Title         string
	Intro         string
	AnswerDays    int    // the unit's answer rule for the service, in working days
	AnswerNote    string // why it is longer than two working days, if it is
	AllowGuardian bool
	Fields        []fieldView
	Text          string
	AsGuardian    bool
	ChildPNR      string
	ChildName     string
}

type fieldView struct {
	wire.FormField
	ID       string // the input's id: "f-" + name
	Input    string // the input's name: "f." + name
	HelpID   string
	Value    string
	Checked  bool
	ShowNote string // "Fyll i om …" for a conditional field
	Options  []optionView
}

type optionView struct {
	Value, Label string
	Selected     bool
}

// swedish is the catalogue's (sync/i18n) text for key in Swedish, the
// reference store's language, with args in place of its verbs.
func swedish(key string, args ...any) string { return i18n.T("sv", key, args...) }

// render writes a page with the given status.
func (w *web) render(rw http.ResponseWriter, status int, page string, v view) {
	var buf bytes.Buffer
	if err := w.pages[page].Execute(&buf, v); err != nil {
		w.s.log.Error("render page", "page", page, "err", err)
		http.Error(rw, swedish("central.err.render"), http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	// Every page passes here: bidi controls in what patients and staff
	// wrote are neutralised once, for every template.
	_, _ = rw.Write(bidi.NeutraliseHTML(buf.Bytes()))
}

func (w *web) errorPage(rw http.ResponseWriter, r *http.Request, status int, msg string) {
	v := view{Title: swedish("central.title.error"), Error: msg}
	if _, sess := w.current(r); sess != nil {
		v.User = sess.name
	}
	w.render(rw, status, "error", v)
}

// failure answers a store error: the person's own mistakes in Swedish,
// anything else as a server error (logged without patient data).
func (w *web) failure(rw http.ResponseWriter, r *http.Request, op string, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.err.notFound"))
	case errors.Is(err, ErrUnknownUnit):
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.err.noUnit"))
	case errors.Is(err, ErrUnknownForm):
		w.errorPage(rw, r, http.StatusNotFound, swedish("central.err.noForm"))
	case errors.Is(err, ErrNotAllowed):
		w.errorPage(rw, r, http.StatusConflict, swedish("central.err.notAllowed"))
	default:
		w.s.log.Error("patient page failed", "op", op, "err", err)
		w.errorPage(rw, r, http.StatusInternalServerError, swedish("central.err.generic"))
	}
}

func (w *web) loginPage(rw http.ResponseWriter, r *http.Request) {
	v := view{Title: swedish("central.title.login")}
	if r.URL.Query().Get("raderat") != "" { // account.go
		v.Notice = swedish("central.page.account.deleted")
	}
	w.render(rw, http.StatusOK, "login", v)
}

func (w *web) login(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		w.errorPage(rw, r, http.StatusBadRequest, swedish("central.err.badForm"))
		return
	}
	typed, name := r.PostForm.Get("pnr"), strings.TrimSpace(r.PostForm.Get("name"))
	p, err := person("login", typed, name, w.s.now())
	if err != nil {
		msg := swedish("central.login.check")
		if ie, ok := errors.AsType[*InputError](err); ok {
			msg = ie.Swedish
		}
		w.render(rw, http.StatusBadRequest, "login", view{Title: swedish("central.title.login"), Error: msg, PNRValue: typed, Name: name})
		return
	}
	old, _ := w.current(r)
	id, err := w.newSession(old, p.PNR, p.Name)
	if err != nil {
		w.failure(rw, r, "login", err)
		return
	}
	w.s.log.Info("patient logged in")
	setSessionCookie(rw, id, 0)
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

func (w *web) logout(rw http.ResponseWriter, r *http.Request) {
	if id, _ := w.current(r); id != "" {
		w.endSession(id)
	}
	setSessionCookie(rw, "", -1)
	http.Redirect(rw, r, "/logga-in", http.StatusSeeOther)
}

func (w *web) start(rw http.ResponseWriter, r *http.Request, sess *session) {
	list, err := w.s.PatientCases(r.Context(), sess.pnr)
	if err != nil {
		w.failure(rw, r, "list", err)
		return
	}
	v := view{Title: swedish("central.title.start"), User: sess.name}
	for _, c := range list {
		v.Cases = append(v.Cases, caseRow{PatientCase: c, New: w.unseen(sess.pnr, c)})
	}
	w.render(rw, http.StatusOK, "start", v)
}

func (w *web) unitRow(id string) unitRow { return unitRow{ID: id, Name: w.s.UnitName(id)} }

func (w *web) units(rw http.ResponseWriter, r *http.Request, sess *session) {
	v := view{Title: swedish("central.title.units"), User: sess.name}
	for _, u := range w.s.units {
		v.Units = append(v.Units, w.unitRow(u))
	}
	w.render(rw, http.StatusOK, "units", v)
}

func (w *web) forms(rw http.ResponseWriter, r *http.Request, sess *session) {
	unit := r.PathValue("unit")
	set, err := w.s.Forms(r.Context(), unit)
	if err != nil {
		w.failure(rw, r, "forms", err)
		return
	}
	v := view{Title: swedish("central.title.forms"), User: sess.name, Unit: w.unitRow(unit), Forms: set.Forms, Contact: w.contact(r, unit),
		Bookable: w.s.TakesBookings(r.Context(), unit)}
	w.render(rw, http.StatusOK, "forms", v)
}

// lookupForm finds the form of the request's path.
func (w *web) lookupForm(r *http.Request) (wire.Form, error) {
	set, err := w.s.Forms(r.Context(), r.PathValue("unit"))
	if err != nil {
		return wire.Form{}, err
	}
	f, ok := findForm(set, r.PathValue("form"))
	if !ok {
		return wire.Form{}, ErrUnknownForm
	}
	return f, nil
}

func (w *web) formPage(rw http.ResponseWriter, r *http.Request, sess *session) {
	form, err := w.lookupForm(r)
	if err != nil {
		w.failure(rw, r, "form", err)
		return
	}
	unit := r.PathValue("unit")
	v := view{Title: form.Title.SV, User: sess.name, Unit: w.unitRow(unit), Form: newFormView(form, nil, "")}
	if err := w.withAnswerRule(r.Context(), unit, v.Form); err != nil {
		w.failure(rw, r, "form", err)
		return
	}
	w.render(rw, http.StatusOK, "form", v)
}

// withAnswerRule tells fv the unit's answer rule for its service: the
// catalogue's (protocol v2) or the e-services' two working days.
func (w *web) withAnswerRule(ctx context.Context, unit string, fv *formView) error {
	rules, err := w.s.AnswerRules(ctx, unit)
	if err != nil {
		return err
	}
	fv.AnswerDays = wire.DefaultAnswerDays
	if p, ok := rules[fv.ID]; ok {
		fv.AnswerDays, fv.AnswerNote = p.AnswerDays, p.AnswerNote.SV
	}
	return nil
}

// newFormView prepares a form for the template with the answers given.
func newFormView(form wire.Form, values map[string]string, text string) *formView {
	fv := &formView{ID: form.ID, Title: form.Title.SV, Intro: form.Intro.SV, AllowGuardian: form.AllowGuardian, Text: text}
	for _, ff := range form.Fields {
		f := fieldView{FormField: ff, ID: "f-" + ff.Name, Input: "f." + ff.Name, HelpID: "f-" + ff.Name + "-hjalp", Value: values[ff.Name]}
		f.Checked = ff.Kind == wire.FieldCheckbox && f.Value == "true"
		for _, o := range ff.Options {
			f.Options = append(f.Options, optionView{Value: o.Value, Label: o.Label.SV, Selected: o.Value == f.Value})
		}
		if c := ff.ShowIf; c != nil {
			f.ShowNote = conditionNote(form, *c)
		}
		fv.Fields = append(fv.Fields, f)
	}
	return fv
}

// conditionNote says in Swedish when a conditional field applies.
func conditionNote(form wire.Form, c wire.Condition) string {
	for _, ff := range form.Fields {
		if ff.Name != c.Field {
			continue
		}
		label := quote(ff.Label.SV)
		if ff.Kind == wire.FieldCheckbox {
			if c.Equals == "true" {
				return swedish("central.when.checked", label)
			}
			return swedish("central.when.unchecked", label)
		}
		for _, o := range ff.Options {
			if o.Value == c.Equals {
				return swedish("central.when.answered", quote(o.Label.SV), label)
			}
		}
	}
	return swedish("central.when.applies")
}

func (w *web) submit(rw http.ResponseWriter, r *http.Request, sess *session) {
	form, err := w.lookupForm(r)
	if err != nil {
		w.failure(rw, r, "submit", err)
		return
	}
	unit := r.PathValue("unit")
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		w.errorPage(rw, r, http.StatusBadRequest, swedish("central.err.bigForm"))
		return
	}
	pf := r.PostForm
	values := make(map[string]string)
	var fields []wire.Field
	for _, ff := range form.Fields {
		v := pf.Get("f." + ff.Name)
		if ff.Kind == wire.FieldCheckbox {
			v = "false"
			if pf.Get("f."+ff.Name) != "" {
				v = "true"
			}
		}
		values[ff.Name] = v
		fields = append(fields, wire.Field{Name: ff.Name, Value: v})
	}
	sub := Submission{PatientPNR: sess.pnr, PatientName: sess.name, FormID: form.ID, Fields: fields, Text: pf.Get("text")}
	asGuardian := form.AllowGuardian && pf.Get("guardian") != ""
	if asGuardian {
		sub.PatientPNR, sub.PatientName = pf.Get("childPnr"), pf.Get("childName")
		sub.GuardianPNR, sub.GuardianName = sess.pnr, sess.name
	}
	id, err := w.s.Submit(r.Context(), unit, sub)
	if ie, ok := errors.AsType[*InputError](err); ok {
		fv := newFormView(form, values, sub.Text)
		if err := w.withAnswerRule(r.Context(), r.PathValue("unit"), fv); err != nil {
			w.failure(rw, r, "form", err)
			return
		}
		if asGuardian {
			fv.AsGuardian, fv.ChildPNR, fv.ChildName = true, sub.PatientPNR, sub.PatientName
		}
		if strings.HasPrefix(ie.Field, "patient") && asGuardian {
			ie.Swedish = swedish("central.childData", ie.Swedish)
		}
		w.render(rw, http.StatusBadRequest, "form", view{Title: form.Title.SV, User: sess.name, Unit: w.unitRow(unit), Form: fv, Error: ie.Swedish})
		return
	}
	if err != nil {
		w.failure(rw, r, "submit", err)
		return
	}
	http.Redirect(rw, r, "/arenden/"+id, http.StatusSeeOther)
}

func (w *web) casePage(rw http.ResponseWriter, r *http.Request, sess *session) {
	c, err := w.s.PatientCase(r.Context(), sess.pnr, r.PathValue("id"))
	if err != nil {
		w.failure(rw, r, "case", err)
		return
	}
	w.markSeen(sess.pnr, c.ID, c.StaffMessages())
	w.render(rw, http.StatusOK, "case", view{Title: c.Title, User: sess.name, Case: &c, Contact: w.contact(r, c.Unit)})
}

func (w *web) followUp(rw http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		w.errorPage(rw, r, http.StatusBadRequest, swedish("central.err.bigForm"))
		return
	}
	text := r.PostForm.Get("text")
	err := w.s.FollowUp(r.Context(), sess.pnr, id, text)
	if ie, ok := errors.AsType[*InputError](err); ok {
		c, cerr := w.s.PatientCase(r.Context(), sess.pnr, id)
		if cerr != nil {
			w.failure(rw, r, "follow-up", cerr)
			return
		}
		w.render(rw, http.StatusBadRequest, "case", view{Title: c.Title, User: sess.name, Case: &c, Error: ie.Swedish, FollowUpText: text})
		return
	}
	if err != nil {
		w.failure(rw, r, "follow-up", err)
		return
	}
	http.Redirect(rw, r, "/arenden/"+id, http.StatusSeeOther)
}

func (w *web) withdraw(rw http.ResponseWriter, r *http.Request, sess *session) {
	id := r.PathValue("id")
	if err := w.s.Withdraw(r.Context(), sess.pnr, id); err != nil {
		w.failure(rw, r, "withdraw", err)
		return
	}
	http.Redirect(rw, r, "/arenden/"+id, http.StatusSeeOther)
}
