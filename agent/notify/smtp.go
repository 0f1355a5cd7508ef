package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"clinicgw/sync/tlsconf"
)

// SMTP security modes.
const (
	StartTLS    = "starttls" // plain connection upgraded with STARTTLS, which the server must offer
	ImplicitTLS = "tls"      // TLS from the first byte (port 465)
)

// SMTPConfig is the mail server notices are sent through.
type SMTPConfig struct {
	Addr     string // host:port
	Security string // StartTLS (the default) or ImplicitTLS; mail never goes in clear
	Username string // AUTH PLAIN when set
	Password string
	From     string // the envelope and header sender, e.g. "clinicgw <noreply@vc.example.se>"
	// RootCAs is the CA the server's certificate must chain to (e.g.
	// notify.smtp_ca_file); the system's roots if nil. The certificate
	// must be valid for Addr's host. The TLS configuration itself comes
	// from tlsconf.PublicClient.
	RootCAs *x509.CertPool
	Hello   string        // the name given in EHLO; "localhost" if ""
	Timeout time.Duration // for one whole delivery; 30 s if 0
}

// Mailer sends notices by e-mail.
type Mailer struct {
	cfg  SMTPConfig
	host string
	from *mail.Address
	tls  *tls.Config
}

// NewMailer checks cfg and returns a Mailer.
func NewMailer(cfg SMTPConfig) (*Mailer, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("smtp: address %q: expected host:port", cfg.Addr)
	}
	switch cfg.Security {
	case "":
		cfg.Security = StartTLS
	case StartTLS, ImplicitTLS:
	default:
		return nil, fmt.Errorf("smtp: security %q: expected %q or %q (mail never goes in clear)", cfg.Security, StartTLS, ImplicitTLS)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: from %q: %w", cfg.From, err)
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Mailer{cfg: cfg, host: host, from: from, tls: tlsconf.PublicClient(cfg.RootCAs, host)}, nil
}

// Send delivers one message to to. It fails unless the server took it.
func (m *Mailer) Send(ctx context.Context, to string, t Text, now time.Time, id string) (err error) {
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("recipient: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("connect to the mail server: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if m.cfg.Security == ImplicitTLS {
		tc := tls.Client(conn, m.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS with the mail server: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return fmt.Errorf("mail server greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.Hello); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if m.cfg.Security == StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the mail server does not offer STARTTLS; notices never go in clear")
		}
		if err := c.StartTLS(m.tls); err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.host)); err != nil {
			return fmt.Errorf("AUTH: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(m.message(rcpt, t, now, id)); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("the mail server refused the message: %w", err)
	}
	return c.Quit()
}

// message is the whole message: headers (the subject MIME-encoded) and a
// quoted-printable UTF-8 body.
func (m *Mailer) message(to *mail.Address, t Text, now time.Time, id string) []byte {
	var b strings.Builder
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", m.from.String())
	h("To", to.String())
	h("Subject", mime.QEncoding.Encode("utf-8", t.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+id+"@clinicgw.invalid>")
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(t.Body, "\n", "\r\n")))
	qp.Close()
	return []byte(b.String())
}
