package notifytest

import (
	"crypto/tls"
	"encoding/pem"
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

// MailServer is a real SMTP server on loopback (emersion/go-smtp) that
// offers STARTTLS with a development certificate and AUTH PLAIN, and
// keeps what it is given.
type MailServer struct {
	// Addr is where it listens; Client is a TLS configuration that
	// trusts its certificate; User and Pass are what AUTH PLAIN accepts.
	Addr   string
	Client *tls.Config
	CAPEM  []byte // the CA certificate that issued its certificate, PEM
	User   string
	Pass   string
	srv    *smtp.Server

	mu  sync.Mutex
	got []Message
	ln  net.Listener
}

// Message is one message as the server took it.
type Message struct {
	From string   // the envelope sender
	To   []string // the envelope recipients
	Data string   // the message as sent
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

// Start serves on addr ("127.0.0.1:0" for any port); with
// noTLS it offers no STARTTLS.
func Start(t *testing.T, addr string, noTLS bool) *MailServer {
	t.Helper()
	ca, err := mailPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	p, cert := ca.p, ca.cert
	m := &MailServer{User: "clinicgw", Pass: "hemligt-lösen",
		Client: &tls.Config{RootCAs: p.RootPool(), MinVersion: tls.VersionTLS12},
		CAPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root().Raw})}
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

// Close stops the server. It closes the listener itself too: the server
// closes only the listeners its Serve has taken up, which a Close soon
// after Start may precede.
func (m *MailServer) Close() {
	m.ln.Close()
	m.srv.Close()
}

func (m *MailServer) listen(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	m.ln, m.Addr = ln, ln.Addr().String()
	go m.srv.Serve(ln)
}

// Messages returns what the server took so far.
func (m *MailServer) Messages() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.got...)
}

type mailSession struct {
	m      *MailServer
	authed bool
	cur    Message
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.m.User || pass != s.m.Pass {
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
	s.cur = Message{From: from}
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

func (s *mailSession) Reset()        { s.cur = Message{} }
func (s *mailSession) Logout() error { return nil }
