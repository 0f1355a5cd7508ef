package central

import (
	"context"
	"log/slog"
	"sync"
)

// NoticeText is the whole text of every patient notice: it says only that
// a message waits, never who wrote, about what, or any health data.
var NoticeText = swedish("central.notice")

// Notifier tells a person that a message from a care unit waits for them
// (by SMS or e-mail in a real store). The text is always NoticeText. A
// failure is logged and does not undo the message.
type Notifier interface {
	Notify(ctx context.Context, pnr string, text string) error
}

// LogNotifier is a Notifier that only logs that a notice was sent, without
// the personnummer.
type LogNotifier struct {
	Logger *slog.Logger // discarded if nil
}

// Notify logs "patient notice sent".
func (n LogNotifier) Notify(ctx context.Context, pnr, text string) error {
	if n.Logger != nil {
		n.Logger.InfoContext(ctx, "patient notice sent")
	}
	return nil
}

// Notice is one notice a MemNotifier received.
type Notice struct {
	PNR  string
	Text string
}

// MemNotifier is a Notifier that keeps the notices in memory, for tests.
// Its zero value is ready to use.
type MemNotifier struct {
	mu      sync.Mutex
	notices []Notice
}

// Notify records the notice.
func (n *MemNotifier) Notify(ctx context.Context, pnr, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.notices = append(n.notices, Notice{PNR: pnr, Text: text})
	return nil
}

// Notices returns the notices received so far, oldest first.
func (n *MemNotifier) Notices() []Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Notice(nil), n.notices...)
}
