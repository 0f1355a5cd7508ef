package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"clinicgw/agent/config"
)

// NewLogHandler returns the handler for the technical log on w in format
// (LogText or LogJSON; "" is text) from level ("" is info). When w is a
// file connected to the systemd journal (JOURNAL_STREAM names it), each
// line starts with its syslog priority, "<3>" for an error to "<7>" for
// debug, which journald takes off and keeps as the entry's PRIORITY, so
// that `journalctl -p warning` works.
func NewLogHandler(w io.Writer, format, level string) (slog.Handler, error) {
	lv, err := config.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %w", err)
	}
	var pw *priorityWriter
	if f, ok := w.(*os.File); ok && toJournal(f, os.Getenv("JOURNAL_STREAM")) {
		pw = &priorityWriter{w: w}
		w = pw
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch format {
	case "", LogText:
		h = slog.NewTextHandler(w, opts)
	case LogJSON:
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: expected %q or %q", format, LogText, LogJSON)
	}
	if pw != nil {
		h = &priorityHandler{next: h, w: pw}
	}
	return h, nil
}

// priorityWriter writes each record's line with the priority its
// priorityHandler set, in one write.
type priorityWriter struct {
	mu     sync.Mutex // held by priorityHandler.Handle around the record's write
	w      io.Writer
	prefix string
}

func (p *priorityWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// priorityHandler sets the journal priority (sd-daemon(3)) of each record
// before next writes it.
type priorityHandler struct {
	next slog.Handler
	w    *priorityWriter
}

func (h *priorityHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *priorityHandler) Handle(ctx context.Context, r slog.Record) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	switch {
	case r.Level >= slog.LevelError:
		h.w.prefix = "<3>"
	case r.Level >= slog.LevelWarn:
		h.w.prefix = "<4>"
	case r.Level >= slog.LevelInfo:
		h.w.prefix = "<6>"
	default:
		h.w.prefix = "<7>"
	}
	return h.next.Handle(ctx, r)
}

func (h *priorityHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &priorityHandler{next: h.next.WithAttrs(attrs), w: h.w}
}

func (h *priorityHandler) WithGroup(name string) slog.Handler {
	return &priorityHandler{next: h.next.WithGroup(name), w: h.w}
}
