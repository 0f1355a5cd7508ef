package notify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/agent/notify"
	"clinicgw/agent/notify/notifytest"
	"clinicgw/agent/store"
)

const (
	unitName  = "Vårdcentralen Test"
	unitEmail = "enhet@vc.example.se"
	hsaNurse  = "SE2321000016-N001"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// recipients: the unit's address and one nurse who wants e-mail and SMS.
type recipients struct{}

func (recipients) UnitEmail(context.Context) (string, error) { return unitEmail, nil }
func (recipients) Staff(_ context.Context, hsaID string) (string, string, error) {
	if hsaID == hsaNurse {
		return "syster@vc.example.se", "+46701234567", nil
	}
	return "", "", nil
}

// openStore opens a fresh encrypted store: the queue is its sealed
// settings area.
func openStore(t *testing.T) *store.DB {
	t.Helper()
	dir := t.TempDir()
	kf := filepath.Join(dir, "kek")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "store.db"), kek, store.Options{Unit: "SE2321000016-TEST"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// smsGateway is an HTTPS SMS gateway that keeps the request bodies.
type smsGateway struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []string
}

func startSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sms-nyckel" {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		b, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.bodies = append(g.bodies, string(b))
		g.mu.Unlock()
	}))
	t.Cleanup(g.srv.Close)
	return g
}

type fixture struct {
	n     *notify.Notifier
	clock *fakeClock
	mail  *notifytest.MailServer
	sms   *smsGateway
	logs  *bytes.Buffer
	db    *store.DB
}

func newFixture(t *testing.T, mailAddr string) *fixture {
	t.Helper()
	f := &fixture{clock: &fakeClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}, logs: &bytes.Buffer{}, db: openStore(t)}
	f.mail = notifytest.Start(t, mailAddr, false)
	f.sms = startSMSGateway(t)
	mailer, err := notify.NewMailer(notify.SMTPConfig{Addr: f.mail.Addr, Username: f.mail.User, Password: f.mail.Pass,
		From: "clinicgw <noreply@vc.example.se>", RootCAs: f.mail.Roots, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	smsRoots := x509.NewCertPool()
	smsRoots.AddCert(f.sms.srv.Certificate())
	texter, err := notify.NewTexter(notify.SMSConfig{URL: f.sms.srv.URL + "/send", RootCAs: smsRoots,
		Header: map[string]string{"Authorization": "Bearer sms-nyckel"}})
	if err != nil {
		t.Fatal(err)
	}
	f.n, err = notify.New(notify.Config{UnitName: unitName, Queue: f.db, Recipients: recipients{}, Mailer: mailer, Texter: texter,
		Clock: f.clock, Logger: slog.New(slog.NewTextHandler(f.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) deliver(t *testing.T) int {
	t.Helper()
	n, err := f.n.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readMail parses a received message: its subject (MIME-decoded) and its
// body (quoted-printable decoded).
func readMail(t *testing.T, data string) (subject, body string, h mail.Header) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("received message: %v\n%s", err, data)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return subject, strings.ReplaceAll(string(b), "\r\n", "\n"), msg.Header
}

// TestNoticesOverSMTPAndSMS: through a real SMTP exchange (STARTTLS,
// AUTH PLAIN) and an HTTPS SMS gateway: two arrivals make one digest of
// 5, an assignment goes by e-mail and SMS as the nurse chose, and an
// overdue notice reaches the unit. Each text is its golden file, and
// nothing is left in the queue.
func TestNoticesOverSMTPAndSMS(t *testing.T) {
	f := newFixture(t, "127.0.0.1:0")
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.n.CasesArrived(ctx, 3))
	must(f.n.CasesArrived(ctx, 2))
	must(f.n.CaseAssigned(ctx, hsaNurse))
	must(f.n.CaseAssigned(ctx, "SE2321000016-NONE")) // wants no notices
	must(f.n.CasesOverdue(ctx, 1))
	if got := f.deliver(t); got != 4 {
		t.Fatalf("delivered %d notices, want 4 (digest, assigned by e-mail and by SMS, overdue)", got)
	}
	msgs := f.mail.Messages()
	if len(msgs) != 3 {
		t.Fatalf("the mail server took %d messages, want 3", len(msgs))
	}
	golden := map[string]string{}
	for _, m := range msgs {
		subject, body, h := readMail(t, m.Data)
		if m.From != "noreply@vc.example.se" || len(m.To) != 1 || h.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("envelope %q → %q, Auto-Submitted %q", m.From, m.To, h.Get("Auto-Submitted"))
		}
		golden[m.To[0]+" "+subject] = body
	}
	checkGolden(t, "mail.txt", golden)
	f.sms.mu.Lock()
	bodies := append([]string(nil), f.sms.bodies...)
	f.sms.mu.Unlock()
	if len(bodies) != 1 {
		t.Fatalf("the SMS gateway got %d requests, want 1", len(bodies))
	}
	var sms struct{ To, Text string }
	if err := json.Unmarshal([]byte(bodies[0]), &sms); err != nil || sms.To != "+46701234567" || sms.Text != "Du har fått ett ärende – "+unitName {
		t.Errorf("SMS %q (%v)", bodies[0], err)
	}
	if p, err := f.n.Pending(ctx); err != nil || len(p) != 0 {
		t.Errorf("queue after delivery: %d notices (%v)", len(p), err)
	}
	if strings.Contains(f.logs.String(), "vc.example.se") || strings.Contains(f.logs.String(), "4670") {
		t.Errorf("the log holds an address:\n%s", f.logs)
	}
}

// checkGolden compares the rendered notices with testdata/name (go test
// -update writes it).
func checkGolden(t *testing.T, name string, got map[string]string) {
	t.Helper()
	var b strings.Builder
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString("== " + k + "\n" + got[k] + "\n")
	}
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once)", err)
	}
	if b.String() != string(want) {
		t.Errorf("notices differ from %s:\n%s", path, b.String())
	}
}
