//go:build unix

package uplink

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/sync/central"
	"clinicgw/sync/tlsconf"
)

// centralProc is the reference central store as a real process: this test
// binary re-executed as TestCentralChild on the store's file, serving the
// sync API (mutual TLS) and the patient pages (TLS) on fixed loopback
// addresses, so that a new process takes over where a killed one was.
// Cases are submitted in the child; what it reports is the test's record.
type centralProc struct {
	t       *testing.T
	path    string
	addr    string // the sync API
	webAddr string // the patient pages
	pkiDir  string
	round   int

	cmd   *exec.Cmd
	in    io.WriteCloser
	lines *bufio.Scanner
	pages map[string]*http.Client // a logged-in patient's browser, by personnummer, for this process
}

// startCentralProc starts the first central store process on a new file.
func startCentralProc(t *testing.T, round int) *centralProc {
	t.Helper()
	dir := t.TempDir()
	p := &centralProc{t: t, path: filepath.Join(dir, "central.db"), addr: freeAddr(t), webAddr: freeAddr(t),
		pkiDir: filepath.Join(dir, "pki"), round: round}
	if err := testPKI().WriteDir(p.pkiDir); err != nil {
		t.Fatal(err)
	}
	p.start(0, 0, nil)
	t.Cleanup(func() {
		if p.cmd != nil {
			p.stop()
		}
	})
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (p *centralProc) url() string { return "https://" + p.addr }

// start runs a central store process on p.path that first submits early
// cases (indices from, from+1, …) before its API serves, recording each
// reported one in got (id → index).
func (p *centralProc) start(early, from int, got map[string]int) {
	t := p.t
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCentralChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), centralChildEnv+"="+p.path, centralAddrEnv+"="+p.addr, centralWebEnv+"="+p.webAddr,
		centralEarlyEnv+"="+strconv.Itoa(early), centralFromEnv+"="+strconv.Itoa(from),
		centralRoundEnv+"="+strconv.Itoa(p.round), pkiEnv+"="+p.pkiDir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.lines, p.pages = cmd, bufio.NewScanner(out), map[string]*http.Client{}
	for {
		line := p.next("ready")
		if line == "ready" {
			break
		}
		id, i := p.submitted(line)
		got[id] = i
	}
	if line := p.next("head"); !strings.HasPrefix(line, "head ") {
		t.Fatalf("central store process: %q, want its head", line)
	}
}

// next is the process's next line of output; it fails the test if the
// process ended instead.
func (p *centralProc) next(want string) string {
	p.t.Helper()
	if !p.lines.Scan() {
		p.t.Fatalf("the central store process ended before %q: %v", want, p.lines.Err())
	}
	return p.lines.Text()
}

// submitted parses a "submitted ID MARKER" line into the case id and the
// submission's index, checking the marker is this round's.
func (p *centralProc) submitted(line string) (string, int) {
	p.t.Helper()
	rest, ok := strings.CutPrefix(line, "submitted ")
	id, marker, _ := strings.Cut(rest, " ")
	prefix := strings.TrimSuffix(killMarker(p.round, 0), "0")
	n, err := strconv.Atoi(strings.TrimPrefix(marker, prefix))
	if !ok || !strings.HasPrefix(marker, prefix) || err != nil {
		p.t.Fatalf("central store process: %q, want a submission of round %d", line, p.round)
	}
	return id, n
}

// command sends one command to the process and returns its answer.
func (p *centralProc) command(cmd string) string {
	p.t.Helper()
	if _, err := io.WriteString(p.in, cmd+"\n"); err != nil {
		p.t.Fatal(err)
	}
	return p.next(cmd)
}

// submit has a patient (patients[i%len(patients)]) write case i and
// returns its id as the process reported it.
func (p *centralProc) submit(i int) string {
	p.t.Helper()
	id, n := p.submitted(p.command("submit " + strconv.Itoa(i)))
	if n != i {
		p.t.Fatalf("submitted %d, the process reported %d", i, n)
	}
	return id
}

// backupTo makes a hot copy of the running store's file at path
// (central.Store.Backup in the process: one read transaction, no stop).
func (p *centralProc) backupTo(path string) {
	p.t.Helper()
	if got := p.command("backup " + path); got != "backed up" {
		p.t.Fatalf("backup: %q", got)
	}
}

// stop SIGKILLs the process and waits for it.
func (p *centralProc) stop() {
	p.t.Helper()
	p.in.Close()
	p.cmd.Process.Signal(syscall.SIGKILL)
	reapKilled(p.t, p.cmd, p.lines, "the central store")
	p.cmd = nil
}

// restoreFrom is the region restoring its central store: the process is
// stopped, the file at path put in place of its own and a new process
// started on it, which first submits early cases (from index from)
// before its API serves; they are recorded in got.
func (p *centralProc) restoreFrom(path string, early, from int, got map[string]int) {
	p.t.Helper()
	p.stop()
	copyFile(p.t, path, p.path)
	p.start(early, from, got)
}

// patientAnswers is case id as patients[i%len(patients)] sees it on the
// patient pages, logged in over TLS: whether the page is there, and how
// many of staff's answers it shows.
func (p *centralProc) patientAnswers(i int, id string) (found bool, answers int) {
	p.t.Helper()
	pnr := patients[i%len(patients)]
	c := p.pages[pnr]
	if c == nil {
		jar, _ := cookiejar.New(nil)
		cfg := tlsconf.Client(tls.Certificate{}, testPKI().RootPool(), "127.0.0.1", nil)
		c = &http.Client{Jar: jar, Timeout: 10 * time.Second,
			Transport:     &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		status, _ := p.page(c, http.MethodPost, "/logga-in", url.Values{"pnr": {pnr}, "name": {patientName}})
		if status != http.StatusSeeOther {
			p.t.Fatalf("patient login: %d", status)
		}
		p.pages[pnr] = c
	}
	status, body := p.page(c, http.MethodGet, "/arenden/"+id, nil)
	switch status {
	case http.StatusOK:
		return true, strings.Count(body, answerText)
	case http.StatusNotFound:
		return false, 0
	}
	p.t.Fatalf("patient page of %s: %d", id, status)
	return false, 0
}

func (p *centralProc) page(c *http.Client, method, path string, form url.Values) (int, string) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, "https://"+p.webAddr+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://"+p.webAddr)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

// servePatientPages serves st's patient pages over TLS on addr (in the
// child process, until it is killed).
func servePatientPages(t *testing.T, st *central.Store, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	for i := 0; err != nil && i < 100; i++ { // the old process's port may take a moment to be free
		time.Sleep(10 * time.Millisecond)
		ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		t.Fatal(err)
	}
	cert, err := testPKI().Server("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: st.PatientHandler(), TLSConfig: tlsconf.ServerNoClientCert(cert)}
	go srv.ServeTLS(ln, "", "")
}
