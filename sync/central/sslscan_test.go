package central

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSSLScan runs Debian's sslscan, an outside TLS client, against the
// sync API as served (TL1): only TLS 1.2 and 1.3, only AEAD suites with
// forward secrecy, at least 128-bit strength, no renegotiation, no
// heartbleed. Under CI (CI=true) a missing sslscan is a failure: .ci/deps
// installs it.
func TestSSLScan(t *testing.T) {
	bin, err := exec.LookPath("sslscan")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("sslscan is not installed (.ci/deps installs it)")
		}
		t.Skip("sslscan is not installed: run .ci/deps (make deps) to include this check")
	}
	e := newEnv(t)
	host := strings.TrimPrefix(e.api.URL, "https://")
	out, err := exec.CommandContext(t.Context(), bin, "--no-colour", host).CombinedOutput()
	if err != nil {
		t.Fatalf("sslscan: %v\n%s", err, out)
	}
	report := string(out)
	for _, proto := range []string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(proto) + `\s+disabled`).MatchString(report) {
			t.Errorf("%s is not reported disabled", proto)
		}
	}
	if !regexp.MustCompile(`(?m)^TLSv1\.3\s+enabled`).MatchString(report) {
		t.Error("TLS 1.3 is not enabled")
	}
	suites := regexp.MustCompile(`(?m)^(?:Preferred|Accepted)\s+(TLSv1\.[23])\s+(\d+) bits\s+(\S+)`).FindAllStringSubmatch(report, -1)
	if len(suites) == 0 {
		t.Fatalf("sslscan listed no accepted cipher suite:\n%s", report)
	}
	for _, s := range suites {
		name := s[3]
		aead := strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")
		fs := s[1] == "TLSv1.3" || strings.HasPrefix(name, "ECDHE-")
		bits, _ := strconv.Atoi(s[2])
		if !aead || !fs || bits < 128 {
			t.Errorf("weak suite accepted: %s %s bits %s", s[1], s[2], name)
		}
	}
	for _, bad := range []string{"Insecure session renegotiation", "vulnerable to heartbleed\n"} {
		if strings.Contains(strings.ReplaceAll(report, "not vulnerable to heartbleed\n", ""), bad) {
			t.Errorf("sslscan reports %q", bad)
		}
	}
	t.Logf("%d suites accepted, all AEAD with forward secrecy; SSLv2–TLS 1.1 disabled", len(suites))
}
