package localui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/central"
	"clinicgw/sync/wire"
)

// FormStore keeps the unit's forms for the form designer (agent's form
// keeper): the set in use, kept in the sealed store and published to the
// central store.
type FormStore interface {
	// Current returns the unit's forms as published (or to be published
	// at the next connect).
	Current(ctx context.Context) (wire.FormSet, error)
	// Publish checks set by the sync protocol's rules, keeps it and
	// publishes it to the central store. A set that breaks a rule is
	// refused with a *wire.Problem and nothing changes.
	Publish(ctx context.Context, set wire.FormSet) error
	// Delivery tells whether the central store has the set.
	Delivery() FormsDelivery
}

// FormsDelivery says how far the unit's forms have reached the central
// store.
type FormsDelivery struct {
	Online      bool      // a central store is configured
	Pending     bool      // the latest set has not reached it yet
	PublishedAt time.Time // when it last took the set (zero: not since start)
}

// Limits of the form designer.
const (
	// maxImportBytes bounds an imported JSON file.
	maxImportBytes = 512 << 10
	// maxEditBytes bounds an editor post (one form with all its fields).
	maxEditBytes = 512 << 10
)

// Settings keys of the designer's own state: no patient data.
const (
	formDraftPrefix = "forms/draft/" // + case type: an edited, unpublished wire.Form
	formImportKey   = "forms/import" // an uploaded set waiting for confirmation
)

// formsFlash are the designer's own confirmations, by the ok parameter.
var formsFlash = map[string]string{
	"published": "forms.okPublished", "imported": "forms.okImported",
	"saved": "forms.okSaved", "discarded": "forms.okDiscarded",
}

// formsAdmin serves h to the unit administrator only; the others get 403,
// and without a form store every page of the designer is 404.
func (s *Server) formsAdmin(h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(func(w http.ResponseWriter, r *http.Request) {
		if !sessionOf(r).Actor().Has(cases.UnitAdmin) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if s.cfg.Forms == nil {
			s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
			return
		}
		h(w, r)
	})
}

// formsPage renders a designer page with the designer's own flash.
func (s *Server) formsPage(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	if k, ok := formsFlash[r.URL.Query().Get("ok")]; ok && p.Error == "" {
		p.Flash = langOf(r).T(k)
	}
	p.Nav = "forms"
	s.render(w, r, status, name, p)
}

// formRow is one case type on the list of forms.
type formRow struct {
	ID, Type, Title string
	Fields          int
	Version         int
	Offered         bool // the published set has a form for it
	Draft           bool // edited and not published
}

// formsView is the list page's data.
type formsView struct {
	Rows      []formRow
	Delivery  FormsDelivery
	ImportErr []string
	MaxKiB    int
}

// formsList shows one row per case type.
func (s *Server) formsList(w http.ResponseWriter, r *http.Request) {
	s.renderList(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderList(w http.ResponseWriter, r *http.Request, status int, msg string, importErr []string) {
	l := langOf(r)
	set, err := s.cfg.Forms.Current(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	v := formsView{Delivery: s.cfg.Forms.Delivery(), ImportErr: importErr, MaxKiB: maxImportBytes >> 10}
	for _, t := range cases.Types {
		row := formRow{ID: string(t), Type: l.Type(t)}
		f, ok := findForm(set, string(t))
		if ok {
			row.Offered, row.Title, row.Fields, row.Version = true, textIn(f.Title, l), len(f.Fields), f.Version
		}
		if d, ok, err := s.formDraft(r, string(t), set); err != nil {
			s.caseError(w, r, err)
			return
		} else if ok {
			row.Draft, row.Title, row.Fields = true, textIn(d.Title, l), len(d.Fields)
		}
		v.Rows = append(v.Rows, row)
	}
	s.formsPage(w, r, status, "forms", page{Title: "title.forms", Data: v, Error: msg})
}

// textIn is t in l's language, Swedish when there is no English.
func textIn(t wire.Text, l lang) string {
	if l.Code == "en" && t.EN != "" {
		return t.EN
	}
	return t.SV
}

// findForm returns the form of case type id in set.
func findForm(set wire.FormSet, id string) (wire.Form, bool) {
	i := slices.IndexFunc(set.Forms, func(f wire.Form) bool { return f.ID == id })
	if i < 0 {
		return wire.Form{}, false
	}
	return set.Forms[i], true
}

// sameForm reports whether a and b are the same form but for the version.
func sameForm(a, b wire.Form) bool {
	a.Version, b.Version = 0, 0
	return reflect.DeepEqual(normForm(a), normForm(b))
}

// normForm makes empty lists nil, so that a form read back from JSON
// compares equal to the one written.
func normForm(f wire.Form) wire.Form {
	f.Fields = slices.Clone(f.Fields)
	if len(f.Fields) == 0 {
		f.Fields = nil
	}
	for i := range f.Fields {
		if len(f.Fields[i].Options) == 0 {
			f.Fields[i].Options = nil
		}
	}
	return f
}

// formDraft returns the unpublished edit of form id, if there is one that
// differs from the published form.
func (s *Server) formDraft(r *http.Request, id string, set wire.FormSet) (wire.Form, bool, error) {
	b, err := s.cfg.Settings.Get(r.Context(), formDraftPrefix+id)
	if err != nil || len(b) == 0 {
		return wire.Form{}, false, err
	}
	var d wire.Form
	if err := json.Unmarshal(b, &d); err != nil {
		return wire.Form{}, false, fmt.Errorf("form draft %s: %w", id, err)
	}
	if cur, ok := findForm(set, id); ok && sameForm(cur, d) {
		return wire.Form{}, false, nil
	}
	return d, true, nil
}

func (s *Server) saveDraft(r *http.Request, f wire.Form) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("form draft %s: %w", f.ID, err)
	}
	return s.cfg.Settings.Put(r.Context(), formDraftPrefix+f.ID, b)
}

func (s *Server) dropDraft(r *http.Request, id string) error {
	return s.cfg.Settings.Put(r.Context(), formDraftPrefix+id, nil)
}

// formsExport downloads the published set as a JSON file.
func (s *Server) formsExport(w http.ResponseWriter, r *http.Request) {
	set, err := s.cfg.Forms.Current(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	b, err := wire.Marshal(set)
	if err != nil {
		s.caseError(w, r, fmt.Errorf("export forms: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="formular.json"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	s.log.Info("forms exported", "hsaId", sessionOf(r).Staff.HSAID, "forms", len(set.Forms))
}

// importError is what is wrong with an imported file, in Swedish and
// English, with the HTTP status to answer.
type importError struct {
	status int
	sv, en string
}

func (e *importError) Error() string { return e.en }

// text is the message in l's language.
func (e *importError) text(l lang) string {
	if l.Code == "en" {
		return e.en
	}
	return e.sv
}

// decodeImport reads a form set from an imported JSON file of at most
// maxImportBytes: strict JSON, the sync protocol's rules, at least one
// form, and only forms of the gateway's case types. Errors are
// *importError; none carries anything from the file but the protocol's
// member names and indexes.
func decodeImport(r io.Reader) (wire.FormSet, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return wire.FormSet{}, &importError{http.StatusBadRequest, "Filen kunde inte läsas. Försök igen.", "The file could not be read. Try again."}
	}
	if len(b) > maxImportBytes {
		return wire.FormSet{}, &importError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Filen är för stor: högst %d kB.", maxImportBytes>>10), fmt.Sprintf("The file is too large: at most %d kB.", maxImportBytes>>10)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return wire.FormSet{}, &importError{http.StatusBadRequest, "Filen är tom. Välj en JSON-fil med formulär.", "The file is empty. Choose a JSON file of forms."}
	}
	set, err := wire.DecodeFormSet(bytes.NewReader(b))
	if err != nil {
		detail := err.Error()
		var p *wire.Problem
		if errors.As(err, &p) {
			detail = p.Detail
		}
		return wire.FormSet{}, &importError{http.StatusBadRequest,
			"Filen är inte en giltig formulärfil och har inte lästs in. Felet (från synkprotokollet): " + detail,
			"The file is not a valid forms file and was not imported. The error (from the sync protocol): " + detail}
	}
	if len(set.Forms) == 0 {
		return wire.FormSet{}, &importError{http.StatusBadRequest, "Filen innehåller inga formulär.", "The file holds no forms."}
	}
	for i, f := range set.Forms {
		if !cases.KnownType(cases.Type(f.ID)) {
			return wire.FormSet{}, &importError{http.StatusBadRequest,
				fmt.Sprintf("Formulär nr %d har en ärendetyp som gatewayen inte känner till (forms[%d].id).", i+1, i),
				fmt.Sprintf("Form no. %d has a case type the gateway does not know (forms[%d].id).", i+1, i)}
		}
	}
	return set, nil
}

// importRow is one case type in the import preview.
type importRow struct {
	Type, Title string
	Fields      int
	Change      string // "new", "changed", "same", "removed"
}

// formsImport reads an uploaded set, checks it and shows what it would
// change; nothing is published until the administrator confirms.
func (s *Server) formsImport(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	// A new file replaces any file still waiting, refused or not: a
	// confirmation never publishes an older file than the one shown.
	if err := s.cfg.Settings.Put(r.Context(), formImportKey, nil); err != nil {
		s.caseError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxImportBytes+64<<10)
	file, _, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		e := &importError{http.StatusBadRequest, "Välj en JSON-fil att läsa in.", "Choose a JSON file to import."}
		if errors.As(err, &tooBig) {
			e = &importError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("Filen är för stor: högst %d kB.", maxImportBytes>>10), fmt.Sprintf("The file is too large: at most %d kB.", maxImportBytes>>10)}
		}
		s.renderList(w, r, e.status, l.T("forms.importFailed"), []string{e.text(l)})
		return
	}
	defer file.Close()
	set, err := decodeImport(file)
	if err != nil {
		var ie *importError
		if !errors.As(err, &ie) {
			ie = &importError{http.StatusBadRequest, err.Error(), err.Error()}
		}
		s.log.Info("forms import refused", "hsaId", sessionOf(r).Staff.HSAID, "status", ie.status)
		s.renderList(w, r, ie.status, l.T("forms.importFailed"), []string{ie.text(l)})
		return
	}
	cur, err := s.cfg.Forms.Current(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	set = withVersions(set, cur)
	b, err := wire.Marshal(set)
	if err != nil { // the raised versions cannot break a rule; a file can, if it was at the limit
		s.renderList(w, r, http.StatusBadRequest, l.T("forms.importFailed"), []string{err.Error()})
		return
	}
	if err := s.cfg.Settings.Put(r.Context(), formImportKey, b); err != nil {
		s.caseError(w, r, err)
		return
	}
	s.formsPage(w, r, http.StatusOK, "formsimport", page{Title: "title.formsImport", Data: importPreview(set, cur, l)})
}

// withVersions raises the version of every form of set that differs from
// the form of the same type in cur above cur's, so that patients' pages
// see a change; unchanged forms keep theirs.
func withVersions(set, cur wire.FormSet) wire.FormSet {
	out := wire.FormSet{Forms: slices.Clone(set.Forms)}
	for i, f := range out.Forms {
		if c, ok := findForm(cur, f.ID); ok && !sameForm(c, f) && f.Version <= c.Version && c.Version < wire.MaxFormVersion {
			out.Forms[i].Version = c.Version + 1
		}
	}
	return out
}

// importPreview lists, per case type, what importing set changes.
func importPreview(set, cur wire.FormSet, l lang) []importRow {
	var rows []importRow
	for _, t := range cases.Types {
		n, inNew := findForm(set, string(t))
		c, inCur := findForm(cur, string(t))
		row := importRow{Type: l.Type(t)}
		switch {
		case inNew && !inCur:
			row.Change = "new"
		case inNew && sameForm(n, c):
			row.Change = "same"
		case inNew:
			row.Change = "changed"
		case inCur:
			row.Change, n = "removed", c
		default:
			continue
		}
		row.Title, row.Fields = textIn(n.Title, l), len(n.Fields)
		rows = append(rows, row)
	}
	return rows
}

// formsImportApply publishes the set waiting since the preview and drops
// every unpublished edit.
func (s *Server) formsImportApply(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	b, err := s.cfg.Settings.Get(r.Context(), formImportKey)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	if len(b) == 0 {
		s.renderList(w, r, http.StatusConflict, l.T("forms.noImport"), nil)
		return
	}
	if r.PostFormValue("cancel") != "" {
		if err := s.cfg.Settings.Put(r.Context(), formImportKey, nil); err != nil {
			s.caseError(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/forms", http.StatusSeeOther)
		return
	}
	set, err := decodeImport(bytes.NewReader(b))
	if err == nil {
		err = s.cfg.Forms.Publish(r.Context(), set)
	}
	if err != nil {
		s.log.Error("forms import not published", "hsaId", sessionOf(r).Staff.HSAID, "err", err)
		s.renderList(w, r, http.StatusBadRequest, l.T("forms.importFailed"), []string{err.Error()})
		return
	}
	for _, t := range cases.Types {
		if err := s.dropDraft(r, string(t)); err != nil {
			s.caseError(w, r, err)
			return
		}
	}
	if err := s.cfg.Settings.Put(r.Context(), formImportKey, nil); err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("forms imported and published", "hsaId", sessionOf(r).Staff.HSAID, "forms", len(set.Forms))
	http.Redirect(w, r, "/admin/forms?ok=imported", http.StatusSeeOther)
}

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
	Value    wire.FieldKind
	Key      string
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
	f, _ = findForm(central.DefaultForms(), id)
	return f, false, false, nil
}

// editID returns the case type in the path, or "" after answering 404.
func (s *Server) editID(w http.ResponseWriter, r *http.Request) string {
	id := r.PathValue("id")
	if !cases.KnownType(cases.Type(id)) {
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
	v := editView{ID: f.ID, Type: l.Type(cases.Type(f.ID)), Draft: draft, Offered: offered, Version: f.Version,
		Form: f, FormErrs: errs.form, Focus: focus, MaxFields: wire.MaxFormFields, Full: len(f.Fields) >= wire.MaxFormFields}
	for i, ff := range f.Fields {
		fv := fieldView{I: i, Num: i + 1, F: ff, Options: optionsText(ff.Options), Errs: errs.fields[i],
			First: i == 0, Last: i == len(f.Fields)-1}
		for _, k := range fieldKinds {
			fv.Kinds = append(fv.Kinds, kindOption{Value: k, Key: "forms.kind." + string(k), Selected: k == ff.Kind})
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
	set = withForm(set, f)
	if err := s.cfg.Forms.Publish(r.Context(), set); err != nil {
		var p *wire.Problem
		if !errors.As(err, &p) {
			s.caseError(w, r, err)
			return
		}
		s.renderEditor(w, r, http.StatusBadRequest, f, true, offered, formErrs{form: []string{l.T("forms.ruleBroken") + " " + p.Detail}}, -1, l.T("forms.notPublished"))
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
// in the order of cases.Types), its version raised above the replaced
// form's if it changed.
func withForm(set wire.FormSet, f wire.Form) wire.FormSet {
	out := wire.FormSet{}
	placed := false
	for _, t := range cases.Types {
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

// formErrs are what is wrong with a form, in Swedish: about the form
// itself, and per field by index.
type formErrs struct {
	form   []string
	fields map[int][]string
}

func (e formErrs) ok() bool { return len(e.form) == 0 && len(e.fields) == 0 }

func (e *formErrs) field(i int, msg string) {
	if e.fields == nil {
		e.fields = map[int][]string{}
	}
	e.fields[i] = append(e.fields[i], msg)
}

// checkForm checks f by the sync protocol's rules (sync/wire's Form
// Validate) and says in Swedish, per field, what breaks them; whatever
// it misses wire's own check catches, named by its position.
func checkForm(f wire.Form) formErrs {
	var e formErrs
	if p := textProblem(f.Title, wire.MaxLabelLen, true, false); p != "" {
		e.form = append(e.form, "Titeln: "+p)
	}
	if p := textProblem(f.Intro, wire.MaxHelpLen, false, true); p != "" {
		e.form = append(e.form, "Inledningen: "+p)
	}
	if len(f.Fields) > wire.MaxFormFields {
		e.form = append(e.form, fmt.Sprintf("Formuläret har fler än %d fält.", wire.MaxFormFields))
	}
	kinds := map[string]wire.FormField{}
	for i, ff := range f.Fields {
		switch {
		case !validToken(ff.Name):
			e.field(i, fmt.Sprintf("Namnet ska vara 1–%d tecken av A–Z, a–z, 0–9, punkt, understreck och bindestreck (inga mellanslag eller å, ä, ö).", wire.MaxIDLen))
		case kinds[ff.Name].Name != "":
			e.field(i, "Namnet finns redan på ett fält ovanför. Varje fält behöver ett eget namn.")
		}
		if p := textProblem(ff.Label, wire.MaxLabelLen, true, false); p != "" {
			e.field(i, "Etiketten: "+p)
		}
		if p := textProblem(ff.Help, wire.MaxHelpLen, false, true); p != "" {
			e.field(i, "Hjälptexten: "+p)
		}
		choice := ff.Kind == wire.FieldSelect || ff.Kind == wire.FieldRadio
		switch {
		case !ff.Kind.Valid():
			e.field(i, "Välj en fälttyp.")
		case choice && (len(ff.Options) == 0 || len(ff.Options) > wire.MaxOptions):
			e.field(i, fmt.Sprintf("En rullista eller ett flerval behöver 1–%d alternativ, ett per rad: värde | etikett.", wire.MaxOptions))
		}
		values := map[string]bool{}
		for j, o := range ff.Options {
			switch {
			case !validToken(o.Value):
				e.field(i, fmt.Sprintf("Alternativ %d: värdet ska vara 1–%d tecken av A–Z, a–z, 0–9, punkt, understreck och bindestreck.", j+1, wire.MaxIDLen))
			case values[o.Value]:
				e.field(i, fmt.Sprintf("Alternativ %d: värdet finns redan på ett alternativ ovanför.", j+1))
			}
			values[o.Value] = true
			if p := textProblem(o.Label, wire.MaxLabelLen, true, false); p != "" {
				e.field(i, fmt.Sprintf("Alternativ %d: etiketten: %s", j+1, p))
			}
		}
		if c := ff.ShowIf; c != nil {
			ref, ok := kinds[c.Field]
			switch {
			case !ok:
				e.field(i, "Villkoret gäller ett fält som inte finns ovanför det här. Välj ett fält ovanför, eller inget villkor.")
			case ref.Kind == wire.FieldCheckbox:
				if c.Equals != "true" && c.Equals != "false" {
					e.field(i, fmt.Sprintf("Villkoret: ”%s” är en kryssruta – skriv true (ikryssad) eller false.", c.Field))
				}
			case ref.Kind == wire.FieldSelect || ref.Kind == wire.FieldRadio:
				if !slices.ContainsFunc(ref.Options, func(o wire.Option) bool { return o.Value == c.Equals }) {
					var vals []string
					for _, o := range ref.Options {
						vals = append(vals, o.Value)
					}
					e.field(i, fmt.Sprintf("Villkoret: värdet måste vara ett av alternativen i ”%s”: %s.", c.Field, strings.Join(vals, ", ")))
				}
			default:
				e.field(i, "Villkoret kan bara gälla en rullista, ett flerval eller en kryssruta.")
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
			e.form = append(e.form, "Formuläret bryter mot en regel i synkprotokollet: "+detail)
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

// textProblem says in Swedish what is wrong with a text, or "".
func textProblem(t wire.Text, max int, required, multiline bool) string {
	switch {
	case required && strings.TrimSpace(t.SV) == "":
		return "skriv den på svenska (engelska är frivilligt)."
	case !required && t.SV == "" && t.EN != "":
		return "den engelska texten kräver en svensk."
	}
	for _, s := range []string{t.SV, t.EN} {
		if utf8.RuneCountInString(s) > max {
			return fmt.Sprintf("högst %d tecken.", max)
		}
		if cases.CheckText(s, max, multiline) != "" {
			if multiline {
				return "otillåtna tecken (bara vanlig text och radbrytningar)."
			}
			return "otillåtna tecken eller radbrytning (en rad vanlig text)."
		}
	}
	return ""
}
