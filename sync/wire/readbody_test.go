package wire

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// saysLen is a body that tells a length, true or not.
type saysLen struct {
	io.Reader
	n int
}

func (s saysLen) Len() int { return s.n }

// A body that tells its length is read into one buffer of that size (and
// a byte for the read that finds the end), whatever the size; one that
// tells a wrong length is still read whole; the limit holds either way.
func TestReadBodySized(t *testing.T) {
	for _, n := range []int{1, 100, 511, 512, 513, 4096, 300000} {
		body := bytes.Repeat([]byte{'x'}, n)
		b, err := readBody(bytes.NewReader(body), 1<<20)
		if err != nil || !bytes.Equal(b, body) {
			t.Fatalf("%d bytes: read %d, %v", n, len(b), err)
		}
		if cap(b) != n+1 {
			t.Errorf("%d bytes that said so: read into a buffer of %d", n, cap(b))
		}
		for _, said := range []int{1, n / 2, 2 * n} {
			b, err := readBody(saysLen{bytes.NewReader(body), said}, 1<<20)
			if err != nil || !bytes.Equal(b, body) {
				t.Fatalf("%d bytes that said %d: read %d, %v", n, said, len(b), err)
			}
		}
	}
	for _, said := range []int{10, 1000, 5000} {
		_, err := readBody(saysLen{bytes.NewReader(make([]byte, 1001)), said}, 1000)
		var p *Problem
		if !errors.As(err, &p) || p.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("1001 bytes that said %d, limit 1000: %v", said, err)
		}
	}
}
