package main

import (
	"fmt"
	"log/slog"
	"strings"

	"clinicgw/agent"
)

// globalFlags takes the flags given before the command — only
// --log-format text|json so far — and returns the rest of args.
func globalFlags(args []string) (logFormat string, rest []string, err error) {
	for len(args) > 0 {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if !strings.HasPrefix(args[0], "-") || name != "log-format" {
			break
		}
		if !hasValue {
			if len(args) < 2 {
				return "", nil, fmt.Errorf("--log-format needs a value: %s or %s", agent.LogText, agent.LogJSON)
			}
			value, args = args[1], args[1:]
		}
		if value != agent.LogText && value != agent.LogJSON {
			return "", nil, fmt.Errorf("--log-format %q: expected %s or %s", value, agent.LogText, agent.LogJSON)
		}
		logFormat, args = value, args[1:]
	}
	return logFormat, args, nil
}

// useLogConfig remakes the log from the configuration's [log] table; a
// --log-format flag still decides the format.
func (e *env) useLogConfig(l agent.LogConfig) error {
	if l == (agent.LogConfig{}) {
		return nil
	}
	format := l.Format
	if e.logFormat != "" {
		format = e.logFormat
	}
	h, err := agent.NewLogHandler(e.stderr, format, l.Level)
	if err != nil {
		return err
	}
	e.log = slog.New(h)
	return nil
}
