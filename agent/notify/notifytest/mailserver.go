package notifytest

import (
	"crypto/tls"
	"crypto/x509"
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
	"clinicgw/sync/tlsconf"
)

// MailServer is a real SMTP server on loopback (emersion/go-smtp) that
// offers STARTTLS with a development certificate and AUTH PLAIN, and
// keeps what it is given.
type MailServer struct {
	// Addr is where it listens; Roots trusts its certificate (a
	// notify.SMTPConfig's RootCAs); User and Pass are what AUTH PLAIN
	// accepts.
	Addr  string
	Roots *x509.CertPool
	CAPEM []byte // the CA certificate that issued its certificate, PEM
	User  string
	Pass  string
	srv   *smtp.Server

	implicit *tls.Config // TLS from the first byte, if not nil

	mu  sync.Mutex
	got []Message
	ln  net.Listener
	// drops is how many DATA transactions to come are cut after the
	// message was read, before the reply; dropKeep says whether the server
	// keeps (would deliver) such a message.
	drops    int
	dropKeep bool
	dropped  int
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
	return start(t, addr, noTLS, false)
}

// StartImplicitTLS serves on addr with TLS from the first byte, as on
// port 465, and no STARTTLS.
func StartImplicitTLS(t *testing.T, addr string) *MailServer {
	t.Helper()
	return start(t, addr, true, true)
}

func start(t *testing.T, addr string, noTLS, implicit bool) *MailServer {
	t.Helper()
	ca, err := mailPKIOnce()
	if err != nil {
		t.Fatal(err)
	}
	p, cert := ca.p, ca.cert
	m := &MailServer{User: "clinicgw", Pass: "hemligt-lösen",
		Roots: p.RootPool(),
		CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.Root().Raw})}
	m.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &mailSession{m: m, conn: c}, nil }))
	m.srv.Domain = "localhost"
	m.srv.ErrorLog = log.New(io.Discard, "", 0)
	if !noTLS {
		m.srv.TLSConfig = tlsconf.ServerNoClientCert(cert)
	}
	if implicit {
		m.implicit = tlsconf.ServerNoClientCert(cert)
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
	if m.implicit != nil {
		ln = tls.NewListener(ln, m.implicit)
	}
	go m.srv.Serve(ln)
}

// Messages returns what the server took so far.
func (m *MailServer) Messages() []Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Message(nil), m.got...)
}

// DropAfterData makes the next n messages end with the connection cut
// after the client sent the whole message (DATA and its final "."),
// before the server's reply: the client cannot know whether the message
// went. With keep the server has taken the message (Messages lists it: a
// real server would deliver it); without, it is gone.
func (m *MailServer) DropAfterData(n int, keep bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.drops, m.dropKeep = n, keep
}

// Dropped returns how many connections DropAfterData has cut so far.
func (m *MailServer) Dropped() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dropped
}

type mailSession struct {
	m      *MailServer
	conn   *smtp.Conn
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
	defer s.m.mu.Unlock()
	if s.m.drops > 0 {
		s.m.drops--
		s.m.dropped++
		if s.m.dropKeep {
			s.m.got = append(s.m.got, s.cur)
		}
		s.conn.Conn().Close() // no reply reaches the client
		return errors.New("connection cut after DATA")
	}
	s.m.got = append(s.m.got, s.cur)
	return nil
}

func (s *mailSession) Reset()        { s.cur = Message{} }
func (s *mailSession) Logout() error { return nil }
