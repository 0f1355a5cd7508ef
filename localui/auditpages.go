package localui

import (
	"fmt"
	"strconv"
	"strings"

	"clinicgw/agent/cases"
)

// A log extract is read a page at a time, newest first. The cursor of a
// page is the sequence number its records come before (0: the newest
// page); the next, older page's is the last record shown. A patient's
// records are chained newest first in the store, so a newer page cannot be
// found from a cursor alone: the form carries, in "back", the cursors of
// the pages before this one, and "Newer" posts the last of them.
//
// The query and the cursors travel in the POST body, as the search does:
// the personnummer never appears in a URL (nor in history, logs or a
// Referer), and no state is kept in the session, so two extracts in two
// tabs do not disturb each other and a reload shows the same page.

// maxAuditBack bounds the cursors a form may carry back: 10,000 pages of
// 200 records, 2 million records of one patient or staff member.
const maxAuditBack = 10000

// auditPages is what the paging controls post.
type auditPages struct {
	From, Last int    // the first and last record's positions in the extract, from 1
	Older      uint64 // the older page's cursor; 0: none
	OlderBack  string // its "back": this page's with this page's cursor
	Newer      bool   // a newer page exists
	NewerAt    uint64 // its cursor
	NewerBack  string // its "back"
}

// parseAuditCursors reads the form's cursor and the cursors of the pages
// before it. Anything malformed is refused as invalid input.
func parseAuditCursors(before, back string) (uint64, []uint64, error) {
	bad := fmt.Errorf("log extract page: %w", cases.ErrInvalidInput)
	var b uint64
	if before != "" {
		v, err := strconv.ParseUint(before, 10, 64)
		if err != nil {
			return 0, nil, bad
		}
		b = v
	}
	var out []uint64
	if back != "" {
		fs := strings.Split(back, ",")
		if len(fs) > maxAuditBack {
			return 0, nil, bad
		}
		for _, f := range fs {
			v, err := strconv.ParseUint(f, 10, 64)
			if err != nil {
				return 0, nil, bad
			}
			out = append(out, v)
		}
	}
	if (b == 0) != (len(out) == 0) {
		return 0, nil, bad // the newest page has no pages before it, any other has
	}
	// The pages before this one start at the newest (0) and go back, each
	// cursor below the last: what the controls post, nothing else.
	for i, c := range out {
		if (i == 0) != (c == 0) || (i > 1 && c >= out[i-1]) {
			return 0, nil, bad
		}
	}
	if len(out) > 1 && b >= out[len(out)-1] {
		return 0, nil, bad
	}
	return b, out, nil
}

func joinCursors(cs []uint64) string {
	var sb strings.Builder
	for i, c := range cs {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatUint(c, 10))
	}
	return sb.String()
}

// newAuditPages builds the paging controls of the page read with the
// cursor before after the pages back, which found next (0: no older page).
func newAuditPages(before uint64, back []uint64, next uint64, shown int) auditPages {
	from := len(back)*cases.AccessLogPageSize + 1
	p := auditPages{From: from, Last: from + shown - 1}
	if next != 0 {
		p.Older = next
		p.OlderBack = joinCursors(append(back[:len(back):len(back)], before))
	}
	if len(back) > 0 {
		p.Newer = true
		p.NewerAt = back[len(back)-1]
		p.NewerBack = joinCursors(back[:len(back)-1])
	}
	return p
}
