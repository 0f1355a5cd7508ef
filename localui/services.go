package localui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
	"clinicgw/agent/groups"
	"clinicgw/localui/report"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	svccat "clinicgw/sync/wire/catalog"
)

// ServiceBook keeps the unit's catalogue of services (the agent's form
// keeper): the service designer reads and changes it, and every staff
// page names the services by it.
type ServiceBook interface {
	// Catalog returns the catalogue as it is.
	Catalog(ctx context.Context) (svccat.Catalog, error)
	// SaveCatalog checks c by the catalogue's rules (with the unit's
	// staff groups), keeps it and publishes what it offers. A catalogue
	// that breaks a rule is refused with a *svccat.Error and nothing
	// changes.
	SaveCatalog(ctx context.Context, c svccat.Catalog) error
	// GroupExists reports whether the unit has a staff group with the
	// id (a template's usual group is its route when it does).
	GroupExists(id string) bool
}

// servicesKey is the request context's key of the unit's services'
// report.Services (withServiceNames), which langOf hands to lang.
type servicesKey struct{}

// withServiceNames puts the unit's services' order and names into ctx;
// without a ServiceBook, or when it cannot be read, the built-in ones stay.
func (s *Server) withServiceNames(ctx context.Context) context.Context {
	if s.cfg.Services == nil {
		return ctx
	}
	c, err := s.cfg.Services.Catalog(ctx)
	if err != nil {
		s.log.Warn("the catalogue of services could not be read; built-in names shown", "err", err)
		return ctx
	}
	return context.WithValue(ctx, servicesKey{}, servicesOf(c))
}

// servicesOf is c's services as pages show them: offered ones first, in
// the catalogue's order, then retired ones (their cases stay).
func servicesOf(c svccat.Catalog) report.Services {
	svc := report.Services{Names: make(map[casetype.Type]wire.Text, len(c.Services))}
	for _, retired := range []bool{false, true} {
		for _, x := range c.Services {
			if x.Retired == retired {
				svc.Order = append(svc.Order, casetype.Type(x.ID))
				svc.Names[casetype.Type(x.ID)] = x.Name
			}
		}
	}
	return svc
}

// servicesAdmin serves h to the unit administrator only; without a
// ServiceBook the service designer's pages are 404.
func (s *Server) servicesAdmin(h http.HandlerFunc) http.HandlerFunc {
	return s.staffOnly(func(w http.ResponseWriter, r *http.Request) {
		if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
			s.fail(w, r, http.StatusForbidden, "err.forbidden")
			return
		}
		if s.cfg.Services == nil {
			s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
			return
		}
		h(w, r)
	})
}

// serviceRow is one service on the designer's list.
type serviceRow struct {
	svccat.Service
	Name, Route string
	Days        int
	// Routes are the picker's choices of who handles the service: the
	// message administrator's inbox, then the unit's groups.
	Routes []routeChoice
}

// routeChoice is one choice in a service's picker of who handles it: ID
// "" is the message administrator's inbox. Missing marks a route to a
// group the unit no longer has, kept chosen so that the page shows what
// the catalogue says (saving it is refused until another is chosen).
type routeChoice struct {
	ID, Name        string
	Chosen, Missing bool
}

// routeChoices are the choices for a service routed to route: the inbox,
// each of gs, and route itself if no group has its id.
func routeChoices(l lang, gs []groups.Group, route string) []routeChoice {
	out := []routeChoice{{ID: "", Name: l.T("services.routeInbox"), Chosen: route == ""}}
	found := route == ""
	for _, g := range gs {
		out = append(out, routeChoice{ID: g.ID, Name: g.Name, Chosen: g.ID == route})
		found = found || g.ID == route
	}
	if !found {
		out = append(out, routeChoice{ID: route, Name: l.T("services.routeMissing", route), Chosen: true, Missing: true})
	}
	return out
}

// templateRow is one template not switched on.
type templateRow struct{ ID, Name string }

// servicesView is the service designer's data. Err is a refusal and At
// the id of the control it is about (the page's focus).
type servicesView struct {
	Rows      []serviceRow
	Templates []templateRow
	Err, At   string
	// RouteErr: the refusal is about the route, so the picker is marked.
	RouteErr bool
	New      struct{ ID, NameSV, NameEN string }
	MaxKiB   int
}

var servicesFlash = map[string]string{"saved": "services.okSaved", "imported": "services.okImported"}

// servicesList shows the catalogue.
func (s *Server) servicesList(w http.ResponseWriter, r *http.Request) {
	s.renderServices(w, r, http.StatusOK, servicesView{})
}

func (s *Server) renderServices(w http.ResponseWriter, r *http.Request, status int, v servicesView) {
	l := langOf(r)
	c, err := s.cfg.Services.Catalog(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	var gs []groups.Group
	if s.cfg.Groups != nil {
		gs = s.cfg.Groups.List()
	}
	for _, x := range c.Services {
		row := serviceRow{Service: x, Name: textIn(x.Name, l), Route: x.Route, Days: x.Days(), Routes: routeChoices(l, gs, x.Route)}
		v.Rows = append(v.Rows, row)
	}
	for _, t := range svccat.Templates() {
		if _, had := c.Find(t.Service.ID); !had {
			v.Templates = append(v.Templates, templateRow{ID: t.Service.ID, Name: textIn(t.Service.Name, l)})
		}
	}
	v.MaxKiB = svccat.MaxBytes >> 10
	p := page{Title: "title.services", Nav: "services", Data: v}
	if v.Err != "" {
		p.Error = v.Err + " " + l.T("services.notSaved")
	} else if k, ok := servicesFlash[r.URL.Query().Get("ok")]; ok {
		p.Flash = l.T(k)
	}
	s.render(w, r, status, "services", p)
}

// saveServices applies change to the catalogue and saves it; a refusal is
// shown on the list at the control named at (for a *svccat.Error, its
// service's row), and nothing changes.
func (s *Server) saveServices(w http.ResponseWriter, r *http.Request, at string, v servicesView, change func(c *svccat.Catalog) error) {
	c, err := s.cfg.Services.Catalog(r.Context())
	if err == nil {
		err = change(&c)
	}
	if err == nil {
		err = s.cfg.Services.SaveCatalog(r.Context(), c)
	}
	if err != nil {
		ce, ok := errors.AsType[*svccat.Error](err)
		if !ok {
			s.caseError(w, r, err)
			return
		}
		s.log.Info("catalogue change refused", "hsaId", sessionOf(r).Staff.HSAID, "rule", ce.Key)
		v.Err, v.At = ce.Text(langOf(r).Code), at
		v.RouteErr = strings.HasSuffix(ce.Path, ".route")
		s.renderServices(w, r, http.StatusBadRequest, v)
		return
	}
	s.log.Info("catalogue saved", "hsaId", sessionOf(r).Staff.HSAID, "services", len(c.Services))
	http.Redirect(w, r, "/admin/services?ok=saved", http.StatusSeeOther)
}

// serviceNew adds a new service ("Ny tjänst") or a copy of one
// ("Kopiera": from names the service copied), with its id and name, offered
// at once; its form is then shaped in the form editor.
func (s *Server) serviceNew(w http.ResponseWriter, r *http.Request) {
	var v servicesView
	v.New.ID = strings.TrimSpace(r.PostFormValue("id"))
	v.New.NameSV = strings.TrimSpace(r.PostFormValue("nameSv"))
	v.New.NameEN = strings.TrimSpace(r.PostFormValue("nameEn"))
	from := r.PostFormValue("from")
	s.saveServices(w, r, "new-id", v, func(c *svccat.Catalog) error {
		if _, had := c.Find(v.New.ID); had {
			return &svccat.Error{Path: "id", Key: "services.err.taken", Args: []any{v.New.ID}}
		}
		if !wire.ValidFormID(v.New.ID) {
			return &svccat.Error{Path: "id", Key: "services.err.id", Args: []any{wire.MaxIDLen}}
		}
		x := svccat.Service{AllowGuardian: true}
		if from != "" {
			src, ok := c.Find(from)
			if !ok {
				return &svccat.Error{Path: "from", Key: "services.err.noSuch"}
			}
			x = src
			x.Fields = append([]wire.FormField(nil), src.Fields...)
			x.Retired, x.Template = false, ""
		}
		x.ID, x.Version, x.Name = v.New.ID, 1, wire.Text{SV: v.New.NameSV, EN: v.New.NameEN}
		c.Put(x)
		return nil
	})
}

// serviceAction retires a service ("Avsluta tjänst"), offers it again,
// switches a template on, or sets who handles it and its answer rule.
func (s *Server) serviceAction(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var v servicesView
	switch r.PathValue("action") {
	case "retire", "offer":
		offer := r.PathValue("action") == "offer"
		s.saveServices(w, r, "svc-"+id, v, func(c *svccat.Catalog) error {
			x, ok := c.Find(id)
			if !ok {
				return &svccat.Error{Path: "id", Key: "services.err.noSuch"}
			}
			x.Retired = !offer
			c.Put(x)
			return nil
		})
	case "enable":
		s.saveServices(w, r, "templates", v, func(c *svccat.Catalog) error {
			if !c.Enable(id, s.cfg.Services.GroupExists) {
				return &svccat.Error{Path: "id", Key: "services.err.noSuch"}
			}
			return nil
		})
	case "rule":
		s.saveServices(w, r, "svc-"+id, v, func(c *svccat.Catalog) error {
			x, ok := c.Find(id)
			if !ok {
				return &svccat.Error{Path: "id", Key: "services.err.noSuch"}
			}
			days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("answerDays")))
			if err != nil {
				return &svccat.Error{Path: "answerDays", Key: "catalog.err.answerDays", Args: []any{1, svccat.MaxAnswerDays}}
			}
			x.AnswerDays = days
			if days == svccat.DefaultAnswerDays {
				x.AnswerDays = 0
			}
			x.AnswerNote = wire.Text{SV: strings.TrimSpace(r.PostFormValue("noteSv")), EN: strings.TrimSpace(r.PostFormValue("noteEn"))}
			x.Route = strings.TrimSpace(r.PostFormValue("route"))
			c.Put(x)
			return nil
		})
	default:
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
	}
}

// servicesExport downloads the whole catalogue as JSON.
func (s *Server) servicesExport(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Services.Catalog(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	b, err := c.Encode(svccat.Rules{GroupExists: func(string) bool { return true }})
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="tjanstekatalog.json"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	s.log.Info("catalogue exported", "hsaId", sessionOf(r).Staff.HSAID, "services", len(c.Services))
}

// servicesImport replaces the catalogue with an uploaded one, if it keeps
// every rule; a refused file changes nothing and the refusal is shown at
// the file's control.
func (s *Server) servicesImport(w http.ResponseWriter, r *http.Request) {
	var v servicesView
	r.Body = http.MaxBytesReader(w, r.Body, svccat.MaxBytes+64<<10)
	file, _, err := r.FormFile("file")
	if err != nil {
		key := "forms.err.noFile"
		if _, big := errors.AsType[*http.MaxBytesError](err); big {
			key = "catalog.err.tooLarge"
		}
		v.Err, v.At = langOf(r).T(key, svccat.MaxBytes>>10), "import-file"
		status := http.StatusBadRequest
		if key == "catalog.err.tooLarge" {
			status = http.StatusRequestEntityTooLarge
		}
		s.log.Info("catalogue import refused", "hsaId", sessionOf(r).Staff.HSAID, "rule", key)
		s.renderServices(w, r, status, v)
		return
	}
	defer file.Close()
	c, err := svccat.Decode(file, svccat.Rules{GroupExists: func(string) bool { return true }})
	s.saveServices(w, r, "import-file", v, func(cur *svccat.Catalog) error {
		if err != nil {
			return err
		}
		*cur = importInto(*cur, c)
		return nil
	})
}

// importInto is cur with the services of file: each becomes its service's
// current version (a changed one gets a version above cur's, cur's going
// to the history, so that an id and version never name other content and
// an old case still reads with the version it was written on), in the
// file's order; a service the file no longer has stays, retired, after
// them, so that its cases keep their names. The file's own history is not
// taken: it is another catalogue's past.
func importInto(cur, file svccat.Catalog) svccat.Catalog {
	out := svccat.Catalog{Format: svccat.Format, Services: cur.Services, History: cur.History}
	for _, x := range file.Services {
		out.Put(x)
	}
	for _, s := range cur.Services {
		if _, inFile := file.Find(s.ID); !inFile {
			out.Retire(s.ID)
		}
	}
	order := make([]svccat.Service, 0, len(out.Services))
	for _, x := range file.Services {
		s, _ := out.Find(x.ID)
		order = append(order, s)
	}
	for _, s := range out.Services {
		if _, inFile := file.Find(s.ID); !inFile {
			order = append(order, s)
		}
	}
	out.Services = order
	return out
}
