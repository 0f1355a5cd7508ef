package localui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/mail"
	"strings"
	"unicode/utf8"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire"
)

// Prefs are a member of staff's own settings.
type Prefs struct {
	Signature   string `json:"signature,omitempty"`
	NotifyEmail bool   `json:"notifyEmail,omitempty"`
	NotifySMS   bool   `json:"notifySms,omitempty"`
	Email       string `json:"email,omitempty"`
	Mobile      string `json:"mobile,omitempty"`
}

// UnitSettings are the unit administrator's settings.
type UnitSettings struct {
	StandardAnswers string `json:"standardAnswers,omitempty"` // paragraphs: a heading line, then the text
	// Contact is the free text the unit settings page had before the
	// contact page; the contact page starts from it (as its Swedish
	// text) until details are saved there.
	Contact     string `json:"contact,omitempty"`
	NoticeEmail string `json:"noticeEmail,omitempty"`
}

// standardAnswer is one canned reply.
type standardAnswer struct{ Title, Text string }

// Limits on settings.
const (
	maxSignatureRunes = 500
	maxUnitTextRunes  = 20000
)

// Settings keys. They hold HSA-IDs at most, never patient data.
func prefsKey(hsaID string) string { return "staff/" + hsaID + "/prefs" }

const unitKey = "unit/settings"

func (s *Server) prefs(r *http.Request, hsaID string) (Prefs, error) {
	var p Prefs
	return p, s.loadJSON(r, prefsKey(hsaID), &p)
}

func (s *Server) unitSettings(r *http.Request) (UnitSettings, error) {
	var u UnitSettings
	return u, s.loadJSON(r, unitKey, &u)
}

func (s *Server) loadJSON(r *http.Request, key string, v any) error {
	b, err := s.cfg.Settings.Get(r.Context(), key)
	if err != nil || b == nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}

func (s *Server) saveJSON(r *http.Request, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.cfg.Settings.Put(r.Context(), key, b)
}

// standardAnswers are the unit's canned replies.
func (s *Server) standardAnswers(r *http.Request) ([]standardAnswer, error) {
	u, err := s.unitSettings(r)
	if err != nil {
		return nil, err
	}
	return parseStandardAnswers(u.StandardAnswers), nil
}

// parseStandardAnswers splits paragraphs into a heading line and the text.
func parseStandardAnswers(text string) []standardAnswer {
	var out []standardAnswer
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		title, body, _ := strings.Cut(para, "\n")
		out = append(out, standardAnswer{Title: strings.TrimSpace(title), Text: strings.TrimSpace(body)})
	}
	return out
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	p, err := s.prefs(r, sessionOf(r).Staff.HSAID)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings", page{Title: "title.settings", Nav: "settings", Data: p})
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	p := Prefs{
		Signature:   strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("signature"), "\r\n", "\n")),
		NotifyEmail: r.PostFormValue("notifyEmail") == "on",
		NotifySMS:   r.PostFormValue("notifySms") == "on",
		Email:       strings.TrimSpace(r.PostFormValue("email")),
		Mobile:      strings.TrimSpace(r.PostFormValue("mobile")),
	}
	if msg := checkPrefs(p); msg != "" {
		l := langOf(r)
		s.render(w, r, http.StatusBadRequest, "settings", page{Title: "title.settings", Nav: "settings", Data: p, Error: l.T(msg)})
		return
	}
	if err := s.saveJSON(r, prefsKey(sessionOf(r).Staff.HSAID), p); err != nil {
		s.caseError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings?ok=saved", http.StatusSeeOther)
}

// checkPrefs returns the catalogue key of what is wrong with p, or "".
func checkPrefs(p Prefs) string {
	switch {
	case wire.CheckText(p.Signature, maxSignatureRunes, true) != "":
		return "settings.tooLong"
	case p.Email != "" && !validEmail(p.Email):
		return "settings.badEmail"
	case p.NotifyEmail && p.Email == "":
		return "settings.badEmail"
	case p.Mobile != "" && (len(p.Mobile) > 20 || strings.Trim(p.Mobile, "0123456789+- ") != ""):
		return "settings.badMobile"
	case p.NotifySMS && p.Mobile == "":
		return "settings.badMobile"
	}
	return ""
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && utf8.RuneCountInString(s) <= 254
}

// unitPage is the unit administrator's settings.
func (s *Server) unitPage(w http.ResponseWriter, r *http.Request) {
	if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	u, err := s.unitSettings(r)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "unit", page{Title: "title.unit", Nav: "unit", Data: s.unitView(r, u)})
}

// unitView is the unit settings page's data: the settings and, when
// configured, the notices still waiting to be delivered, the archive
// export's state and the configuration file's reload state.
type unitView struct {
	UnitSettings
	NoticesOn  bool
	Notices    []NoticeState
	NoticeErr  bool
	ArchiveOn  bool
	Archive    ArchiveState
	ArchiveErr bool
	Config     *ConfigState // nil: not shown
}

func (s *Server) unitView(r *http.Request, u UnitSettings) unitView {
	v := unitView{UnitSettings: u, NoticesOn: s.cfg.Notices != nil}
	if s.cfg.Config != nil {
		if c := s.cfg.Config(); c.Error != "" || !c.ReloadedAt.IsZero() || len(c.Restart) > 0 {
			v.Config = &c
		}
	}
	if v.NoticesOn {
		var err error
		if v.Notices, err = s.cfg.Notices(r.Context()); err != nil {
			s.log.Error("notice queue", "err", err)
			v.NoticeErr = true
		}
	}
	if v.ArchiveOn = s.cfg.Archive != nil; v.ArchiveOn {
		var err error
		if v.Archive, err = s.cfg.Archive(r.Context()); err != nil {
			s.log.Error("archive state", "err", err)
			v.ArchiveErr = true
		}
	}
	return v
}

func (s *Server) saveUnit(w http.ResponseWriter, r *http.Request) {
	if !actorOf(sessionOf(r)).Has(cases.UnitAdmin) {
		s.fail(w, r, http.StatusForbidden, "err.forbidden")
		return
	}
	old, err := s.unitSettings(r)
	if err != nil {
		s.caseError(w, r, err)
		return
	}
	u := UnitSettings{
		StandardAnswers: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("standardAnswers"), "\r\n", "\n")),
		Contact:         old.Contact, // kept as it was: the contact page (contact.go) has the details now
		NoticeEmail:     strings.TrimSpace(r.PostFormValue("noticeEmail")),
	}
	msg := ""
	switch {
	case wire.CheckText(u.StandardAnswers, maxUnitTextRunes, true) != "", wire.CheckText(u.Contact, maxSignatureRunes, true) != "":
		msg = "settings.tooLong"
	case u.NoticeEmail != "" && !validEmail(u.NoticeEmail):
		msg = "settings.badEmail"
	}
	if msg != "" {
		s.render(w, r, http.StatusBadRequest, "unit", page{Title: "title.unit", Nav: "unit", Data: s.unitView(r, u), Error: langOf(r).T(msg)})
		return
	}
	if err := s.saveJSON(r, unitKey, u); err != nil {
		s.caseError(w, r, err)
		return
	}
	s.log.Info("unit settings saved", "hsaId", sessionOf(r).Staff.HSAID)
	http.Redirect(w, r, "/admin/unit?ok=saved", http.StatusSeeOther)
}
