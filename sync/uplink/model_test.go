package uplink

import (
	"encoding/json"
	"fmt"
	"strings"
)

// fmtIDs renders a few ids of a set difference for a failure message.
func fmtIDs(ids []string) string {
	if len(ids) > 5 {
		return fmt.Sprintf("%v … (%d in all)", ids[:5], len(ids))
	}
	return fmt.Sprint(ids)
}

// logLines returns the JSON log lines with the message msg.
func logLines(logs, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// countLogged counts the log lines with the message msg.
func countLogged(logs, msg string) int { return len(logLines(logs, msg)) }

// sumLogged sums the number key over the log lines with the message msg.
func sumLogged(logs, msg, key string) int {
	n := 0
	for _, m := range logLines(logs, msg) {
		if v, ok := m[key].(float64); ok {
			n += int(v)
		}
	}
	return n
}

// diff returns the ids in a but not in b.
func diff(a, b map[string]bool) []string {
	var out []string
	for id := range a {
		if !b[id] {
			out = append(out, id)
		}
	}
	return out
}
