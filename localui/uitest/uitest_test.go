package uitest_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"clinicgw/localui/uitest"
)

// csp is as strict as the web UI's: only the page's own scripts run.
const csp = "default-src 'self'; script-src 'self'"

// pages are served as HTML; scripts as JavaScript.
var pages = map[string]string{
	"/": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inbox</title>
<script src="/app.js" defer></script></head>
<body><main><h1 id="title">Inbox</h1>
<p id="banner">New case</p>
<label for="q">Search</label> <input id="q" type="text">
<button id="go" type="button">Go</button>
<p id="out"></p></main></body></html>`,
	"/app.js": `document.getElementById('go').addEventListener('click', () => {
	document.getElementById('out').textContent = 'searched ' + document.getElementById('q').value;
	document.getElementById('banner').hidden = true;
});`,

	// A stored XSS payload that comes back escaped, and one that does not
	// but is inline, so the CSP blocks it: neither may run.
	"/xss": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Case</title></head>
<body><main><h1>Case</h1><p id="text">&lt;script&gt;alert(1)&lt;/script&gt;</p>
<script>alert('inline')</script></main></body></html>`,

	// A same-origin script may run, so its dialogs are seen.
	"/dialog": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dialog</title>
<script src="/x.js"></script></head><body><main><h1 id="title">After</h1></main></body></html>`,
	"/x.js": `alert('from x.js'); if (confirm('sure?')) { document.title = 'confirmed'; }`,

	"/errors": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Errors</title>
<script src="/err.js"></script></head><body><main><h1>Errors</h1></main></body></html>`,
	"/err.js": `console.error('boom', 42); throw new Error('bang');`,

	"/bad": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body><main><h1>Bad</h1><img src="/logo.png"><input type="text" id="name"></main></body></html>`,
	"/good": `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Good</title></head>
<body><main><h1>Good</h1><img src="/logo.png" alt="Clinic logo">
<label for="name">Name</label> <input type="text" id="name"></main></body></html>`,
}

// server serves pages with the strict CSP, /login?who=NAME sets a cookie
// and /whoami shows it.
func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", csp)
		if strings.HasSuffix(r.URL.Path, ".js") {
			w.Header().Set("Content-Type", "text/javascript")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		fmt.Fprint(w, body)
	})
	mux.HandleFunc("/favicon.ico", logo)
	mux.HandleFunc("/logo.png", logo)
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "who", Value: r.FormValue("who"), Path: "/", Secure: true, HttpOnly: true})
		http.Redirect(w, r, "/whoami", http.StatusSeeOther)
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		who := "nobody"
		if c, err := r.Cookie("who"); err == nil {
			who = c.Value
		}
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Who</title></head><body><p id="who">%s</p></body></html>`, who)
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestBrowser(t *testing.T) {
	b := uitest.NewBrowser(t)
	srv := server(t)

	t.Run("NavigateTextClick", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/")
		if got := tab.Text("#title"); got != "Inbox" {
			t.Errorf("title = %q, want Inbox", got)
		}
		tab.SendKeys("#q", "ab")
		tab.SetValue("#q", tab.Text("#banner")+" x") // SetValue replaces what was typed
		tab.Click("#go")
		tab.WaitGone("#banner")
		tab.WaitGone("#no-such-element")
		if got := tab.Text("#out"); got != "searched New case x" {
			t.Errorf("out = %q, want %q", got, "searched New case x")
		}
		var n int
		tab.Eval(`document.querySelectorAll('p').length`, &n)
		if n != 2 {
			t.Errorf("Eval: %d p elements, want 2", n)
		}
		if errs := tab.ConsoleErrors(); len(errs) > 0 {
			t.Errorf("console errors: %q", errs)
		}
	})

	t.Run("TabsAreSeparateBrowsers", func(t *testing.T) {
		distributor, clinician := b.NewTab(t), b.NewTab(t)
		distributor.Navigate(srv.URL + "/login?who=distributor")
		clinician.Navigate(srv.URL + "/whoami")
		if got := clinician.Text("#who"); got != "nobody" {
			t.Errorf("second tab sees cookie %q, want none", got)
		}
		clinician.Navigate(srv.URL + "/login?who=clinician")
		distributor.Navigate(srv.URL + "/whoami")
		if got := distributor.Text("#who"); got != "distributor" {
			t.Errorf("first tab is %q, want distributor", got)
		}
		if got := clinician.Text("#who"); got != "clinician" {
			t.Errorf("second tab is %q, want clinician", got)
		}
	})

	t.Run("Dialogs", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/dialog")
		if got := tab.Text("#title"); got != "After" {
			t.Errorf("page after dialogs: %q", got)
		}
		want := []string{"from x.js", "sure?"}
		if got := tab.Dialogs(); !slices.Equal(got, want) {
			t.Errorf("Dialogs() = %q, want %q", got, want)
		}
		var title string
		tab.Eval(`document.title`, &title)
		if title != "Dialog" {
			t.Errorf("confirm was accepted: title %q", title)
		}
	})

	t.Run("XSSInert", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/xss")
		if got := tab.Text("#text"); got != "<script>alert(1)</script>" {
			t.Errorf("text = %q", got)
		}
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("dialogs opened: %q", d)
		}
		v := tab.CSPViolations()
		if len(v) != 1 || !strings.Contains(v[0], "Content Security Policy") {
			t.Errorf("CSPViolations() = %q, want the inline script's", v)
		}
	})

	t.Run("ConsoleErrors", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/errors")
		errs := tab.ConsoleErrors()
		if len(errs) != 2 || errs[0] != "boom 42" || !strings.Contains(errs[1], "Error: bang") {
			t.Errorf("ConsoleErrors() = %q, want boom 42 and Error: bang", errs)
		}
	})

	t.Run("Screenshot", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/")
		path := filepath.Join(t.TempDir(), "shots", "inbox.png")
		tab.Screenshot(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("screenshot is no PNG: %v", err)
		}
		if w := img.Bounds().Dx(); w != 1280 {
			t.Errorf("screenshot is %d wide, want the window's 1280", w)
		}
	})

	t.Run("Axe", func(t *testing.T) {
		tab := b.NewTab(t)
		tab.Navigate(srv.URL + "/bad")
		found := map[string]bool{}
		for _, v := range tab.Axe(t) {
			found[v.ID] = true
			if v.ID == "image-alt" && (len(v.Nodes) != 1 || !slices.Equal(v.Nodes[0].Target, []string{"img"})) {
				t.Errorf("image-alt nodes: %+v", v.Nodes)
			}
		}
		for _, id := range []string{"image-alt", "label"} {
			if !found[id] {
				t.Errorf("axe missed %s on /bad (found %v)", id, found)
			}
		}
		if d := tab.Dialogs(); len(d) > 0 {
			t.Errorf("dialogs: %q", d)
		}

		// The CSP forbids inline and foreign scripts; axe runs anyway.
		tab.Navigate(srv.URL + "/good")
		if vs := uitest.SeriousOrCritical(tab.Axe(t)); len(vs) > 0 {
			t.Errorf("serious or critical violations on /good: %v", vs)
		}
		if v := tab.CSPViolations(); len(v) > 0 {
			t.Errorf("axe caused CSP violations: %q", v)
		}
	})
}

func TestSeriousOrCritical(t *testing.T) {
	vs := []uitest.Violation{{ID: "a", Impact: "minor"}, {ID: "b", Impact: "serious"},
		{ID: "c", Impact: "moderate"}, {ID: "d", Impact: "critical"}, {ID: "e"}}
	var got []string
	for _, v := range uitest.SeriousOrCritical(vs) {
		got = append(got, v.ID)
	}
	if want := []string{"b", "d"}; !slices.Equal(got, want) {
		t.Errorf("SeriousOrCritical = %v, want %v", got, want)
	}
}

// logo serves a 1×1 PNG.
func logo(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "image/png")
	png.Encode(w, image.NewGray(image.Rect(0, 0, 1, 1)))
}
