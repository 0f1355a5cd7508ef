package central

import "sync"

// An inbox page is built in one buffer made at its size (inboxPage); on a
// backlog the gateway asks for page after page, about 512 KiB each, and a
// buffer made per page is that much garbage per page: 265 MB and some
// sixty garbage collections over a backlog of 100k realistic cases, on
// the CPU the gateway needs (issue 18). The buffer and the list of the
// page's records are kept between requests instead: taken for a page,
// and given back once the page is written (the ResponseWriter keeps
// nothing of what it is given, as io.Writer's rule is).

// pageBuf is what building an inbox page needs beside the read: the
// page's bytes and its events' records (valid only in the read that
// found them: cleared before the pageBuf is given back).
type pageBuf struct {
	b   []byte
	evs []storedRec
}

// storedRec is an event as stored: its key and its sealed value, both
// valid until the read ends.
type storedRec struct{ k, v []byte }

var pageBufs = sync.Pool{New: func() any { return new(pageBuf) }}

// getPageBuf takes a page's buffer; putPageBuf gives it back when what
// inboxPage built in it is written.
func getPageBuf() *pageBuf { return pageBufs.Get().(*pageBuf) }

func putPageBuf(p *pageBuf) {
	clear(p.evs[:cap(p.evs)])
	p.b, p.evs = p.b[:0], p.evs[:0]
	pageBufs.Put(p)
}
