package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/agent/notify"
	"clinicgw/agent/notify/notifytest"
)

// TestMailServerDownThenBack: with the mail server gone, a notice waits
// and is retried after 1, 2, 4 … minutes (the reason kept for the unit
// administrator); when the server is back, it is delivered exactly once.
func TestMailServerDownThenBack(t *testing.T) {
	f := newFixture(t, "127.0.0.1:0")
	addr := f.mail.Addr
	f.mail.Close()
	// Down: the address stays held here (another test binary's server could
	// otherwise take the freed port), and every connection is cut at once.
	held, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := held.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx := context.Background()
	if err := f.n.CasesArrived(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.n.CaseAssigned(ctx, hsaNurse); err != nil {
		t.Fatal(err)
	}
	for i, wait := range []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute} {
		f.clock.Advance(wait)
		if got := f.deliver(t); got != map[bool]int{true: 1, false: 0}[i == 0] { // the SMS goes at once
			t.Fatalf("attempt %d while the server is down: %d delivered", i+1, got)
		}
		p, _ := f.n.Pending(ctx)
		if len(p) != 2 || p[0].Attempts != i+1 || !strings.Contains(p[0].LastError, "mail server") {
			t.Fatalf("attempt %d: queue %+v", i+1, p)
		}
		if next := p[0].NextAt.Sub(f.clock.Now()); next != time.Minute<<i {
			t.Errorf("attempt %d: next try in %v, want %v", i+1, next, time.Minute<<i)
		}
	}
	f.clock.Advance(time.Minute) // not yet due
	if got := f.deliver(t); got != 0 {
		t.Fatalf("delivered %d before the retry was due", got)
	}
	held.Close()
	back := notifytest.Start(t, addr, false)
	f.clock.Advance(7 * time.Minute)
	if got := f.deliver(t); got != 2 {
		t.Fatalf("server back: %d delivered, want 2", got)
	}
	f.clock.Advance(time.Hour)
	if got := f.deliver(t); got != 0 {
		t.Fatalf("delivered %d more", got)
	}
	if n := len(back.Messages()); n != 2 {
		t.Errorf("the mail server took %d messages, want 2 (each e-mail once)", n)
	}
}

// TestDigest: new cases within the interval fold into the waiting notice;
// after one went out, the next is due no sooner than the interval after.
func TestDigest(t *testing.T) {
	f := newFixture(t, "127.0.0.1:0")
	ctx := context.Background()
	if err := f.n.CasesArrived(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := f.deliver(t); got != 1 {
		t.Fatalf("first notice: %d delivered", got)
	}
	f.clock.Advance(time.Minute)
	for range 3 {
		if err := f.n.CasesArrived(ctx, 2); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(notify.DefaultDigest - time.Minute - time.Second)
	if got := f.deliver(t); got != 0 {
		t.Fatalf("a second notice %d within the interval", got)
	}
	f.clock.Advance(time.Second)
	if got := f.deliver(t); got != 1 {
		t.Fatalf("at the interval: %d delivered, want 1", got)
	}
	msgs := f.mail.Messages()
	if _, body, _ := readMail(t, msgs[len(msgs)-1].Data); !strings.HasPrefix(body, "6 nya ärenden") {
		t.Errorf("digest: %q", body)
	}
}

// TestNeverInClear: a mail server without STARTTLS gets nothing; the
// notice waits with the reason.
func TestNeverInClear(t *testing.T) {
	plain := notifytest.Start(t, "127.0.0.1:0", true)
	m, err := notify.NewMailer(notify.SMTPConfig{Addr: plain.Addr, From: "noreply@vc.example.se", RootCAs: plain.Roots})
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), unitEmail, notify.Text{Subject: "s", Body: "b"}, time.Now(), "x")
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("send without STARTTLS: %v", err)
	}
	if n := len(plain.Messages()); n != 0 {
		t.Errorf("the plain server took %d messages", n)
	}
}

func TestConfigRefused(t *testing.T) {
	for _, c := range []notify.SMTPConfig{
		{Addr: "mail.example.se", From: "a@b.se"},
		{Addr: "mail.example.se:587", From: "not an address"},
		{Addr: "mail.example.se:587", From: "a@b.se", Security: "none"},
	} {
		if _, err := notify.NewMailer(c); err == nil {
			t.Errorf("NewMailer(%+v) accepted", c)
		}
	}
	for _, c := range []notify.SMSConfig{
		{URL: "http://sms.example.se/send"},
		{URL: "https://sms.example.se/send", Body: "{{.Nope"},
	} {
		if _, err := notify.NewTexter(c); err == nil {
			t.Errorf("NewTexter(%+v) accepted", c)
		}
	}
}

// TestOverdueOncePerCase: each case is announced overdue once, in a
// notice counting the cases newly overdue since the last check.
func TestOverdueOncePerCase(t *testing.T) {
	f := newFixture(t, "127.0.0.1:0")
	ctx := context.Background()
	for _, step := range []struct {
		ids  []string
		want int // cases in the notice, 0 for none
	}{
		{nil, 0},
		{[]string{"a", "b"}, 2},
		{[]string{"a", "b"}, 0},
		{[]string{"b", "c"}, 1},      // a was answered, c is new
		{[]string{"a", "b", "c"}, 1}, // a overdue again after a follow-up: new again
	} {
		before := len(f.mail.Messages())
		if err := f.n.OverdueNow(ctx, step.ids); err != nil {
			t.Fatal(err)
		}
		f.deliver(t)
		msgs := f.mail.Messages()[before:]
		switch {
		case step.want == 0 && len(msgs) != 0:
			t.Errorf("%v: %d notices, want none", step.ids, len(msgs))
		case step.want > 0 && len(msgs) != 1:
			t.Errorf("%v: %d notices, want one", step.ids, len(msgs))
		case step.want > 0:
			_, body, _ := readMail(t, msgs[0].Data)
			want := map[bool]string{true: "Ett ärende", false: "2 ärenden"}[step.want == 1]
			if !strings.HasPrefix(body, want) {
				t.Errorf("%v: %q, want it to start %q", step.ids, body, want)
			}
		}
	}
}

// TestMailOutages is the notices' soak: CLINICGW_NOTIFY_OUTAGE_ROUNDS
// rounds (30 by default; `make soak` runs 1000), each queueing one to
// three assignment notices and then, with the mail server up or down at
// random, letting 1 to 20 minutes pass and delivering what is due. Then
// the server stays up until the queue is empty. Model: the mail server
// received each e-mail notice exactly once, and nothing is left queued.
func TestMailOutages(t *testing.T) {
	rounds := 30
	if s := os.Getenv("CLINICGW_NOTIFY_OUTAGE_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil {
			t.Fatalf("CLINICGW_NOTIFY_OUTAGE_ROUNDS: %v", err)
		}
	}
	f := newFixture(t, "127.0.0.1:0")
	addr := f.mail.Addr
	ctx := context.Background()
	server := f.mail // nil while down
	var taken []notifytest.Message
	var held net.Listener
	setUp := func(up bool) {
		switch {
		case up && server == nil:
			held.Close()
			server = notifytest.Start(t, addr, false)
		case !up && server != nil:
			taken = append(taken, server.Messages()...)
			server.Close()
			server = nil
			var err error
			if held, err = net.Listen("tcp", addr); err != nil { // every connection cut at once
				t.Fatal(err)
			}
			go func(l net.Listener) {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}(held)
		}
	}
	queued, down := 0, 0
	for range rounds {
		for range 1 + randN(3) {
			if err := f.n.CaseAssigned(ctx, hsaNurse); err != nil {
				t.Fatal(err)
			}
			queued++
		}
		up := randN(2) == 0
		if !up {
			down++
		}
		setUp(up)
		f.clock.Advance(time.Duration(1+randN(20)) * time.Minute)
		f.deliver(t)
	}
	setUp(true)
	for i := 0; ; i++ {
		p, err := f.n.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(p) == 0 {
			break
		}
		if i == 100 {
			t.Fatalf("%d notices still queued with the server up", len(p))
		}
		f.clock.Advance(time.Hour)
		f.deliver(t)
	}
	taken = append(taken, server.Messages()...)
	mails := 0
	for _, m := range taken {
		if slices.Equal(m.To, []string{"syster@vc.example.se"}) {
			mails++
		}
	}
	t.Logf("%d rounds (%d with the mail server down): %d e-mail notices queued, %d received", rounds, down, queued, mails)
	// Each notice exactly once, by its Message-ID: a total alone would let
	// a lost notice and a duplicate cancel out.
	ids := messageIDs(t, taken)
	for id, n := range ids {
		if n != 1 {
			t.Errorf("notice %s arrived %d times, want exactly once", id, n)
		}
	}
	if len(ids) != queued || mails != queued {
		t.Errorf("the mail server received %d e-mails (%d distinct notices) for %d notices: each must arrive exactly once", mails, len(ids), queued)
	}
	if rounds >= 10 && (down == 0 || down == rounds) {
		t.Errorf("%d of %d rounds with the server down: the outage was not tried both ways", down, rounds)
	}
}

func randN(n int) int { return int(mrand.IntN(n)) }

// TestMailerTLS: real SMTP exchanges over STARTTLS and implicit TLS with
// the TLS configuration from tlsconf.PublicClient: the server's CA given
// (as notify.smtp_ca_file does) delivers; without it the system's roots
// decide, and they do not know a development CA, so nothing goes.
func TestMailerTLS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		start    func(*testing.T) *notifytest.MailServer
		security string
		roots    bool
	}{
		{"STARTTLS, configured CA", func(t *testing.T) *notifytest.MailServer { return notifytest.Start(t, "127.0.0.1:0", false) }, notify.StartTLS, true},
		{"STARTTLS, system roots", func(t *testing.T) *notifytest.MailServer { return notifytest.Start(t, "127.0.0.1:0", false) }, notify.StartTLS, false},
		{"implicit TLS, configured CA", func(t *testing.T) *notifytest.MailServer { return notifytest.StartImplicitTLS(t, "127.0.0.1:0") }, notify.ImplicitTLS, true},
		{"implicit TLS, system roots", func(t *testing.T) *notifytest.MailServer { return notifytest.StartImplicitTLS(t, "127.0.0.1:0") }, notify.ImplicitTLS, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tc.start(t)
			cfg := notify.SMTPConfig{Addr: srv.Addr, Security: tc.security, Username: srv.User, Password: srv.Pass,
				From: "noreply@vc.example.se", Timeout: 5 * time.Second}
			if tc.roots {
				cfg.RootCAs = srv.Roots
			}
			m, err := notify.NewMailer(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = m.Send(context.Background(), unitEmail, notify.Text{Subject: "s", Body: "b"}, time.Now(), "tls-test")
			var unknown x509.UnknownAuthorityError
			switch {
			case tc.roots && err != nil:
				t.Fatalf("send: %v", err)
			case !tc.roots && !errors.As(err, &unknown):
				t.Fatalf("send trusting the system's roots: %v, want an unknown authority", err)
			}
			if n, want := len(srv.Messages()), map[bool]int{true: 1, false: 0}[tc.roots]; n != want {
				t.Errorf("the server took %d messages, want %d", n, want)
			}
		})
	}
}

// TestTexterTLS: the SMS gateway's client takes its TLS configuration from
// tlsconf.PublicClient: the gateway's CA given, a request goes; without
// it the system's roots decide (they do not know httptest's CA); a gateway
// capped at TLS 1.1 is refused.
func TestTexterTLS(t *testing.T) {
	var hits atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	modern := httptest.NewTLSServer(h)
	defer modern.Close()
	old := httptest.NewUnstartedServer(h)
	old.TLS = &tls.Config{MaxVersion: tls.VersionTLS11}
	old.StartTLS()
	defer old.Close()
	for _, s := range []*httptest.Server{modern, old} {
		s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refusals below are expected
	}
	pool := func(s *httptest.Server) *x509.CertPool { p := x509.NewCertPool(); p.AddCert(s.Certificate()); return p }
	for _, tc := range []struct {
		name  string
		srv   *httptest.Server
		roots *x509.CertPool
		ok    bool
	}{
		{"configured CA", modern, pool(modern), true},
		{"system roots", modern, nil, false},
		{"TLS 1.1 gateway", old, pool(old), false},
	} {
		tx, err := notify.NewTexter(notify.SMSConfig{URL: tc.srv.URL + "/send", RootCAs: tc.roots})
		if err != nil {
			t.Fatal(err)
		}
		before := hits.Load()
		err = tx.Send(context.Background(), "+46701234567", "hej")
		if n := hits.Load() - before; (err == nil) != tc.ok || (n > 0) != tc.ok {
			t.Errorf("%s: send = %v, %d requests reached the gateway", tc.name, err, n)
		}
	}
}
