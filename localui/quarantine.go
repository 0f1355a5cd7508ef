package localui

import "net/http"

// quarantineNote is the inbox's note on the quarantine (cases.Quarantined):
// how many cases the central store accepted that could not be received
// here, and to contact region IT; "" when none. A quarantine that cannot
// be read is said so, never shown as empty.
func (s *Server) quarantineNote(r *http.Request, l lang) string {
	n, err := s.cfg.Cases.QuarantineCount(r.Context())
	switch {
	case err != nil:
		s.log.Error("read the quarantine", "err", err)
		return l.T("quarantine.unknown")
	case n == 0:
		return ""
	}
	return l.T("quarantine.cases", n)
}
