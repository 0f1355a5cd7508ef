package localui_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
)

// menuLinks are the hrefs of the main menu (the <nav> in the page's header).
var (
	navRE  = regexp.MustCompile(`(?s)<nav aria-label="[^"]*">(.*?)</nav>`)
	hrefRE = regexp.MustCompile(`href="([^"]+)"`)
)

func menuLinks(t *testing.T, page string) []string {
	t.Helper()
	m := navRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no main menu (<nav>) on the page:\n%s", page)
	}
	var links []string
	for _, h := range hrefRE.FindAllStringSubmatch(m[1], -1) {
		links = append(links, h[1])
	}
	return links
}

// TestMenuReachesEveryPage: for every role, every page of the mux that
// the role may open (200, an HTML page, not a download) is in that role's
// main menu, and every entry of the menu opens (no link to a refused
// page). Pages that are reached from another page, not navigated to
// (a wildcard in the pattern: a case, a form), the log-in page, the
// static files, the websocket and the root's redirect are not menu pages.
func TestMenuReachesEveryPage(t *testing.T) {
	c := startClinic(t)
	var pages []string
	patterns, _ := getPatterns(t)
	for _, p := range patterns {
		p = strings.TrimPrefix(p, "GET ")
		switch {
		case p == "/" || p == "/{$}" || p == "/login" || p == "/ws" || strings.HasPrefix(p, "/static/"):
		case strings.Contains(p, "{"):
		default:
			pages = append(pages, p)
		}
	}
	t.Logf("menu pages: %q", pages)
	seen := map[cases.Role]bool{}
	for _, m := range democlinic.Staff {
		if len(m.Roles) != 1 || seen[m.Roles[0]] || m.OnLeave {
			continue
		}
		role := m.Roles[0]
		seen[role] = true
		t.Run(string(role), func(t *testing.T) {
			b := c.login(m.HSAID)
			_, settings := b.getBody("/settings") // every member of staff may open it
			menu := menuLinks(t, settings)
			for _, p := range pages {
				r, body := b.getBody(p)
				page := r.StatusCode == 200 && strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") &&
					r.Header.Get("Content-Disposition") == ""
				inMenu := slices.Contains(menu, p)
				switch {
				case page && !inMenu:
					t.Errorf("%s may open %s (200), but it is not in the %s's menu %q", m.HSAID, p, role, menu)
				case inMenu && r.StatusCode != 200:
					t.Errorf("the %s's menu links %s, which answers %d", role, p, r.StatusCode)
				}
				if page {
					if got := menuLinks(t, body); !slices.Equal(got, menu) {
						t.Errorf("%s: the menu on %s is %q; on /settings %q", role, p, got, menu)
					}
				}
			}
		})
	}
	for _, r := range []cases.Role{cases.Distributor, cases.Clinician, cases.UnitAdmin, cases.Auditor} {
		if !seen[r] {
			t.Errorf("no demo member has only the role %s", r)
		}
	}
}
