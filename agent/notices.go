package agent

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/notify"
	"clinicgw/agent/store"
	"clinicgw/localui"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
)

// NotifyConfig is how notices leave the gateway: e-mail through the
// region's mail server and SMS through an HTTP gateway. Notices never
// carry patient data. With no smtp_addr and no sms_url there are none.
type NotifyConfig struct {
	SMTPAddr         string `toml:"smtp_addr"`          // host:port of the mail server
	SMTPSecurity     string `toml:"smtp_security"`      // "starttls" (default) or "tls"
	SMTPUsername     string `toml:"smtp_username"`      // AUTH PLAIN; empty: no AUTH
	SMTPPasswordFile string `toml:"smtp_password_file"` // the password, in a file of mode 0600
	SMTPFrom         string `toml:"smtp_from"`          // e.g. "clinicgw <noreply@vc.example.se>"
	SMTPCAFile       string `toml:"smtp_ca_file"`       // PEM: the mail server's CA; empty: the system's roots
	SMSURL           string `toml:"sms_url"`            // https://… the SMS gateway's endpoint
	SMSBody          string `toml:"sms_body"`           // the request body template; empty: notify.DefaultSMSBody
	SMSTokenFile     string `toml:"sms_token_file"`     // sent as "Authorization: Bearer …"; mode 0600
	Digest           string `toml:"digest"`             // least time between new-case notices; "15m" if empty
}

// Enabled reports whether any notice channel is configured.
func (n NotifyConfig) Enabled() bool { return n.SMTPAddr != "" || n.SMSURL != "" }

func (n NotifyConfig) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("notify.%s: "+format, append([]any{key}, args...)...))
	}
	if n.SMTPAddr != "" {
		if h, _, err := net.SplitHostPort(n.SMTPAddr); err != nil || h == "" {
			bad("smtp_addr", "%q: expected host:port, like \"smtp.region.example.se:587\"", n.SMTPAddr)
		}
		if s := n.SMTPSecurity; s != "" && s != notify.StartTLS && s != notify.ImplicitTLS {
			bad("smtp_security", "%q: expected %q or %q (notices never go in clear)", s, notify.StartTLS, notify.ImplicitTLS)
		}
		if _, err := mail.ParseAddress(n.SMTPFrom); err != nil {
			bad("smtp_from", "%q: expected an e-mail address, like \"clinicgw <noreply@vc.example.se>\"", n.SMTPFrom)
		}
		if n.SMTPUsername != "" && n.SMTPPasswordFile == "" {
			bad("smtp_password_file", "missing; smtp_username needs the password in a file of mode 0600")
		}
	}
	if n.SMSURL != "" {
		if u, err := url.Parse(n.SMSURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("sms_url", "%q: expected https://host/path", n.SMSURL)
		}
	}
	if n.Digest != "" {
		if d, err := time.ParseDuration(n.Digest); err != nil || d < time.Minute || d > 24*time.Hour {
			bad("digest", "%q: expected a duration from 1m to 24h, like \"15m\"", n.Digest)
		}
	}
	for _, f := range []struct{ key, value string }{{"smtp_password_file", n.SMTPPasswordFile}, {"smtp_ca_file", n.SMTPCAFile}, {"sms_token_file", n.SMSTokenFile}} {
		if f.value != "" && !printable(f.value) {
			bad(f.key, "expected a file path on one line, without control characters")
		}
	}
	return errs
}

// newNotifier builds the notifier from [notify], its queue in db and the
// addresses the web UI's settings keep.
func (a *Agent) newNotifier(db *store.DB) (*notify.Notifier, error) {
	ch, err := notifyChannels(a.cfg)
	if err != nil {
		return nil, err
	}
	return notify.New(notify.Config{UnitName: a.cfg.Unit.Name, Queue: db, Recipients: localui.Recipients{Settings: uiSettings{db}},
		Mailer: ch.Mailer, Texter: ch.Texter, Digest: ch.Digest,
		Clock: a.opts.Clock, Rand: a.opts.Rand, Logger: a.log.With("part", "notify")})
}

// notifyChannels builds the mail server's and the SMS gateway's clients
// and the digest interval from [notify], reading the secret and CA files
// it names: at start, and in a reload's first phase.
func notifyChannels(c *Config) (notify.Channels, error) {
	n := c.Notify
	var ch notify.Channels
	if n.Digest != "" {
		ch.Digest, _ = time.ParseDuration(n.Digest) // validated
	}
	if n.SMTPAddr != "" {
		sc := notify.SMTPConfig{Addr: n.SMTPAddr, Security: n.SMTPSecurity, Username: n.SMTPUsername, From: n.SMTPFrom}
		if n.SMTPPasswordFile != "" {
			pw, err := readSecret(c.resolve(n.SMTPPasswordFile))
			if err != nil {
				return ch, fmt.Errorf("notify.smtp_password_file: %w", err)
			}
			sc.Password = pw
		}
		if n.SMTPCAFile != "" {
			roots, err := tlsconf.LoadPool(c.resolve(n.SMTPCAFile))
			if err != nil {
				return ch, fmt.Errorf("notify.smtp_ca_file: %w", err)
			}
			sc.RootCAs = roots
		}
		m, err := notify.NewMailer(sc)
		if err != nil {
			return ch, fmt.Errorf("notify.smtp_addr: %w", err)
		}
		ch.Mailer = m
	}
	if n.SMSURL != "" {
		sc := notify.SMSConfig{URL: n.SMSURL, Body: n.SMSBody}
		if n.SMSTokenFile != "" {
			tok, err := readSecret(c.resolve(n.SMSTokenFile))
			if err != nil {
				return ch, fmt.Errorf("notify.sms_token_file: %w", err)
			}
			sc.Header = map[string]string{"Authorization": "Bearer " + tok}
		}
		t, err := notify.NewTexter(sc)
		if err != nil {
			key := "notify.sms_url"
			if strings.Contains(err.Error(), "body template") {
				key = "notify.sms_body"
			}
			return ch, fmt.Errorf("%s: %w", key, err)
		}
		ch.Texter = t
	}
	return ch, nil
}

// noticeStates lists the waiting notices for the unit settings page; nil
// without [notify].
func (a *Agent) noticeStates() func(context.Context) ([]localui.NoticeState, error) {
	n := a.notifier
	if n == nil {
		return nil
	}
	return func(ctx context.Context) ([]localui.NoticeState, error) {
		waiting, err := n.Pending(ctx)
		if err != nil {
			return nil, err
		}
		out := make([]localui.NoticeState, len(waiting))
		for i, w := range waiting {
			out[i] = localui.NoticeState{Kind: string(w.Kind), Channel: string(w.Channel), Attempts: w.Attempts,
				NextAt: w.NextAt, LastError: w.LastError}
		}
		return out, nil
	}
}

// readSecret reads a one-line secret from a file.
func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" || strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("%s: expected the secret on one line", path)
	}
	return s, nil
}

// signalQueue hands the case service's signals to the notifier: Push
// never blocks (the service calls it after its commits), run queues the
// notices on its own goroutine until ctx ends.
type signalQueue struct {
	mu   sync.Mutex
	list []cases.Signal
	wake chan struct{}
}

func newSignalQueue() *signalQueue { return &signalQueue{wake: make(chan struct{}, 1)} }

// Push adds sg.
func (q *signalQueue) Push(sg cases.Signal) {
	q.mu.Lock()
	q.list = append(q.list, sg)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run makes the notices of the signals pushed until ctx ends; a failure
// to queue one is logged.
func (q *signalQueue) run(ctx context.Context, n *notify.Notifier, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		list := q.list
		q.list = nil
		q.mu.Unlock()
		for _, sg := range list {
			var err error
			switch sg.Kind {
			case cases.SignalArrived:
				err = n.CasesArrived(ctx, sg.Count)
			case cases.SignalAssigned:
				err = n.CaseAssigned(ctx, sg.Assignee)
			}
			if err != nil && ctx.Err() == nil {
				log.Error("notice not queued", "err", err)
			}
		}
	}
}

// OverdueCheck is how often the gateway looks for cases newly past due.
const OverdueCheck = 10 * time.Minute

// watchOverdue tells the unit of cases newly overdue, at start and every
// OverdueCheck, until ctx ends.
func watchOverdue(ctx context.Context, clock clock.Clock, svc *cases.Service, n *notify.Notifier, log *slog.Logger) {
	t := clock.NewTicker(OverdueCheck)
	defer t.Stop()
	for {
		ids, err := svc.OverdueIDs(ctx)
		if err == nil {
			s := make([]string, len(ids))
			for i, id := range ids {
				s[i] = string(id)
			}
			err = n.OverdueNow(ctx, s)
		}
		if err != nil && ctx.Err() == nil {
			log.Error("overdue notice", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}
