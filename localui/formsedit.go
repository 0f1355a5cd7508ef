package localui

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// fieldKinds are the kinds of field the editor offers, in its order.
var fieldKinds = []wire.FieldKind{wire.FieldText, wire.FieldTextarea, wire.FieldDate, wire.FieldSelect, wire.FieldRadio, wire.FieldCheckbox}

// editView is the editor's data.
type editView struct {
	ID, Type  string
	Draft     bool // unpublished edits
	Offered   bool // the published set has this form
	Version   int
	Form      wire.Form
	Fields    []fieldView
	FormErrs  []string
	Focus     int // the field an action was about, -1: none
	MaxFields int
	Full      bool // MaxFields reached
}

// fieldView is one field in the editor.
type fieldView struct {
	I, Num      int
	F           wire.FormField
	Options     string // one per line: value | Swedish | English
	Kinds       []kindOption
	Earlier     []string // earlier fields a condition may name
	ShowField   string
	ShowEquals  string
	Errs        []string
	First, Last bool
}

// kindOption is one choice of the kind select.
type kindOption struct {
	Value    wire.FieldKind // named by sync/wire/wirelabels.FieldKind
	Selected bool
}

// formOf returns the form of case type id to edit: the draft, else the
// published form, else the built-in default.
func (s *Server) formOf(r *http.Request, id string) (f wire.Form, draft, offered bool, err error) {
	set, err := s.cfg.Forms.Current(r.Context())
	if err != nil {
		return f, false, false, err
	}
	cur, offered := findForm(set, id)
	d, draft, err := s.formDraft(r, id, set)
	switch {
	case err != nil:
		return f, false, false, err
	case draft:
		return d, true, offered, nil
	case offered:
		return cur, false, true, nil
	}
	if f, ok := findForm(casetype.DefaultForms(), id); ok {
		return f, false, false, nil
	}
	return s.serviceForm(r, id)
}

// serviceForm is the current form of service id of the catalogue (a new
// service, or a retired one), or an empty form of that id.
func (s *Server) serviceForm(r *http.Request, id string) (wire.Form, bool, bool, error) {
	if s.cfg.Services != nil {
		c, err := s.cfg.Services.Catalog(r.Context())
		if err != nil {
			return wire.Form{}, false, false, err
		}
		if x, ok := c.Find(id); ok {
			return x.Form(), false, false, nil
		}
	}
	return wire.Form{ID: id, Version: 1}, false, false, nil
}

// editID returns the case type in the path, or "" after answering 404.
func (s *Server) editID(w http.ResponseWriter, r *http.Request) string {
	id := r.PathValue("id")
	if !slices.Contains(langOf(r).Types(), casetype.Type(id)) {
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return ""
	}
	return id
}

// formEditor shows one form in the editor.
func (s *Server) formEditor(w http.ResponseWriter, r *http.Request) {
	id := s.editID(w, r)
	if id == "" {
		return
	}
	f, draft, offered, err := s.formOf(r, id)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	focus := -1
	if n, err := strconv.Atoi(r.URL.Query().Get("focus")); err == nil && n >= 0 && n < len(f.Fields) {
		focus = n
	}
	s.renderEditor(w, r, http.StatusOK, f, draft, offered, formErrs{}, focus, "")
}

func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, status int, f wire.Form, draft, offered bool, errs formErrs, focus int, msg string) {
	l := langOf(r)
	v := editView{ID: f.ID, Type: l.Type(casetype.Type(f.ID)), Draft: draft, Offered: offered, Version: f.Version,
		Form: f, FormErrs: problemTexts(errs.form, l), Focus: focus, MaxFields: wire.MaxFormFields, Full: len(f.Fields) >= wire.MaxFormFields}
	for i, ff := range f.Fields {
		fv := fieldView{I: i, Num: i + 1, F: ff, Options: optionsText(ff.Options), Errs: problemTexts(errs.fields[i], l),
			First: i == 0, Last: i == len(f.Fields)-1}
		for _, k := range fieldKinds {
			fv.Kinds = append(fv.Kinds, kindOption{Value: k, Selected: k == ff.Kind})
		}
		if !ff.Kind.Valid() {
			fv.Kinds[0].Selected = true
		}
		for _, e := range f.Fields[:i] {
			if e.Name != "" && (e.Kind == wire.FieldSelect || e.Kind == wire.FieldRadio || e.Kind == wire.FieldCheckbox) {
				fv.Earlier = append(fv.Earlier, e.Name)
			}
		}
		if c := ff.ShowIf; c != nil {
			fv.ShowField, fv.ShowEquals = c.Field, c.Equals
			if !slices.Contains(fv.Earlier, c.Field) {
				fv.Earlier = append(fv.Earlier, c.Field) // kept, and shown wrong, not lost
			}
		}
		v.Fields = append(v.Fields, fv)
	}
	s.formsPage(w, r, status, "formsedit", page{Title: "title.formsEdit", Data: v, Error: msg})
}

// optionsText writes options one per line as the editor shows them.
func optionsText(opts []wire.Option) string {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(o.Value + " | " + o.Label.SV)
		if o.Label.EN != "" {
			b.WriteString(" | " + o.Label.EN)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// parseOptions reads the editor's option lines: "value | Swedish |
// English"; a line with only a value uses it as the Swedish label too.
func parseOptions(text string) []wire.Option {
	var out []wire.Option
	for line := range strings.SplitSeq(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.SplitN(line, "|", 3)
		o := wire.Option{Value: strings.TrimSpace(parts[0])}
		o.Label.SV = o.Value
		if len(parts) > 1 {
			o.Label.SV = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			o.Label.EN = strings.TrimSpace(parts[2])
		}
		out = append(out, o)
	}
	return out
}

// line is a single-line input as posted, trimmed.
func line(r *http.Request, key string) string { return strings.TrimSpace(r.PostFormValue(key)) }

// para is a multi-line input as posted, with LF line breaks, trimmed.
func para(r *http.Request, key string) string {
	return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(key), "\r\n", "\n"))
}

// parseEdit reads the editor's form into base (its ID and version stay).
func parseEdit(r *http.Request, base wire.Form) (wire.Form, error) {
	f := wire.Form{ID: base.ID, Version: base.Version}
	f.Title = wire.Text{SV: line(r, "titleSv"), EN: line(r, "titleEn")}
	f.Intro = wire.Text{SV: para(r, "introSv"), EN: para(r, "introEn")}
	f.AllowGuardian = r.PostFormValue("allowGuardian") == "on"
	n, err := strconv.Atoi(r.PostFormValue("n"))
	if err != nil || n < 0 || n > wire.MaxFormFields {
		return f, fmt.Errorf("edit form %s: field count %q", base.ID, r.PostFormValue("n"))
	}
	for i := range n {
		p := "f" + strconv.Itoa(i) + "."
		ff := wire.FormField{
			Name:     line(r, p+"name"),
			Label:    wire.Text{SV: line(r, p+"labelSv"), EN: line(r, p+"labelEn")},
			Help:     wire.Text{SV: para(r, p+"helpSv"), EN: para(r, p+"helpEn")},
			Kind:     wire.FieldKind(r.PostFormValue(p + "kind")),
			Required: r.PostFormValue(p+"required") == "on",
		}
		if ff.Kind == wire.FieldSelect || ff.Kind == wire.FieldRadio {
			ff.Options = parseOptions(r.PostFormValue(p + "options"))
		}
		if sf := line(r, p+"showField"); sf != "" {
			ff.ShowIf = &wire.Condition{Field: sf, Equals: line(r, p+"showEquals")}
		}
		f.Fields = append(f.Fields, ff)
	}
	return f, nil
}

// formEdit takes the editor's post: it keeps the edits as a draft and
// carries out the button pressed — save, add a field, remove or move one,
// discard the draft, or publish.
func (s *Server) formEdit(w http.ResponseWriter, r *http.Request) {
	id := s.editID(w, r)
	if id == "" {
		return
	}
	l := langOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxEditBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "forms.tooLarge")
		return
	}
	base, _, offered, err := s.formOf(r, id)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	action := r.PostFormValue("action")
	if action == "discard" {
		if err := s.dropDraft(r, id); err != nil {
			s.caseError(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/forms/"+id+"?ok=discarded", http.StatusSeeOther)
		return
	}
	f, err := parseEdit(r, base)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	verb, arg, _ := strings.Cut(action, ":")
	i, _ := strconv.Atoi(arg)
	focus := -1
	switch {
	case verb == "add" && len(f.Fields) < wire.MaxFormFields:
		f.Fields = append(f.Fields, wire.FormField{Kind: wire.FieldText})
		focus = len(f.Fields) - 1
	case verb == "remove" && i >= 0 && i < len(f.Fields):
		f.Fields = slices.Delete(f.Fields, i, i+1)
		focus = min(i, len(f.Fields)-1)
	case verb == "up" && i > 0 && i < len(f.Fields):
		f.Fields[i-1], f.Fields[i] = f.Fields[i], f.Fields[i-1]
		focus = i - 1
	case verb == "down" && i >= 0 && i+1 < len(f.Fields):
		f.Fields[i], f.Fields[i+1] = f.Fields[i+1], f.Fields[i]
		focus = i + 1
	case verb == "save", verb == "publish":
	default:
		s.fail(w, r, http.StatusBadRequest, "err.invalid")
		return
	}
	if err := s.saveDraft(r, f); err != nil {
		s.caseError(w, r, err)
		return
	}
	if verb != "publish" {
		to := "/admin/forms/" + id + "?ok=saved"
		if focus >= 0 {
			to += "&focus=" + strconv.Itoa(focus) + "#field-" + strconv.Itoa(focus)
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	if errs := checkForm(f); !errs.ok() {
		s.renderEditor(w, r, http.StatusBadRequest, f, true, offered, errs, -1, l.T("forms.notPublished"))
		return
	}
	set, err := s.cfg.Forms.Current(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	set = withForm(set, f, langOf(r).Types())
	if err := s.cfg.Forms.Publish(r.Context(), set); err != nil {
		var p *wire.Problem
		if !errors.As(err, &p) {
			s.caseError(w, r, err)
			return
		}
		s.renderEditor(w, r, http.StatusBadRequest, f, true, offered, formErrs{form: []problem{{"forms.err.rule", []any{p.Detail}}}}, -1, l.T("forms.notPublished"))
		return
	}
	if err := s.dropDraft(r, id); err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("form published", "hsaId", sessionOf(r).Staff.HSAID, "form", id, "fields", len(f.Fields))
	http.Redirect(w, r, "/admin/forms?ok=published", http.StatusSeeOther)
}

// withForm returns set with f in place of the form of its type (or added,
// in the given order, the unit's services'), its version raised above the replaced
// form's if it changed.
func withForm(set wire.FormSet, f wire.Form, order []casetype.Type) wire.FormSet {
	out := wire.FormSet{}
	placed := false
	for _, t := range order {
		if string(t) == f.ID {
			if c, ok := findForm(set, f.ID); ok {
				f.Version = c.Version
				if !sameForm(c, f) && c.Version < wire.MaxFormVersion {
					f.Version = c.Version + 1
				}
			} else if f.Version < 1 {
				f.Version = 1
			}
			out.Forms = append(out.Forms, f)
			placed = true
			continue
		}
		if c, ok := findForm(set, string(t)); ok {
			out.Forms = append(out.Forms, c)
		}
	}
	if !placed {
		out.Forms = append(out.Forms, f)
	}
	return out
}

// formErrs are what is wrong with a form: about the form itself, and per
// field by index.
type formErrs struct {
	form   []problem
	fields map[int][]problem
}

// problem is one thing wrong with a form: a text of the catalogue and its
// arguments, shown in the reader's language; an argument that is itself a
// problem is shown in the same language.
type problem struct {
	key  string
	args []any
}

func prob(key string, args ...any) problem { return problem{key, args} }

// in is p in l.
func (p problem) in(l lang) string {
	args := make([]any, len(p.args))
	for i, a := range p.args {
		if q, ok := a.(problem); ok {
			a = q.in(l)
		}
		args[i] = a
	}
	return l.T(p.key, args...)
}

// problemTexts are ps in l.
func problemTexts(ps []problem, l lang) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.in(l))
	}
	return out
}

func (e formErrs) ok() bool { return len(e.form) == 0 && len(e.fields) == 0 }

func (e *formErrs) field(i int, p problem) {
	if e.fields == nil {
		e.fields = map[int][]problem{}
	}
	e.fields[i] = append(e.fields[i], p)
}

// checkForm checks f by the sync protocol's rules (sync/wire's Form
// Validate) and says, per field, what breaks them; whatever
// it misses wire's own check catches, named by its position.
func checkForm(f wire.Form) formErrs {
	var e formErrs
	if p, bad := textProblem(f.Title, wire.MaxLabelLen, true, false); bad {
		e.form = append(e.form, prob("forms.err.title", p))
	}
	if p, bad := textProblem(f.Intro, wire.MaxHelpLen, false, true); bad {
		e.form = append(e.form, prob("forms.err.intro", p))
	}
	if len(f.Fields) > wire.MaxFormFields {
		e.form = append(e.form, prob("forms.err.tooManyFields", wire.MaxFormFields))
	}
	kinds := map[string]wire.FormField{}
	for i, ff := range f.Fields {
		switch {
		case !validToken(ff.Name):
			e.field(i, prob("forms.err.name", wire.MaxIDLen))
		case kinds[ff.Name].Name != "":
			e.field(i, prob("forms.err.nameTaken"))
		}
		if p, bad := textProblem(ff.Label, wire.MaxLabelLen, true, false); bad {
			e.field(i, prob("forms.err.label", p))
		}
		if p, bad := textProblem(ff.Help, wire.MaxHelpLen, false, true); bad {
			e.field(i, prob("forms.err.help", p))
		}
		choice := ff.Kind == wire.FieldSelect || ff.Kind == wire.FieldRadio
		switch {
		case !ff.Kind.Valid():
			e.field(i, prob("forms.err.kind"))
		case choice && (len(ff.Options) == 0 || len(ff.Options) > wire.MaxOptions):
			e.field(i, prob("forms.err.options", wire.MaxOptions))
		}
		values := map[string]bool{}
		for j, o := range ff.Options {
			switch {
			case !validToken(o.Value):
				e.field(i, prob("forms.err.optionValue", j+1, wire.MaxIDLen))
			case values[o.Value]:
				e.field(i, prob("forms.err.optionTaken", j+1))
			}
			values[o.Value] = true
			if p, bad := textProblem(o.Label, wire.MaxLabelLen, true, false); bad {
				e.field(i, prob("forms.err.optionLabel", j+1, p))
			}
		}
		if c := ff.ShowIf; c != nil {
			ref, ok := kinds[c.Field]
			switch {
			case !ok:
				e.field(i, prob("forms.err.showIfMissing"))
			case ref.Kind == wire.FieldCheckbox:
				if c.Equals != "true" && c.Equals != "false" {
					e.field(i, prob("forms.err.showIfCheckbox", c.Field))
				}
			case ref.Kind == wire.FieldSelect || ref.Kind == wire.FieldRadio:
				if !slices.ContainsFunc(ref.Options, func(o wire.Option) bool { return o.Value == c.Equals }) {
					var vals []string
					for _, o := range ref.Options {
						vals = append(vals, o.Value)
					}
					e.field(i, prob("forms.err.showIfOption", c.Field, strings.Join(vals, ", ")))
				}
			default:
				e.field(i, prob("forms.err.showIfKind"))
			}
		}
		if ff.Name != "" && kinds[ff.Name].Name == "" {
			kinds[ff.Name] = ff
		}
	}
	if e.ok() {
		if err := f.Validate(); err != nil {
			detail := err.Error()
			var p *wire.Problem
			if errors.As(err, &p) {
				detail = p.Detail
			}
			e.form = append(e.form, prob("forms.err.rule", detail))
		}
	}
	return e
}

// validToken is the protocol's rule for names and values: 1..MaxIDLen of
// A–Z a–z 0–9 . _ -.
func validToken(s string) bool {
	if s == "" || len(s) > wire.MaxIDLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// textProblem says what is wrong with a text; bad is false when nothing
// is.
func textProblem(t wire.Text, max int, required, multiline bool) (p problem, bad bool) {
	switch {
	case required && strings.TrimSpace(t.SV) == "":
		return prob("forms.err.svRequired"), true
	case !required && t.SV == "" && t.EN != "":
		return prob("forms.err.enNeedsSv"), true
	}
	for _, s := range []string{t.SV, t.EN} {
		if utf8.RuneCountInString(s) > max {
			return prob("forms.err.textTooLong", max), true
		}
		if wire.CheckText(s, max, multiline) != "" {
			if multiline {
				return prob("forms.err.badChars"), true
			}
			return prob("forms.err.badLine"), true
		}
	}
	return problem{}, false
}
