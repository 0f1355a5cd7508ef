package agent

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The module's dependency direction, in one sentence: imports point down,
// cmd → agent (the gateway's wiring) → the gateway's parts (localui,
// sync/uplink, cardauth, agent/notify, agent/archive, agent/metrics) → its
// domain (agent/cases, agent/store, agent/directory, agent/audit) → the
// shared leaves (sync/wire and its subpackages, sync/seal, sync/tlsconf, sync/bidi,
// sync/atomicfile, sync/boltfile, sync/clock, and sync/i18n, the one
// translation catalogue, which both ends' pages read); the reference central
// store (sync/central) stands beside the gateway on the same leaves, and
// neither imports the other.
//
// Test code may also import the test-support packages (a path element
// ending in "test", cardauth/devpki, agent/powercut) and the reference
// central store, so the gateway's tests run against the real other end;
// the demo wiring (agent/democlinic) may import the central store too, as
// cmd does.

// layer names the packages a rule speaks of.
type layer func(path string) bool

func under(prefixes ...string) layer {
	return func(p string) bool {
		for _, pre := range prefixes {
			pre = "clinicgw/" + pre
			if p == pre || strings.HasPrefix(p, pre+"/") {
				return true
			}
		}
		return false
	}
}

func exactly(paths ...string) layer {
	return func(p string) bool { return slices.Contains(paths, strings.TrimPrefix(p, "clinicgw/")) }
}

// testSupport reports whether p is a package made for tests: they may be
// imported by any test.
func testSupport(p string) bool {
	rest, ok := strings.CutPrefix(p, "clinicgw/")
	if !ok {
		return false
	}
	for _, el := range strings.Split(rest, "/") {
		if strings.HasSuffix(el, "test") {
			return true
		}
	}
	return rest == "cardauth/devpki" || rest == "agent/powercut" || strings.HasPrefix(rest, "cardauth/token/softhsm")
}

var (
	leaves       = under("sync/wire", "sync/seal", "sync/tlsconf", "sync/bidi", "sync/atomicfile", "sync/boltfile", "sync/clock", "sync/i18n")
	centralStore = under("sync/central")
	gateway      = under("agent", "localui", "cardauth", "sync/uplink")
	domain       = under("agent/cases", "agent/store", "agent/audit", "agent/directory", "agent/groups")
	wiring       = exactly("agent")
	command      = under("cmd")
	// gatewayOnly is the gateway's own code: everything of it but the
	// card login's generic parts, which a central store could reuse.
	gatewayOnly = under("agent", "localui", "sync/uplink")
)

// importRule forbids the packages in from to import those in to.
type importRule struct {
	name     string
	from, to layer
	// demoMay lists packages whose non-test code may break the rule
	// (the demo wiring).
	demoMay []string
	// testsMay allows test code to break the rule.
	testsMay bool
	why      string
}

var importRules = []importRule{
	{
		name: "leaves import nothing of the module above them",
		from: leaves, to: func(p string) bool { return strings.HasPrefix(p, "clinicgw/") && !leaves(p) },
		why: "the protocol and the shared leaves are the vocabulary both ends speak; what they import, both ends carry",
	},
	{
		name: "the central store imports nothing of the gateway",
		from: centralStore, to: gatewayOnly,
		why: "sync/central is the reference of the other end: a region's own central store has no gateway code, so ours must not need any",
	},
	{
		name: "the central store imports nothing of the card login",
		from: centralStore, to: under("cardauth"), testsMay: true,
		why: "patients log in at the central store by e-legitimation, never by a staff card",
	},
	{
		name: "the gateway imports nothing of the central store",
		from: gateway, to: centralStore, testsMay: true, demoMay: []string{"clinicgw/agent/democlinic"},
		why: "the gateway speaks to any region's central store through sync/wire; only tests and the demo run the reference one",
	},
	{
		name: "the card login imports nothing of the gateway's domain or wiring",
		from: under("cardauth"), to: under("agent", "localui", "sync/uplink", "sync/central"),
		testsMay: true,
		why:      "cardauth proves who holds a card; what staff may do is the gateway's business",
	},
	{
		name: "the domain imports nothing above it",
		from: domain, to: func(p string) bool { return gateway(p) && !domain(p) && !testSupport(p) },
		testsMay: true,
		why:      "cases, store, audit and directory are what the rest of the gateway is built on",
	},
	{
		name: "the access log imports nothing of the module but the leaves",
		from: under("agent/audit"), to: func(p string) bool { return strings.HasPrefix(p, "clinicgw/") && !leaves(p) && !testSupport(p) },
		testsMay: false,
		why:      "the access log's chain is the bottom of the gateway's domain: the case service and the store record into it",
	},
	{
		name: "only cmd and the demo wiring import the gateway's wiring",
		from: func(p string) bool { return !command(p) }, to: wiring,
		testsMay: true, demoMay: []string{"clinicgw/agent/democlinic"},
		why: "agent wires every part together; a part that imported it would depend on all of them",
	},
	{
		name: "nothing imports a command",
		from: func(string) bool { return true }, to: command,
		why: "cmd is the top",
	},
}

type listedPackage struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// TestImportDirection fails for every import that breaks one of
// importRules, naming the rule and why it holds.
func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,TestImports,XTestImports", "clinicgw/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 30 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			checkImport(t, p.ImportPath, imp, false)
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if imp == p.ImportPath { // an external test package importing its own package
				continue
			}
			checkImport(t, p.ImportPath, imp, true)
		}
	}
}

func checkImport(t *testing.T, from, imp string, inTest bool) {
	t.Helper()
	for _, r := range importRules {
		if !r.from(from) || !r.to(imp) {
			continue
		}
		if inTest && (r.testsMay || testSupport(imp)) {
			continue
		}
		if slices.Contains(r.demoMay, from) {
			continue
		}
		where := from
		if inTest {
			where += " (tests)"
		}
		t.Errorf("%s imports %s: breaks the rule %q: %s", where, imp, r.name, r.why)
	}
}
