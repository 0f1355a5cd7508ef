//go:build unix

package agent

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLogJournalPriority: on the stream JOURNAL_STREAM names, every line
// starts with its syslog priority for journald, in text and JSON alike,
// and the rest of the line is the record as usual; on any other stream
// there is no prefix.
func TestLogJournalPriority(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stderr")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	stream := fmt.Sprintf("%d:%d", st.Dev, st.Ino)
	if !toJournal(f, stream) || toJournal(f, "") || toJournal(f, stream+"0") {
		t.Fatal("toJournal does not tell the journal's stream from others")
	}

	t.Setenv("JOURNAL_STREAM", stream)
	for _, format := range []string{LogJSON, LogText} {
		if err := f.Truncate(0); err != nil {
			t.Fatal(err)
		}
		f.Seek(0, 0)
		h, err := NewLogHandler(f, format, "debug")
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(h).With("part", "uplink")
		log.Debug("d")
		log.Info("i")
		log.WithGroup("g").Warn("w", "n", 1)
		log.Error("e", "err", "line one\nline two")
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
		want := []string{"<7>", "<6>", "<4>", "<3>"}
		if len(lines) != len(want) {
			t.Fatalf("%s: %d lines, want %d:\n%s", format, len(lines), len(want), b)
		}
		for i, l := range lines {
			rest, ok := strings.CutPrefix(l, want[i])
			if !ok {
				t.Errorf("%s: line %q does not start with %s", format, l, want[i])
			}
			if format == LogJSON {
				var rec map[string]any
				if err := json.Unmarshal([]byte(rest), &rec); err != nil || rec["part"] != "uplink" {
					t.Errorf("%s: %q is not the record as JSON with its part", format, rest)
				}
			} else if !strings.HasPrefix(rest, "time=") || !strings.Contains(rest, "part=uplink") {
				t.Errorf("%s: %q is not the record as text with its part", format, rest)
			}
		}
	}

	t.Setenv("JOURNAL_STREAM", "")
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, 0)
	h, err := NewLogHandler(f, LogJSON, "")
	if err != nil {
		t.Fatal(err)
	}
	slog.New(h).Error("e")
	if b, _ := os.ReadFile(path); !strings.HasPrefix(string(b), "{") {
		t.Errorf("outside the journal a line has a prefix: %q", b)
	}
}
