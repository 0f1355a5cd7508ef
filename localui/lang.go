package localui

import (
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/cardauth"
	"clinicgw/localui/report"
	"clinicgw/sync/i18n"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	wirelabels "clinicgw/sync/wire/labels"
	"clinicgw/sync/wire/workday"
)

// lang is the language a page is shown in: Swedish unless the staff member
// chose English.
type lang struct {
	Code string
	// svc are the unit's services' order and names (its catalogue), by
	// which Type names a case type; zero: the built-in names.
	svc report.Services
}

func langOf(r *http.Request) lang {
	svc, _ := r.Context().Value(servicesKey{}).(report.Services)
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return lang{Code: "en", svc: svc}
	}
	return lang{Code: "sv", svc: svc}
}

// T is the text for key in l from the one catalogue (sync/i18n), with
// args in place of its verbs; a counted text's words follow its numbers
// ("1 ärende flyttades", "3 ärenden flyttades"). A missing key shows as
// itself, so that a test finds it.
func (l lang) T(key string, args ...any) string { return i18n.T(l.Code, key, args...) }

// Type is a case type's name in l.
func (l lang) Type(t casetype.Type) string {
	if n, ok := l.svc.Names[t]; ok && n.SV != "" {
		return textIn(n, l)
	}
	return report.TypeName(t, l.Code)
}

// Types are the case types in the order lists offer them: the unit's
// services', else the built-in ones.
func (l lang) Types() []casetype.Type {
	if l.svc.Order != nil {
		return l.svc.Order
	}
	return casetype.All
}

// Status is a case status's name in l.
func (l lang) Status(s cases.Status) string { return report.StatusName(s, l.Code) }

// Action is what a history step or an access-log record says happened.
func (l lang) Action(a cases.Action) string { return labels.Action(a, l.Code) }

// AccessAction is an access-log record's action (a cases.Action) in l.
func (l lang) AccessAction(a string) string { return labels.Action(cases.Action(a), l.Code) }

// MessageKind is a message's kind in l.
func (l lang) MessageKind(k cases.MessageKind) string { return labels.MessageKind(k, l.Code) }

// Outcome is an access-log record's outcome in l.
func (l lang) Outcome(o audit.Outcome) string { return labels.Outcome(o, l.Code) }

// FieldKind is a form field kind's name in l.
func (l lang) FieldKind(k wire.FieldKind) string { return wirelabels.FieldKind(k, l.Code) }

// Actor is who did something: the patient or the system in l, a member of
// staff by name from names (HSA-ID → name), else by HSA-ID.
func (l lang) Actor(actor string, names map[string]string) string {
	return labels.Actor(actor, l.Code, func(h string) string { return names[h] })
}

// Answers are a case's form answers as l's reader reads them, with form
// the unit's form of the case's type (nil if none).
func (l lang) Answers(form *wire.Form, fields []cases.Field) []wirelabels.Answer {
	return labels.Answers(form, fields, l.Code)
}

// Time is t in Stockholm time, as staff read it.
func (l lang) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workday.Stockholm()).Format("2006-01-02 15:04")
}

// Date is t's date in Stockholm.
func (l lang) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(workday.Stockholm()).Format("2006-01-02")
}

// setLang switches the language and goes back where the form was.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	code := r.PostFormValue("lang")
	if code != "en" {
		code = "sv"
	}
	setCookie(w, langCookie, code, 365*24*3600)
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

var funcs = template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"hasRole": func(st *cardauth.Staff, role string) bool {
		return st != nil && slices.Contains(st.Roles, role)
	},
	// pair passes the page and one case to a shared block.
	"pair": func(p page, c *cases.Case) struct {
		P page
		C *cases.Case
	} {
		return struct {
			P page
			C *cases.Case
		}{p, c}
	},
	"rowText":      rowText,
	"asset":        assetPath,
	"contactField": contactFieldOf,
}
