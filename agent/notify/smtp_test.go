package notify_test

import (
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"clinicgw/cardauth/devpki"
)

// mailServer is a real SMTP server on loopback (emersion/go-smtp) that
// offers STARTTLS with a development certificate and AUTH PLAIN, and
// keeps what it is given.
type mailServer struct {
	addr  string
	roots *tls.Config // a client configuration that trusts the server
	srv   *smtp.Server

	mu   sync.Mutex
	got  []received
	ln   net.Listener
	user string
	pass string
}

// received is one message as the server took it.
type received struct {
	From string
	To   []string
	Data string
}

// mailCA is the test binary's development CA and the mail servers'
// certificate, so that a server started again is trusted the same.
type mailCA struct {
	p    *devpki.PKI
	cert tls.Certificate
}

var mailPKIOnce = sync.OnceValues(func() (mailCA, error) {
	p, err := devpki.New(nil, time.Now().Add(-time.Hour))
	if err != nil {
		return mailCA{}, err
	}
	cert, err := p.Server("127.0.0.1")
	return mailCA{p, cert}, err
})

// startMailServer serves on addr ("127.0.0.1:0" for any port); with
// noTLS it offers no STARTTLS.
func startMailServer(t *testing.T, addr string, noTLS bool) *mailServer {
	t.Helper()
	ca, err := mailPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	p, cert := ca.p, ca.cert
	m := &mailServer{user: "clinicgw", pass: "hemligt-lösen",
		roots: &tls.Config{RootCAs: p.RootPool(), MinVersion: tls.VersionTLS12}}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }))
	m.srv.Domain = "localhost"
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	if !noTLS {
		m.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	m.listen(t, addr)
	t.Cleanup(func() { m.srv.Close() })
	return m
}

func (m *mailServer) listen(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	m.ln, m.addr = ln, ln.Addr().String()
	go m.srv.Serve(ln)
}

// messages returns what the server took so far.
func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.got...)
}

type mailSession struct {
	m      *mailServer
	authed bool
	cur    received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.m.user || pass != s.m.pass {
			return errors.New("invalid credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.cur = received{From: from}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = string(b)
	s.m.mu.Lock()
	s.m.got = append(s.m.got, s.cur)
	s.m.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.cur = received{} }
func (s *mailSession) Logout() error { return nil }
