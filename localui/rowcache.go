package localui

import (
	"bytes"
	"html/template"
	"sync"

	"clinicgw/agent/cases"
	"clinicgw/sync/i18n"
)

// A list's rows are the most of what its pages and live refreshes render:
// 200 on the inbox, the same ones again on every refresh, for every
// message administrator who has it open. Through html/template each row
// cost some 40 reflective calls and 225 allocations; rendered rows are
// kept (rowCache) by everything the row template shows (rowView), so an
// unchanged row costs a map lookup, and a changed one is rendered anew
// because what it shows is its key. The row template reads nothing but
// its rowView: what is not in the key cannot be on the row.

// rowView is everything one row of a list shows of its case, as plain
// comparable values: the key its rendering is kept by.
type rowView struct {
	Lang       string // the page's language code: the words of its labels
	Inbox      bool   // the distributor's inbox: selection and buttons
	ID         cases.ID
	Version    uint64
	Status     cases.Status
	StatusName string
	Selectable bool // open or waiting for the patient: it can be ticked
	Received   string
	TypeName   string
	Name       string
	PNR        string
	Guardian   bool
	// GuardianName is the name of the guardian acting for a child.
	GuardianName string
	IsNew        bool
	Due          string
	Overdue      bool
	Assignee     string // HSA-ID
	AssigneeName string
	OnLeave      bool
	LeaveUntil   string
}

// viewOf is rw as its row shows it in l.
func viewOf(rw row, l lang, inbox bool) rowView {
	c := rw.C
	v := rowView{Lang: l.Code, Inbox: inbox, ID: c.ID, Version: c.Version, Status: c.Status,
		StatusName: l.Status(c.Status), Selectable: c.Status.Open() || c.Status == cases.WaitingForPatient,
		Received: l.Time(c.ReceivedAt), TypeName: l.Type(c.Type), Name: c.Patient.Name, PNR: c.Patient.PNR.String(),
		IsNew: rw.IsNew, Due: l.Date(c.DueAt), Overdue: rw.Overdue, Assignee: c.Assignee,
		AssigneeName: rw.AssigneeName, OnLeave: rw.Leave.OnLeave}
	if c.Guardian != nil {
		v.Guardian, v.GuardianName = true, c.Guardian.Name
	}
	if rw.Leave.OnLeave {
		v.LeaveUntil = l.Date(rw.Leave.LeaveUntil)
	}
	return v
}

// rowCacheSize is how many rendered rows are kept: ten inbox pages, in
// each language. A full cache is emptied and fills again.
const rowCacheSize = 4000

// rowCache keeps rendered rows by what they show.
type rowCache struct {
	mu   sync.Mutex
	rows map[rowView]template.HTML
	// renders counts the rows rendered, not found kept (tests).
	renders int
}

// html is v's row, rendered by t (the list's "row") or kept from before.
func (rc *rowCache) html(t *template.Template, v rowView) (template.HTML, error) {
	rc.mu.Lock()
	h, ok := rc.rows[v]
	rc.mu.Unlock()
	if ok {
		return h, nil
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return "", err
	}
	h = template.HTML(buf.String()) // html/template's own output
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.rows) >= rowCacheSize || rc.rows == nil {
		rc.rows = make(map[rowView]template.HTML, rowCacheSize)
	}
	rc.rows[v] = h
	rc.renders++
	return h, nil
}

// rowsHTML sets the HTML of rows, as shown in l on the inbox or my cases.
func (s *Server) rowsHTML(rows []row, l lang, inbox bool) error {
	t := s.pages["list"].Lookup("row")
	for i := range rows {
		h, err := s.rows.html(t, viewOf(rows[i], l, inbox))
		if err != nil {
			return err
		}
		rows[i].HTML = h
	}
	return nil
}

// rowText is a label of a row in the language lang (the row template's
// data is its rowView alone).
func rowText(lang, key string) string { return i18n.T(lang, key) }
