package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/config"
	"clinicgw/agent/notify"
	"clinicgw/agent/store"
	"clinicgw/localui"
	"clinicgw/sync/tlsconf"
)

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
			pw, err := readSecret(c.Resolve(n.SMTPPasswordFile))
			if err != nil {
				return ch, config.KeyErr("notify.smtp_password_file", err)
			}
			sc.Password = pw
		}
		if n.SMTPCAFile != "" {
			roots, err := tlsconf.LoadPool(c.Resolve(n.SMTPCAFile))
			if err != nil {
				return ch, config.KeyErr("notify.smtp_ca_file", err)
			}
			sc.RootCAs = roots
		}
		m, err := notify.NewMailer(sc)
		if err != nil {
			return ch, config.KeyErr("notify.smtp_addr", err)
		}
		ch.Mailer = m
	}
	if n.SMSURL != "" {
		sc := notify.SMSConfig{URL: n.SMSURL, Body: n.SMSBody}
		if n.SMSTokenFile != "" {
			tok, err := readSecret(c.Resolve(n.SMSTokenFile))
			if err != nil {
				return ch, config.KeyErr("notify.sms_token_file", err)
			}
			sc.Header = map[string]string{"Authorization": "Bearer " + tok}
		}
		t, err := notify.NewTexter(sc)
		if err != nil {
			key := "notify.sms_url"
			if errors.Is(err, notify.ErrBodyTemplate) {
				key = "notify.sms_body"
			}
			return ch, config.KeyErr(key, err)
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
func watchOverdue(ctx context.Context, svc *cases.Service, n *notify.Notifier, log *slog.Logger) {
	t := time.NewTicker(OverdueCheck)
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
		case <-t.C:
		}
	}
}
