package localui_test

import (
	"strings"
	"testing"
)

// The statistics pages' "download as CSV" link carries the period shown:
// the case statistics' and the booking statistics'. (The case page's link
// once put its whole query through one escaped value, from%3d…%26to%3d…,
// so the download ignored the period and gave the default one.)
func TestStatsCSVLinkKeepsPeriod(t *testing.T) {
	c := startClinic(t)
	admin := c.login(hsaAdmin)
	c.setDiary(admin)
	for _, tc := range []struct{ page, want string }{
		{"/admin/stats?from=2026-11-02&to=2026-11-20", `href="/admin/stats.csv?from=2026-11-02&amp;to=2026-11-20"`},
		{"/admin/diary/stats?from=2026-10&to=2026-11", `href="/admin/diary/stats.csv?from=2026-10&amp;to=2026-11"`},
	} {
		r, body := admin.getBody(tc.page)
		if r.StatusCode != 200 || !strings.Contains(body, tc.want) {
			i := strings.Index(body, ".csv")
			t.Errorf("%s: %d, the link is %.120s, want %s", tc.page, r.StatusCode, body[max(i-60, 0):], tc.want)
		}
	}
}
