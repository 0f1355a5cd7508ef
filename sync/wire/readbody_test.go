package wire

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"reflect"
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

// A body read into a lent buffer is the body whatever the buffer held
// before, fits or not, tells its length or not, truthfully or not; one
// that fits is read in place, one that does not into a new buffer with
// an eighth more room; the limit holds either way.
func TestReadBodyInto(t *testing.T) {
	for _, n := range []int{1, 511, 4096, 300000} {
		body := bytes.Repeat([]byte{'x'}, n)
		for _, bufCap := range []int{0, n / 2, n, n + 1, 2 * n} {
			readers := map[string]func() io.Reader{
				"plain": func() io.Reader { return struct{ io.Reader }{bytes.NewReader(body)} },
				"sized": func() io.Reader { return bytes.NewReader(body) },
				"short": func() io.Reader { return saysLen{bytes.NewReader(body), n / 2} },
				"long":  func() io.Reader { return saysLen{bytes.NewReader(body), 2 * n} },
			}
			for name, r := range readers {
				buf := bytes.Repeat([]byte{'#'}, bufCap)[:0]
				b, err := readBodyInto(r(), 1<<20, buf, true)
				if err != nil || !bytes.Equal(b, body) {
					t.Fatalf("%d bytes (%s) into %d: read %d, %v", n, name, bufCap, len(b), err)
				}
				inPlace := cap(buf) > 0 && &b[:1][0] == &buf[:1][0]
				if fits := bufCap >= n+1; name == "sized" && inPlace != fits {
					t.Errorf("%d bytes (sized) into %d: in place %v", n, bufCap, inPlace)
				}
				if name == "sized" && !inPlace && cap(b) != n+1+(n+1)/8 {
					t.Errorf("%d bytes (sized) into %d: a new buffer of %d, want %d", n, bufCap, cap(b), n+1+(n+1)/8)
				}
			}
		}
	}
	buf := make([]byte, 0, 5000)
	for _, r := range []io.Reader{bytes.NewReader(make([]byte, 1001)), struct{ io.Reader }{bytes.NewReader(make([]byte, 1001))}} {
		_, err := readBodyInto(r, 1000, buf, true)
		var p *Problem
		if !errors.As(err, &p) || p.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("1001 bytes into a buffer of 5000, limit 1000: %v", err)
		}
	}
}

// A page decoded into a lent buffer refers to it only by its raw
// events: the buffer overwritten (as the next page read into it does)
// changes nothing of the page's events, and the raw events are the
// body's.
func TestDecodeIntoBufferLeavesEvents(t *testing.T) {
	in := realisticChainedPage(1)
	want, _, err := DecodeChainedPageEvents(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, len(in)+1)
	page, raw, body, err := DecodeChainedPageEventsInto(bytes.NewReader(in), buf)
	if err != nil {
		t.Fatal(err)
	}
	if &body[0] != &buf[:1][0] {
		t.Fatal("the body was not read into the buffer it fits")
	}
	for i, r := range raw {
		if !bytes.Contains(in, r) {
			t.Fatalf("raw event %d is not in the body", i)
		}
	}
	for i := range body[:cap(body)] {
		body[:cap(body)][i] = 'X'
	}
	if !reflect.DeepEqual(page, want) {
		t.Error("overwriting the buffer changed the page's events")
	}
	for i, r := range raw { // parts of the buffer, not copies
		if len(bytes.Trim(r, "X")) != 0 {
			t.Fatalf("raw event %d is not a part of the buffer", i)
		}
	}
}
