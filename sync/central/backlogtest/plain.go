package backlogtest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/clock"
	"clinicgw/sync/wire"
)

// Page is an inbox page's bytes, where its events are in them (no
// pointers for the collector to follow: a benchmark may hold the bytes
// outside the heap) and its cursor.
type Page struct {
	Bytes  []byte
	Spans  [][2]int
	Cursor uint64
}

// SplitEvents returns where each inbox page's events are in it, and the
// page's cursor, for PlainWrite.
func SplitEvents(pages [][]byte) ([]Page, error) {
	out := make([]Page, 0, len(pages))
	for _, p := range pages {
		var page struct {
			Events []json.RawMessage `json:"events"`
			Cursor uint64            `json:"cursor"`
		}
		if err := json.Unmarshal(p, &page); err != nil {
			return nil, err
		}
		bp := Page{Bytes: p, Spans: make([][2]int, 0, len(page.Events)), Cursor: page.Cursor}
		at := 0
		for _, e := range page.Events {
			i := bytes.Index(p[at:], e)
			if i < 0 {
				return nil, errors.New("an event's bytes are not in its page")
			}
			bp.Spans = append(bp.Spans, [2]int{at + i, at + i + len(e)})
			at += i + len(e)
		}
		out = append(out, bp)
	}
	return out, nil
}

// PlainWrite writes the pages' events durably into a new bbolt file at
// path with the gateway store's options, one transaction per page with
// its cursor, one put per event, and returns the time it took: the least
// a store must do with a backlog.
func PlainWrite(path string, pages []Page) (time.Duration, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, NoFreelistSync: true, PageSize: 16384})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	t0 := clock.System.Now()
	seq := uint64(0)
	for _, p := range pages {
		err := db.Update(func(tx *bolt.Tx) error {
			ev, err := tx.CreateBucketIfNotExists([]byte("events"))
			if err != nil {
				return err
			}
			ev.FillPercent = 1
			for _, sp := range p.Spans {
				seq++
				if err := ev.Put(binary.BigEndian.AppendUint64(nil, seq), p.Bytes[sp[0]:sp[1]]); err != nil {
					return err
				}
			}
			meta, err := tx.CreateBucketIfNotExists([]byte("meta"))
			if err != nil {
				return err
			}
			return meta.Put([]byte("cursor"), binary.BigEndian.AppendUint64(nil, p.Cursor))
		})
		if err != nil {
			return 0, err
		}
	}
	return clock.System.Now().Sub(t0), db.Close()
}

// InboxPages fetches a unit's whole inbox from the central store's sync
// API at url as the gateway would, pages of wire.MaxInboxLimit, with cl
// (its transport holding the unit's client certificate), and returns the
// pages' bodies.
func InboxPages(cl *http.Client, url string) ([][]byte, error) {
	var pages [][]byte
	after := uint64(0)
	for {
		q := wire.InboxQuery{After: after, Limit: wire.MaxInboxLimit}
		resp, err := cl.Get(url + wire.PathInbox + "?" + q.Encode())
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("inbox: %s", resp.Status)
		}
		page, err := wire.DecodeInboxPage(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		pages = append(pages, body)
		if !page.More {
			return pages, nil
		}
		after = page.Cursor
	}
}
