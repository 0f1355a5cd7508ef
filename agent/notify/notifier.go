package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"clinicgw/agent/store"
	"clinicgw/sync/clock"
)

// Queue is where notices wait: the store's sealed settings area
// (agent/store.DB).
type Queue interface {
	Setting(ctx context.Context, key string) ([]byte, error)
	PutSetting(ctx context.Context, key string, value []byte) error
	DeleteSetting(ctx context.Context, key string) error
	SettingKeys(ctx context.Context, prefix string) ([]string, error)
}

// Recipients gives the addresses notices go to, read when a notice is
// made (the UI keeps them in the store).
type Recipients interface {
	// UnitEmail is the unit's notice address, "" if none is set.
	UnitEmail(ctx context.Context) (string, error)
	// Staff is how hsaID wants to hear of assignments: an e-mail address
	// and a mobile number, each "" when not wanted.
	Staff(ctx context.Context, hsaID string) (email, mobile string, err error)
}

// Setting keys of the queue.
const (
	queuePrefix = "notify/queue/"
	stateKey    = "notify/state"
)

// Retry delays: the first retry after MinRetry, doubling up to MaxRetry.
const (
	MinRetry = time.Minute
	MaxRetry = time.Hour
)

// DefaultDigest is the least time between two new-case notices.
const DefaultDigest = 15 * time.Minute

// Config is what a Notifier needs.
type Config struct {
	UnitName   string
	Queue      Queue
	Recipients Recipients
	Mailer     *Mailer // nil: e-mail notices wait until one is configured
	Texter     *Texter // nil: SMS notices wait until one is configured
	Digest     time.Duration
	Clock      clock.Clock
	Rand       io.Reader
	Logger     *slog.Logger
}

// Notifier makes notices and delivers them. Safe for concurrent use.
type Notifier struct {
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex // one change of the queue at a time
	kick chan struct{}

	chMu sync.Mutex // guards the channels in cfg: Mailer, Texter, Digest
}

// Channels are the parts of a Notifier's configuration that may change
// while it runs (a configuration reload): how notices leave, and the
// digest interval.
type Channels struct {
	Mailer *Mailer       // nil: e-mail notices wait until one is configured
	Texter *Texter       // nil: SMS notices wait until one is configured
	Digest time.Duration // DefaultDigest if 0
}

// SetChannels replaces the mail server, the SMS gateway and the digest
// interval. Notices already queued keep their due times; the next
// delivery attempt uses the new channels.
func (n *Notifier) SetChannels(c Channels) {
	if c.Digest <= 0 {
		c.Digest = DefaultDigest
	}
	n.chMu.Lock()
	n.cfg.Mailer, n.cfg.Texter, n.cfg.Digest = c.Mailer, c.Texter, c.Digest
	n.chMu.Unlock()
	select {
	case n.kick <- struct{}{}: // deliver what waited for a channel
	default:
	}
}

// channels returns the channels in use.
func (n *Notifier) channels() Channels {
	n.chMu.Lock()
	defer n.chMu.Unlock()
	return Channels{Mailer: n.cfg.Mailer, Texter: n.cfg.Texter, Digest: n.cfg.Digest}
}

// Digest is the least time between two new-case notices in use.
func (n *Notifier) Digest() time.Duration { return n.channels().Digest }

// New checks cfg and returns a Notifier.
func New(cfg Config) (*Notifier, error) {
	if cfg.Queue == nil || cfg.Recipients == nil {
		return nil, errors.New("notify: a queue and recipients are required")
	}
	if cfg.UnitName == "" {
		return nil, errors.New("notify: the unit's name is required")
	}
	if cfg.Digest <= 0 {
		cfg.Digest = DefaultDigest
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1)}, nil
}

// state is what the notifier remembers between notices.
type state struct {
	// DigestAt is when the last new-case notice was due; the next is due
	// Digest after it at the earliest.
	DigestAt time.Time `json:"digestAt"`
}

// unitAddress is where a notice of count cases to the unit goes: "" when
// there is nothing to tell or no address is set.
func (n *Notifier) unitAddress(ctx context.Context, count int) (string, error) {
	if count <= 0 {
		return "", nil
	}
	return n.cfg.Recipients.UnitEmail(ctx)
}

// CasesArrived announces n new cases to the unit's address, folded into
// the new-case notice still waiting if there is one, else in a new one due
// no sooner than the digest interval after the last.
func (n *Notifier) CasesArrived(ctx context.Context, count int) error {
	to, err := n.unitAddress(ctx, count)
	if err != nil || to == "" {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	waiting, err := n.pending(ctx)
	if err != nil {
		return err
	}
	for _, w := range waiting {
		if w.Kind == NewCases && w.Attempts == 0 && w.To == to {
			w.Count += count
			return n.put(ctx, w)
		}
	}
	var st state
	if b, err := n.cfg.Queue.Setting(ctx, stateKey); err == nil {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("notify: state: %w", err)
		}
	} else if !errors.Is(err, store.ErrNoSetting) {
		return err
	}
	now := n.cfg.Clock.Now()
	due := now
	if next := st.DigestAt.Add(n.channels().Digest); next.After(due) {
		due = next
	}
	st.DigestAt = due
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := n.cfg.Queue.PutSetting(ctx, stateKey, b); err != nil {
		return err
	}
	return n.add(ctx, Notice{Kind: NewCases, Channel: Email, To: to, Count: count, NextAt: due})
}

// CaseAssigned tells hsaID of an assignment the way they chose (e-mail,
// SMS, both or neither).
func (n *Notifier) CaseAssigned(ctx context.Context, hsaID string) error {
	email, mobile, err := n.cfg.Recipients.Staff(ctx, hsaID)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.cfg.Clock.Now()
	if email != "" {
		if err := n.add(ctx, Notice{Kind: Assigned, Channel: Email, To: email, Count: 1, NextAt: now}); err != nil {
			return err
		}
	}
	if mobile != "" {
		return n.add(ctx, Notice{Kind: Assigned, Channel: SMS, To: mobile, Count: 1, NextAt: now})
	}
	return nil
}

// CasesOverdue tells the unit that count cases passed their due date.
func (n *Notifier) CasesOverdue(ctx context.Context, count int) error {
	to, err := n.unitAddress(ctx, count)
	if err != nil || to == "" {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.add(ctx, Notice{Kind: Overdue, Channel: Email, To: to, Count: count, NextAt: n.cfg.Clock.Now()})
}

// overdueKey keeps the ids of the cases already announced as overdue.
const overdueKey = "notify/overdue-seen"

// OverdueNow takes the ids of the cases overdue now (cases.Service
// OverdueIDs) and tells the unit of those not overdue at the last call,
// in one notice; a case announced once is not announced again while it
// stays overdue.
func (n *Notifier) OverdueNow(ctx context.Context, ids []string) error {
	var seen []string
	if b, err := n.cfg.Queue.Setting(ctx, overdueKey); err == nil {
		if err := json.Unmarshal(b, &seen); err != nil {
			return fmt.Errorf("notify: overdue cases seen: %w", err)
		}
	} else if !errors.Is(err, store.ErrNoSetting) {
		return err
	}
	fresh := 0
	for _, id := range ids {
		if !slices.Contains(seen, id) {
			fresh++
		}
	}
	if err := n.CasesOverdue(ctx, fresh); err != nil {
		return err
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return n.cfg.Queue.PutSetting(ctx, overdueKey, b)
}

// add queues a new notice and wakes Run.
func (n *Notifier) add(ctx context.Context, x Notice) error {
	b := make([]byte, 8)
	if _, err := io.ReadFull(n.cfg.Rand, b); err != nil {
		return fmt.Errorf("notify: notice id: %w", err)
	}
	x.Created = n.cfg.Clock.Now()
	x.ID = fmt.Sprintf("%016x-%s", x.Created.UnixNano(), hex.EncodeToString(b))
	if err := n.put(ctx, x); err != nil {
		return err
	}
	n.log.Info("notice queued", "id", x.ID, "kind", x.Kind, "channel", x.Channel)
	select {
	case n.kick <- struct{}{}:
	default:
	}
	return nil
}

func (n *Notifier) put(ctx context.Context, x Notice) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	if err := n.cfg.Queue.PutSetting(ctx, queuePrefix+x.ID, b); err != nil {
		return fmt.Errorf("notify: queue notice: %w", err)
	}
	return nil
}

// Pending returns the notices not yet delivered, oldest first: for the
// unit administrator, with why the last attempt failed.
func (n *Notifier) Pending(ctx context.Context) ([]Notice, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pending(ctx)
}

func (n *Notifier) pending(ctx context.Context) ([]Notice, error) {
	keys, err := n.cfg.Queue.SettingKeys(ctx, queuePrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, 0, len(keys))
	for _, k := range keys {
		b, err := n.cfg.Queue.Setting(ctx, k)
		if errors.Is(err, store.ErrNoSetting) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var x Notice
		if err := json.Unmarshal(b, &x); err != nil {
			return nil, fmt.Errorf("notify: queued notice %s: %w", strings.TrimPrefix(k, queuePrefix), err)
		}
		out = append(out, x)
	}
	return out, nil
}

// Deliver tries every notice that is due now once and returns how many
// were delivered; the others wait for their next attempt.
func (n *Notifier) Deliver(ctx context.Context) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	waiting, err := n.pending(ctx)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, x := range waiting {
		now := n.cfg.Clock.Now()
		if x.NextAt.After(now) {
			continue
		}
		if err := n.send(ctx, x, now); err != nil {
			x.Attempts++
			x.NextAt = now.Add(retryDelay(x.Attempts))
			x.LastError = oneLine(err.Error())
			n.log.Warn("notice not delivered; will retry", "id", x.ID, "kind", x.Kind, "channel", x.Channel,
				"attempts", x.Attempts, "next", x.NextAt, "err", x.LastError)
			if err := n.put(ctx, x); err != nil {
				return sent, err
			}
			continue
		}
		if err := n.cfg.Queue.DeleteSetting(ctx, queuePrefix+x.ID); err != nil {
			return sent, fmt.Errorf("notify: remove delivered notice %s: %w", x.ID, err)
		}
		sent++
		n.log.Info("notice delivered", "id", x.ID, "kind", x.Kind, "channel", x.Channel, "attempts", x.Attempts+1)
	}
	return sent, nil
}

func (n *Notifier) send(ctx context.Context, x Notice, now time.Time) error {
	t, err := Render(x, n.cfg.UnitName)
	if err != nil {
		return err
	}
	ch := n.channels()
	switch x.Channel {
	case Email:
		if ch.Mailer == nil {
			return errors.New("no mail server is configured ([notify] smtp)")
		}
		return ch.Mailer.Send(ctx, x.To, t, now, x.ID)
	case SMS:
		if ch.Texter == nil {
			return errors.New("no SMS gateway is configured ([notify] sms)")
		}
		return ch.Texter.Send(ctx, x.To, t.Subject)
	}
	return fmt.Errorf("unknown channel %q", x.Channel)
}

// retryDelay is the wait after the attempts-th failure.
func retryDelay(attempts int) time.Duration {
	d := MinRetry
	for i := 1; i < attempts && d < MaxRetry; i++ {
		d *= 2
	}
	return min(d, MaxRetry)
}

// oneLine keeps an error for the administrator's list: one line, at most
// 300 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// Run delivers what is due until ctx ends: at once when a notice is
// queued, and every tick (the retries' resolution) otherwise.
func (n *Notifier) Run(ctx context.Context, tick time.Duration) error {
	if tick <= 0 {
		tick = 10 * time.Second
	}
	t := n.cfg.Clock.NewTicker(tick)
	defer t.Stop()
	for {
		if _, err := n.Deliver(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("notice queue", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		case <-n.kick:
		}
	}
}
