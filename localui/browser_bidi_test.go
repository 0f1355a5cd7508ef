package localui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"clinicgw/localui/uitest"
)

// visualOrderJS measures, in every text node under the element matching
// the selector, where each letter of the word is drawn: one list of left
// edges per occurrence, in the order the letters were written.
const visualOrderJS = `(function (sel, word) {
  const out = [];
  document.querySelectorAll(sel).forEach(function (el) {
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = w.nextNode(); n; n = w.nextNode()) {
      for (let i = n.data.indexOf(word); i >= 0; i = n.data.indexOf(word, i + 1)) {
        const xs = [];
        for (let k = 0; k < word.length; k++) {
          const r = document.createRange();
          r.setStart(n, i + k); r.setEnd(n, i + k + 1);
          xs.push(r.getBoundingClientRect().left);
        }
        out.push(xs);
      }
    }
  });
  return out;
})(%q, %q)`

// checkDrawnInOrder fails unless every occurrence of word under sel is
// drawn left to right in the order it was written, and there are at
// least want occurrences.
func checkDrawnInOrder(t *testing.T, tab *uitest.Tab, where, sel, word string, want int) {
	t.Helper()
	var got [][]float64
	tab.Eval(fmt.Sprintf(visualOrderJS, sel, word), &got)
	if len(got) < want {
		t.Errorf("%s: %d occurrences of %q under %s, want at least %d", where, len(got), word, sel, want)
	}
	for _, xs := range got {
		for k := 1; k < len(xs); k++ {
			if xs[k] <= xs[k-1] {
				t.Errorf("%s: %q is not drawn in the order written: left edges %v (a reader sees it reordered)", where, word, xs)
				break
			}
		}
	}
	var text string
	tab.Eval(`document.body.innerText`, &text)
	if strings.ContainsAny(text, bidiControls) {
		t.Errorf("%s: the page's text keeps a bidi control", where)
	}
}

// TestBrowserBidiSpoofShownAsWritten, in Chromium: a case whose patient
// name, text and form answers carry "\u202egpj.exe" is shown with the
// letters in the order written ("gpj.exe", never "exe.jpg") in the inbox
// and on the case page.
func TestBrowserBidiSpoofShownAsWritten(t *testing.T) {
	c := startClinic(t)
	b := uitest.NewBrowser(t)
	cs := c.receiveSpoof()
	row := `#case-` + string(cs.ID)
	tab := b.NewTab(t)
	useSession(t, tab, c.login(hsaDist))

	run(t, tab, "inbox", chromedp.Navigate(c.origin+"/inbox"), chromedp.WaitVisible(row))
	checkDrawnInOrder(t, tab, "inbox", row, "gpj.exe", 1)
	if txt := tab.Text(row); strings.Contains(txt, "exe.jpg") {
		t.Errorf("inbox row: %q", txt)
	}

	run(t, tab, "case page", chromedp.Navigate(c.origin+"/cases/"+string(cs.ID)), chromedp.WaitVisible(`#casebody`))
	// The name, the text, a form label and a form answer.
	checkDrawnInOrder(t, tab, "case page", `#casebody`, "gpj.exe", 4)
	checkDrawnInOrder(t, tab, "case page", `#casebody`, "Åsidosatt", 1)
	checkDrawnInOrder(t, tab, "case page", `#casebody`, "ett isolat", 1)
	shot(tab, "case-bidi")
}
