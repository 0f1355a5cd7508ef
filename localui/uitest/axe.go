package uitest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release AxePath installs.
const AxeVersion = "4.10.3"

// AxeEnv names the environment variable that points at an axe.min.js to
// use instead of installing one (for machines without npm or registry).
const AxeEnv = "CLINICGW_AXE_JS"

// AxeTags are the rule sets Tab.Axe runs: WCAG 2.0 and 2.1, levels A and AA.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Violation is an axe-core rule that elements of the page break.
type Violation struct {
	ID      string // rule, such as "image-alt"
	Impact  string // "minor", "moderate", "serious" or "critical"
	Help    string // what the rule asks for
	HelpURL string
	Nodes   []Node
}

// Node is one element that breaks a rule.
type Node struct {
	Target []string // CSS selectors; more than one for elements in frames or shadow roots
	HTML   string   // the element's opening tag, as axe shows it
}

func (v Violation) String() string {
	targets := make([]string, 0, len(v.Nodes))
	for _, n := range v.Nodes {
		targets = append(targets, strings.Join(n.Target, " "))
	}
	return fmt.Sprintf("%s (%s): %s: %s", v.ID, v.Impact, v.Help, strings.Join(targets, ", "))
}

// SeriousOrCritical returns the violations of serious or critical impact.
func SeriousOrCritical(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			out = append(out, v)
		}
	}
	return out
}

// axeRunJS runs axe on the document and keeps what Violation holds.
// Frames are not checked: axe would have to be injected into each.
const axeRunJS = `axe.run(document, {
	runOnly: {type: 'tag', values: %s},
	resultTypes: ['violations'],
	iframes: false,
}).then((r) => r.violations.map((v) => ({
	id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
	nodes: v.nodes.map((n) => ({
		target: n.target.map((s) => Array.isArray(s) ? s.join(' ') : String(s)),
		html: n.html,
	})),
})))`

// Axe checks the current page with axe-core against AxeTags and returns
// the violations. It evaluates axe through the DevTools protocol, not a
// script element, so it works on pages whose CSP allows only their own
// scripts. It skips t when axe-core cannot be had (see AxePath).
func (tab *Tab) Axe(t testing.TB) []Violation {
	t.Helper()
	src, err := os.ReadFile(AxePath(t))
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	var loaded bool
	if err := tab.Run(chromedp.Evaluate(`typeof window.axe === 'object'`, &loaded)); err != nil {
		t.Fatalf("axe: %v", err)
	}
	if !loaded {
		// The trailing line ends a final comment; true keeps the result
		// JSON-serialisable.
		if err := tab.Run(chromedp.Evaluate(string(src)+"\n;true", &loaded)); err != nil {
			t.Fatalf("inject axe-core: %v", err)
		}
	}
	tags, _ := json.Marshal(AxeTags)
	var raw []struct {
		ID      string `json:"id"`
		Impact  string `json:"impact"`
		Help    string `json:"help"`
		HelpURL string `json:"helpUrl"`
		Nodes   []struct {
			Target []string `json:"target"`
			HTML   string   `json:"html"`
		} `json:"nodes"`
	}
	if err := tab.Run(chromedp.Evaluate(fmt.Sprintf(axeRunJS, tags), &raw, awaitPromise)); err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	vs := make([]Violation, 0, len(raw))
	for _, r := range raw {
		v := Violation{ID: r.ID, Impact: r.Impact, Help: r.Help, HelpURL: r.HelpURL}
		for _, n := range r.Nodes {
			v.Nodes = append(v.Nodes, Node{Target: n.Target, HTML: n.HTML})
		}
		vs = append(vs, v)
	}
	return vs
}

// installMu keeps tests in one process from installing axe-core twice at
// once; other processes are handled by installing into a temporary
// directory and renaming it.
var installMu sync.Mutex

// AxePath returns the path of axe.min.js: $CLINICGW_AXE_JS if set, else
// the copy in the user cache directory ($XDG_CACHE_HOME or ~/.cache on
// Linux) under clinicgw/axe-core@AxeVersion, which it installs with
//
//	npm install --no-save --prefix DIR axe-core@AxeVersion
//
// the first time. Without npm it skips t (fails it when
// CLINICGW_REQUIRE_BROWSER is set); a failed install fails t.
func AxePath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(AxeEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s: %v", AxeEnv, err)
		}
		return p
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		unavailable(t, "no cache directory for axe-core (%v); set %s", err, AxeEnv)
	}
	dir := filepath.Join(cache, "clinicgw", "axe-core@"+AxeVersion)
	js := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")

	installMu.Lock()
	defer installMu.Unlock()
	if _, err := os.Stat(js); err == nil {
		return js
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "axe-core is not in %s and there is no npm to install it (apt-get install npm, or set %s)", dir, AxeEnv)
	}
	if err := installAxe(npm, dir); err != nil {
		t.Fatalf("install axe-core@%s: %v\n(to work offline, set %s to an axe.min.js)", AxeVersion, err, AxeEnv)
	}
	if _, err := os.Stat(js); err != nil {
		t.Fatalf("install axe-core@%s: %v (remove %s to install it again)", AxeVersion, err, dir)
	}
	return js
}

// installAxe installs axe-core into a new directory beside dir and renames
// it to dir, so a concurrent test process sees all of it or nothing.
func installAxe(npm, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".axe-core-install-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after a successful rename there is nothing left
	cmd := exec.Command(npm, "install", "--no-save", "--no-audit", "--no-fund", "--prefix", tmp, "axe-core@"+AxeVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(dir); serr == nil {
			return nil // another process installed it first
		}
		return err
	}
	return nil
}
