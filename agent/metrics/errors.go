package metrics

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
)

// ErrorCounter counts the log records at level Error, by the record's
// "part" attribute (the gateway gives each part's logger one, such as
// "uplink" or "store"). Wrap the gateway's log handler with Handler; the
// collector reports the counts as clinicgw_log_errors_total. The zero
// value is not usable; call NewErrorCounter.
type ErrorCounter struct {
	mu     sync.Mutex
	byPart map[string]uint64
}

// NewErrorCounter returns a counter with no errors counted.
func NewErrorCounter() *ErrorCounter { return &ErrorCounter{byPart: make(map[string]uint64)} }

// maxParts bounds the label's values; further parts count as "other".
const maxParts = 64

// partLabel is what a part may look like to become a label value: the
// gateway's parts are short static names.
var partLabel = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

func (c *ErrorCounter) count(part string) {
	switch {
	case part == "":
		part = "none"
	case !partLabel.MatchString(part):
		part = "other"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byPart[part]; !ok && len(c.byPart) >= maxParts {
		part = "other"
	}
	c.byPart[part]++
}

// Counts returns the errors counted so far, by part.
func (c *ErrorCounter) Counts() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.byPart))
	for k, v := range c.byPart {
		out[k] = v
	}
	return out
}

// Handler returns next, counting the Error records that pass through it.
func (c *ErrorCounter) Handler(next slog.Handler) slog.Handler {
	return &countingHandler{next: next, c: c}
}

// countingHandler is ErrorCounter's slog.Handler. part is the "part"
// attribute given by WithAttrs outside any group.
type countingHandler struct {
	next    slog.Handler
	c       *ErrorCounter
	part    string
	inGroup bool
}

// Enabled is true for errors whatever next says, so that they are counted
// even where the log itself drops them.
func (h *countingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		part := h.part
		if !h.inGroup {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "part" {
					part = a.Value.String()
					return false
				}
				return true
			})
		}
		h.c.count(part)
		if !h.next.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *countingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	part := h.part
	if !h.inGroup {
		for _, a := range attrs {
			if a.Key == "part" {
				part = a.Value.String()
			}
		}
	}
	return &countingHandler{next: h.next.WithAttrs(attrs), c: h.c, part: part, inGroup: h.inGroup}
}

func (h *countingHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &countingHandler{next: h.next.WithGroup(name), c: h.c, part: h.part, inGroup: true}
}
