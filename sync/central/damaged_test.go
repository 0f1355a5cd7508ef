package central

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRefusesDamagedFile: an existing central store file that is
// empty, cut short or of another format is refused with an error naming
// it, never panicked on nor replaced.
func TestOpenRefusesDamagedFile(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty":   {},
		"garbage": []byte(strings.Repeat("not a bbolt file ", 2000)),
	} {
		path := filepath.Join(t.TempDir(), "central.db")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(context.Background(), path, Options{Units: []string{unitA}})
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s: %v, want a refusal naming the file as damaged", name, err)
		}
		if after, _ := os.ReadFile(path); string(after) != string(content) {
			t.Errorf("%s: the file changed", name)
		}
	}
}
