package labelstest

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strings"
	"sync"
)

var (
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	hiddenRe = regexp.MustCompile(`(?is)<(script|style|template)\b.*?</(script|style|template)>`)
	attrRe   = regexp.MustCompile(`(?i)\s(?:aria-label|title|alt|placeholder)="([^"]*)"`)
)

// VisibleText is what a person reads on an HTML page as a server sends
// it: its text and the attributes shown or read out (aria-label, title,
// alt, placeholder).
func VisibleText(page string) string {
	page = hiddenRe.ReplaceAllString(page, " ")
	var attrs []string
	for _, m := range attrRe.FindAllStringSubmatch(page, -1) {
		attrs = append(attrs, m[1])
	}
	return html.UnescapeString(tagRe.ReplaceAllString(page, " ") + " " + strings.Join(attrs, " "))
}

// WordCodes are codes that are also ordinary Swedish words, so their raw
// form cannot be told from the word in running text: RawCodes leaves
// them out, and the tests check the places they are shown (a table's
// cells) for them instead.
var WordCodes = map[string]string{
	"patient": "Swedish for patient",
	"status":  "Swedish for status",
	"text":    "Swedish for text",
	"sms":     "Swedish for a text message",
}

var (
	codesOnce sync.Once
	codesAll  []Const
	codesErr  error
)

// All is Consts' constants, read once.
func All() ([]Const, error) {
	codesOnce.Do(func() { codesAll, _, codesErr = Consts() })
	return codesAll, codesErr
}

// RawCodes returns the internal codes (every constant Consts finds, less
// WordCodes) that text shows as they are, each as a whole word —
// "take-back", not the "take" of "take back" — with the text around it.
func RawCodes(text string) ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var found, seen []string
	for _, c := range all {
		if WordCodes[c.Value] != "" || slices.Contains(seen, c.Value) {
			continue
		}
		seen = append(seen, c.Value)
		re := regexp.MustCompile(`(^|[^\p{L}\p{N}_.-])` + regexp.QuoteMeta(c.Value) + `($|[^\p{L}\p{N}_-])`)
		if m := re.FindStringIndex(text); m != nil {
			before, after := []rune(text[:m[0]]), []rune(text[m[1]:])
			ctx := string(before[max(0, len(before)-30):]) + text[m[0]:m[1]] + string(after[:min(len(after), 30)])
			found = append(found, fmt.Sprintf("%s (%s.%s) in %q", c.Value, c.Type, c.Name, strings.Join(strings.Fields(ctx), " ")))
		}
	}
	return found, nil
}

// IsCode reports whether s is exactly one of the codes Consts finds
// (WordCodes included): a table cell holding only it shows it raw.
func IsCode(s string) bool {
	all, _ := All()
	return slices.ContainsFunc(all, func(c Const) bool { return c.Value == s })
}
