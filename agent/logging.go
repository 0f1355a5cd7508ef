package agent

import (
	"fmt"
	"io"
	"log/slog"
)

// LogConfig is the technical log's form. Records go to stderr (journald
// under systemd); their messages are static and their keys camelCase, and
// they never carry patient data.
type LogConfig struct {
	// Format is "text" (slog's key=value lines, the default) or "json"
	// (one JSON object per line, for log shippers).
	Format string `toml:"format"`
	// Level is the least level logged: "debug", "info" (the default),
	// "warn" or "error".
	Level string `toml:"level"`
}

// The log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

func (l LogConfig) validate() []error {
	var errs []error
	if l.Format != "" && l.Format != LogText && l.Format != LogJSON {
		errs = append(errs, fmt.Errorf("log.format: %q: expected %q or %q", l.Format, LogText, LogJSON))
	}
	if _, err := parseLevel(l.Level); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %w", err))
	}
	return errs
}

func parseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: expected \"debug\", \"info\", \"warn\" or \"error\"", s)
}

// NewLogHandler returns the handler for the technical log on w in format
// (LogText or LogJSON; "" is text) from level ("" is info).
func NewLogHandler(w io.Writer, format, level string) (slog.Handler, error) {
	lv, err := parseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("log level %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", LogText:
		return slog.NewTextHandler(w, opts), nil
	case LogJSON:
		return slog.NewJSONHandler(w, opts), nil
	}
	return nil, fmt.Errorf("log format %q: expected %q or %q", format, LogText, LogJSON)
}
