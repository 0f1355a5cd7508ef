package localui

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// The unit's contact details for its patients (GET and POST
// /admin/contact): visiting address, phone, opening hours, website and a
// short text, kept sealed in the store and published to the central
// store with the unit's forms, which shows them on the unit's patient
// pages. The unit administrator edits them; each field is checked by the
// sync protocol's rule for it (sync/wire: CheckPhone, CheckWebsite,
// CheckText within its limit), and a refusal says at the field, in the
// staff member's language, what is wrong and changes nothing.

// ContactStore keeps the unit's contact details (agent: sealed in the
// store, handed to the uplink).
type ContactStore interface {
	// Contact returns the details as kept (empty if never set).
	Contact(ctx context.Context) (wire.UnitContact, error)
	// PublishContact checks c by the sync protocol's rules, keeps it and
	// publishes it to the central store. Details that break a rule are
	// refused with a *wire.Problem and nothing changes.
	PublishContact(ctx context.Context, c wire.UnitContact) error
	// ContactDelivery tells whether the central store has them.
	ContactDelivery() ContactDelivery
}

// ContactDelivery says how far the unit's contact details have reached
// the central store.
type ContactDelivery struct {
	Online      bool // a central store is configured
	Pending     bool // the latest details have not reached it yet
	Unsupported bool // it answered that it does not take them (an older release)
}

// contactData is the contact page's data: the details, what is wrong
// with each field (in the staff member's language; none when nothing),
// and the delivery.
type contactData struct {
	C        wire.UnitContact
	Errs     map[string]string
	Delivery ContactDelivery
}

func (s *Server) contactPage(w http.ResponseWriter, r *http.Request) {
	if !s.contactAllowed(w, r) {
		return
	}
	c, err := s.cfg.Contact.Contact(r.Context())
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	if c.IsZero() { // never saved here: start from the unit settings' old free text
		u, err := s.unitSettings(r)
		if err != nil {
			s.caseError(w, r, err)
			return
		}
		c.Text.SV = u.Contact
	}
	s.render(w, r, http.StatusOK, "contact", page{Title: "title.contact", Nav: "contact",
		Data: contactData{C: c, Delivery: s.cfg.Contact.ContactDelivery()}})
}

func (s *Server) saveContact(w http.ResponseWriter, r *http.Request) {
	if !s.contactAllowed(w, r) {
		return
	}
	text := func(name string) string {
		return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(name), "\r\n", "\n"))
	}
	c := wire.UnitContact{Address: text("address"), Phone: text("phone"), Website: text("website"),
		Hours: wire.Text{SV: text("hoursSv"), EN: text("hoursEn")}, Text: wire.Text{SV: text("textSv"), EN: text("textEn")}}
	l := langOf(r)
	if errs := checkContact(l, c); len(errs) > 0 {
		s.render(w, r, http.StatusBadRequest, "contact", page{Title: "title.contact", Nav: "contact",
			Error: l.T("contact.err.summary"), Data: contactData{C: c, Errs: errs, Delivery: s.cfg.Contact.ContactDelivery()}})
		return
	}
	if err := s.cfg.Contact.PublishContact(r.Context(), c); err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("contact details saved", "hsaId", sessionOf(r).Staff.HSAID)
	http.Redirect(w, r, "/admin/contact?ok=saved", http.StatusSeeOther)
}

// contactAllowed answers 404 without a contact store and 403 to anyone
// but a unit administrator, and reports whether to go on.
func (s *Server) contactAllowed(w http.ResponseWriter, r *http.Request) bool {
	switch {
	case s.cfg.Contact == nil:
		s.fail(w, r, http.StatusNotFound, "err.pageNotFound")
		return false
	case !actorOf(sessionOf(r)).Has(cases.UnitAdmin):
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return false
	}
	return true
}

// checkContact returns, by field, what is wrong with c in l's words;
// none when it may be kept. The rules are the protocol's (sync/wire), so
// that nothing kept here is refused by the central store.
func checkContact(l lang, c wire.UnitContact) map[string]string {
	errs := map[string]string{}
	text := func(field, s string, max int) {
		switch {
		case wire.CheckText(s, max, true) == "":
		case utf8.ValidString(s) && utf8.RuneCountInString(s) > max:
			errs[field] = l.T("contact.err.long", max)
		default:
			errs[field] = l.T("contact.err.chars")
		}
	}
	text("address", c.Address, wire.MaxContactAddressLen)
	if c.Phone != "" && wire.CheckPhone(c.Phone) != nil {
		errs["phone"] = l.T("contact.err.phone")
	}
	text("hoursSv", c.Hours.SV, wire.MaxContactHoursLen)
	text("hoursEn", c.Hours.EN, wire.MaxContactHoursLen)
	if c.Hours.SV == "" && c.Hours.EN != "" {
		errs["hoursSv"] = l.T("contact.err.swedishFirst")
	}
	if c.Website != "" && wire.CheckWebsite(c.Website) != nil {
		errs["website"] = l.T("contact.err.website")
	}
	text("textSv", c.Text.SV, wire.MaxContactTextLen)
	text("textEn", c.Text.EN, wire.MaxContactTextLen)
	if c.Text.SV == "" && c.Text.EN != "" {
		errs["textSv"] = l.T("contact.err.swedishFirst")
	}
	if len(errs) == 0 && c.Validate() != nil {
		errs["address"] = l.T("contact.err.chars") // a rule the checks above do not name: not expected
	}
	return errs
}

// contactFieldView is one field of the contact page, for its shared block.
type contactFieldView struct {
	Name, Kind, Rows, Value, Lang string
	Label, Help, Error            string
}

// contactFieldOf is the template func contactField: the field name of
// kind ("textarea", "tel", "url") with its value and the language of its
// text ("" for the page's), labelled and explained in the page's
// language, with its error if the last save refused it.
func contactFieldOf(p page, name, kind, rows, value, lang string) contactFieldView {
	v := contactFieldView{Name: name, Kind: kind, Rows: rows, Value: value, Lang: lang,
		Label: p.L.T("contact.f." + name), Help: p.L.T("contact.h." + name)}
	if d, ok := p.Data.(contactData); ok {
		v.Error = d.Errs[name]
	}
	return v
}
