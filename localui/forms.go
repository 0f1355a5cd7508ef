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
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
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
		if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
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
	for _, t := range l.Types() {
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

// importErr is the catalogue's text key (with args) as an importError.
func importErr(status int, key string, args ...any) *importError {
	return &importError{status, i18n.T("sv", key, args...), i18n.T("en", key, args...)}
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
		return wire.FormSet{}, importErr(http.StatusBadRequest, "forms.err.unreadable")
	}
	if len(b) > maxImportBytes {
		return wire.FormSet{}, importErr(http.StatusRequestEntityTooLarge, "forms.err.tooLarge", maxImportBytes>>10)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return wire.FormSet{}, importErr(http.StatusBadRequest, "forms.err.empty")
	}
	set, err := wire.DecodeFormSet(bytes.NewReader(b))
	if err != nil {
		detail := err.Error()
		var p *wire.Problem
		if errors.As(err, &p) {
			detail = p.Detail
		}
		return wire.FormSet{}, importErr(http.StatusBadRequest, "forms.err.invalid", detail)
	}
	if len(set.Forms) == 0 {
		return wire.FormSet{}, importErr(http.StatusBadRequest, "forms.err.noForms")
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
		e := importErr(http.StatusBadRequest, "forms.err.noFile")
		if errors.As(err, &tooBig) {
			e = importErr(http.StatusRequestEntityTooLarge, "forms.err.tooLarge", maxImportBytes>>10)
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
	for _, t := range formIDs(l, set, cur) {
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

// formIDs are the case types of l's services (the catalogue) followed by
// those of sets' forms it does not have.
func formIDs(l lang, sets ...wire.FormSet) []casetype.Type {
	ids := slices.Clone(l.Types())
	for _, set := range sets {
		for _, f := range set.Forms {
			if !slices.Contains(ids, casetype.Type(f.ID)) {
				ids = append(ids, casetype.Type(f.ID))
			}
		}
	}
	return ids
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
	for _, t := range formIDs(l, set) {
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
