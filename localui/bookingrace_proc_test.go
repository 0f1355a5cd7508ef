//go:build unix

package localui_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/central"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
)

// The reference central store as a real process for the booking race:
// this test binary re-executed as TestBookingRaceCentralChild on the
// store's file, its sync API over mutual TLS and its patient pages over
// TLS on fixed loopback addresses, so that a new process started after a
// SIGKILL takes over where the killed one was. It tells the clinic's time
// (the test's fixed instant), so the times it shows are the gateway's.

const (
	raceCentralEnv = "CLINICGW_BOOKING_RACE_CENTRAL" // the store's file: run as the child
	raceAPIEnv     = "CLINICGW_BOOKING_RACE_API"
	raceWebEnv     = "CLINICGW_BOOKING_RACE_WEB"
	racePKIEnv     = "CLINICGW_BOOKING_RACE_PKI"
	raceTimeEnv    = "CLINICGW_BOOKING_RACE_TIME"
)

// raceCentral is the central store process and what the patients' and
// the gateway's side need to reach it.
type raceCentral struct {
	t       testing.TB
	path    string
	api     string // the sync API's address
	web     string // the patient pages' address
	pkiDir  string
	tmp     string // the child's TMPDIR, removed with the test
	at      time.Time
	logs    *logtest.Buffer
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	started int
}

// startRaceCentral starts the central store process for the clinic dc
// and points dc's configuration at it (as democlinic.StartCentral does
// for one in the process). at is the time it tells.
func startRaceCentral(t testing.TB, dc *democlinic.Clinic, at time.Time) *raceCentral {
	t.Helper()
	rc := &raceCentral{t: t, path: filepath.Join(dc.Dir, "central.db"), api: freeLoopback(t), web: freeLoopback(t),
		pkiDir: filepath.Join(dc.Dir, "pki"), tmp: t.TempDir(), at: at, logs: &logtest.Buffer{}}
	server, err := dc.PKI.Server("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(rc.pkiDir, "racecentral", server); err != nil {
		t.Fatal(err)
	}
	unitCert, err := dc.PKI.Unit(dc.Config.Unit.HSAID, dc.Config.Unit.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := devpki.WriteTLS(rc.pkiDir, "unit", unitCert); err != nil {
		t.Fatal(err)
	}
	forms, err := wire.Marshal(casetype.DefaultForms())
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(filepath.Join(dc.Dir, "forms.json"), forms, 0o640); err != nil {
		t.Fatal(err)
	}
	dc.Config.Central = agent.CentralConfig{URL: "https://" + rc.api, CAFile: filepath.Join("pki", "root.pem"),
		CertFile: filepath.Join("pki", "unit.pem"), KeyFile: filepath.Join("pki", "unit.key"), FormsFile: "forms.json"}
	if err := dc.Config.Write(dc.Config.Path()); err != nil {
		t.Fatal(err)
	}
	rc.start()
	t.Cleanup(func() {
		if rc.cmd != nil {
			rc.kill()
		}
	})
	return rc
}

func freeLoopback(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs a new central store process on the file and waits until it
// serves.
func (rc *raceCentral) start() {
	t := rc.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBookingRaceCentralChild$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), raceCentralEnv+"="+rc.path, raceAPIEnv+"="+rc.api, raceWebEnv+"="+rc.web,
		racePKIEnv+"="+rc.pkiDir, raceTimeEnv+"="+rc.at.Format(time.RFC3339Nano), "TMPDIR="+rc.tmp)
	cmd.Stderr = rc.logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if rc.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rc.cmd = cmd
	rc.started++
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if lines.Text() == "ready" {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return
		}
	}
	t.Fatalf("the central store process ended before it served: %v\n%s", lines.Err(), rc.logs.String())
}

// kill SIGKILLs the process and waits for it.
func (rc *raceCentral) kill() {
	rc.t.Helper()
	// stdin stays open until Wait (which closes it): the process ends when
	// it closes, and must end by the SIGKILL alone.
	_ = rc.cmd.Process.Signal(syscall.SIGKILL)
	err := rc.cmd.Wait()
	if ws, ok := rc.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		rc.t.Fatalf("the central store process ended otherwise than by the SIGKILL: %v\n%s", err, rc.logs.String())
	}
	rc.cmd = nil
}

// restart is the region's central store killed (SIGKILL) and started
// again on its file.
func (rc *raceCentral) restart() {
	rc.t.Helper()
	rc.kill()
	rc.start()
}

// TestBookingRaceCentralChild is the central store process of
// TestBookingRace (skipped unless started by it): it serves until killed.
func TestBookingRaceCentralChild(t *testing.T) {
	path := os.Getenv(raceCentralEnv)
	if path == "" {
		t.Skip("the central store process of TestBookingRace; it starts it")
	}
	at, err := time.Parse(time.RFC3339Nano, os.Getenv(raceTimeEnv))
	if err != nil {
		t.Fatal(err)
	}
	pkiDir := os.Getenv(racePKIEnv)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	st, err := central.Open(context.Background(), path, central.Options{Clock: clocktest.RealTimers(clocktest.New(at)),
		Logger: log, Units: []string{testUnit}, UnitNames: map[string]string{testUnit: testUnitName}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tlsconf.LoadKeyPair(filepath.Join(pkiDir, "racecentral.pem"), filepath.Join(pkiDir, "racecentral.key"))
	if err != nil {
		t.Fatal(err)
	}
	units, err := tlsconf.LoadPool(filepath.Join(pkiDir, "function-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(addr string, srv *http.Server) {
		ln, err := net.Listen("tcp", addr)
		for i := 0; err != nil && i < 200; i++ { // the killed process's port may take a moment to be free
			<-clock.System.NewTimer(10 * time.Millisecond).C()
			ln, err = net.Listen("tcp", addr)
		}
		if err != nil {
			t.Fatal(err)
		}
		go srv.ServeTLS(ln, "", "")
	}
	serve(os.Getenv(raceAPIEnv), tlsconf.NewHTTPServer(st.APIHandler(), tlsconf.Server(cert, units, st.VerifyUnit), central.APILimits))
	serve(os.Getenv(raceWebEnv), tlsconf.NewHTTPServer(st.PatientHandler(), tlsconf.ServerNoClientCert(cert), tlsconf.DefaultLimits))
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes; it kills this process first
}

// racePatient is one patient's browser on the central store's patient
// pages: its own cookies, the connections shared with the others.
type racePatient struct {
	rc     *raceCentral
	pnr    string
	client *http.Client
}

func (rc *raceCentral) newPatients(pnrs []string) []*racePatient {
	cfg := tlsconf.Client(tls.Certificate{}, nil, "127.0.0.1", nil)
	pool, err := tlsconf.LoadPool(filepath.Join(rc.pkiDir, "root.pem"))
	if err != nil {
		rc.t.Fatal(err)
	}
	cfg.RootCAs = pool
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 64}
	rc.t.Cleanup(tr.CloseIdleConnections)
	out := make([]*racePatient, len(pnrs))
	for i, pnr := range pnrs {
		jar, _ := cookiejar.New(nil)
		out[i] = &racePatient{rc: rc, pnr: pnr, client: &http.Client{Jar: jar, Transport: tr, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	return out
}

// do sends one request as the patient's browser does; err is a failure
// to get an answer at all (the process killed under it).
func (p *racePatient) do(method, path string, form url.Values) (status int, body, location string, err error) {
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	origin := "https://" + p.rc.web
	req, err := http.NewRequest(method, origin+path, rd)
	if err != nil {
		return 0, "", "", err
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location"), nil
}

// login logs the patient in (the sessions die with the process).
func (p *racePatient) login() error {
	st, body, _, err := p.do(http.MethodPost, "/logga-in", url.Values{"pnr": {p.pnr}, "name": {"Race Patient"}})
	if err == nil && st != http.StatusSeeOther {
		err = fmt.Errorf("patient login: %d %.200s", st, body)
	}
	return err
}

// get is a page the patient reads, logged in again if the session died.
func (p *racePatient) get(path string) (int, string, error) {
	for range 2 {
		st, body, loc, err := p.do(http.MethodGet, path, nil)
		if err != nil {
			return 0, "", err
		}
		if st == http.StatusSeeOther && strings.HasPrefix(loc, "/logga-in") {
			if err := p.login(); err != nil {
				return 0, "", err
			}
			continue
		}
		return st, body, nil
	}
	return 0, "", fmt.Errorf("GET %s: not logged in after a login", path)
}

// The patient pages' words the race reads.
const (
	raceConfirmed = "mottagningen har bekräftat"
	racePending   = "skickad till mottagningen"
	raceDeclined  = "Mottagningen kunde inte genomföra det."
	raceGone      = "Tiden finns inte längre att boka"
	raceTaken     = "Tiden är redan bokad av någon annan"
	raceAlready   = "Du har redan den här tiden"
)

var (
	dayTimesRe   = regexp.MustCompile(`(?s)<h3>([^<]+)</h3>\s*<ul class="times">(.*?)</ul>`)
	timeLinkRe   = regexp.MustCompile(`<a href="/boka/[^/"]+/tid/([^"?]+)">(\d\d:\d\d)</a>`)
	requestRe    = regexp.MustCompile(`<p><strong>[^<]*</strong>, ([^<]+) (\d\d:\d\d)`)
	declinedRe   = regexp.MustCompile(`(?s)` + regexp.QuoteMeta(raceDeclined) + `\s*([^<]*)</p>`)
	bookedItemRe = regexp.MustCompile(`<li><strong>[^<]*</strong>, ([^<]+?) (\d\d:\d\d)`)
)

// dayTimes parses the free-times page: day → clock → published id.
func dayTimes(body string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, m := range dayTimesRe.FindAllStringSubmatch(body, -1) {
		ts := map[string]string{}
		for _, l := range timeLinkRe.FindAllStringSubmatch(m[2], -1) {
			ts[l[2]] = l[1]
		}
		out[m[1]] = ts
	}
	return out
}

var (
	raceWeekdays = [...]string{"söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag"}
	raceMonths   = [...]string{"januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
		"september", "oktober", "november", "december"}
)

// swedishDay is the day as the patient pages write it, "tisdag 24
// november 2026".
func swedishDay(t time.Time) string {
	return fmt.Sprintf("%s %d %s %d", raceWeekdays[t.Weekday()], t.Day(), raceMonths[t.Month()-1], t.Year())
}
