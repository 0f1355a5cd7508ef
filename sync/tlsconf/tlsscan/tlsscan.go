package tlsscan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// ErrNoSSLScan means sslscan is not installed (.ci/deps installs it).
var ErrNoSSLScan = errors.New("sslscan is not installed (run .ci/deps, or make deps)")

// Result is what a scan found.
type Result struct {
	Report   string   // sslscan's output
	Suites   int      // cipher suites accepted
	Problems []string // each rule the endpoint breaks; none: it passes
}

var (
	enabled13 = regexp.MustCompile(`(?m)^TLSv1\.3\s+enabled`)
	suiteLine = regexp.MustCompile(`(?m)^(?:Preferred|Accepted)\s+(TLSv1\.[23])\s+(\d+) bits\s+(\S+)`)
)

// Scan runs sslscan against host:port and judges its report: only TLS 1.2
// and 1.3 (SSLv2 to TLS 1.1 disabled, TLS 1.3 enabled); only AEAD suites
// with forward secrecy of at least 128 bits; no insecure renegotiation; not
// vulnerable to heartbleed.
func Scan(ctx context.Context, hostPort string) (Result, error) {
	bin, err := exec.LookPath("sslscan")
	if err != nil {
		return Result{}, ErrNoSSLScan
	}
	out, err := exec.CommandContext(ctx, bin, "--no-colour", hostPort).CombinedOutput()
	if err != nil {
		return Result{}, fmt.Errorf("sslscan %s: %w\n%s", hostPort, err, out)
	}
	return Judge(string(out)), nil
}

// Judge applies Scan's rules to an sslscan report.
func Judge(report string) Result {
	r := Result{Report: report}
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	for _, proto := range []string{"SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(proto) + `\s+disabled`).MatchString(report) {
			bad("%s is not reported disabled", proto)
		}
	}
	if !enabled13.MatchString(report) {
		bad("TLS 1.3 is not enabled")
	}
	suites := suiteLine.FindAllStringSubmatch(report, -1)
	if len(suites) == 0 {
		bad("sslscan listed no accepted cipher suite")
	}
	for _, s := range suites {
		name := s[3]
		aead := strings.Contains(name, "GCM") || strings.Contains(name, "CHACHA20")
		fs := s[1] == "TLSv1.3" || strings.HasPrefix(name, "ECDHE-")
		bits, _ := strconv.Atoi(s[2])
		if !aead || !fs || bits < 128 {
			bad("weak suite accepted: %s %s bits %s", s[1], s[2], name)
		}
	}
	r.Suites = len(suites)
	clean := strings.ReplaceAll(report, "not vulnerable to heartbleed\n", "")
	for _, b := range []string{"Insecure session renegotiation", "vulnerable to heartbleed\n"} {
		if strings.Contains(clean, b) {
			bad("sslscan reports %q", strings.TrimSpace(b))
		}
	}
	return r
}

// TB is the part of testing.TB that Check uses.
type TB interface {
	Helper()
	Skip(args ...any)
	Fatal(args ...any)
	Error(args ...any)
	Logf(format string, args ...any)
}

// Check scans hostPort in a test and reports each problem as an error.
// A missing sslscan skips the test, except under CI (CI set), where
// .ci/deps has installed it and its absence is a failure.
func Check(ctx context.Context, t TB, hostPort string) {
	t.Helper()
	r, err := Scan(ctx, hostPort)
	if errors.Is(err, ErrNoSSLScan) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Error(p)
	}
	t.Logf("%d suites accepted, all AEAD with forward secrecy; SSLv2–TLS 1.1 disabled", r.Suites)
}
