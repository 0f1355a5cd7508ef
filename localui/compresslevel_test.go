package localui_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestPagesGzippedAtBestSpeed (issue 18): pages and live fragments are
// gzipped at gzip.BestSpeed. Under `make load` gzip at the default level
// was 11 % of the gateway's CPU; on the inbox's 200 rows (173 KB) level 1
// runs about a third of level 6's instructions (cachegrind: 4.2 against
// 11.9 million) for 9 % more bytes on the wire (14.0 against 12.9 KB;
// the whole inbox page 17.1 KB, the goal 30 KB). The answer's bytes must
// be those of the page compressed at level 1 (compress/flate's output
// depends on the level, not on how the writes were cut).
func TestPagesGzippedAtBestSpeed(t *testing.T) {
	c := startClinic(t)
	c.seedVaried(t.Context(), 200)
	dist := c.login(hsaDist)
	for _, path := range []string{"/inbox", "/inbox?part=rows"} {
		r, packed := dist.wire(path, "gzip")
		if r.StatusCode != http.StatusOK || r.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s: %d, Content-Encoding %q", path, r.StatusCode, r.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(packed))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !strings.Contains(string(plain), `<tr id="case-`) {
			t.Fatalf("%s: the gzipped answer is not the page (%v)", path, err)
		}
		var want bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&want, gzip.BestSpeed)
		zw.Write(plain)
		zw.Close()
		if !bytes.Equal(packed, want.Bytes()) {
			t.Errorf("%s: %d bytes gzipped, not the page at gzip.BestSpeed (%d bytes)", path, len(packed), want.Len())
		}
	}
}
