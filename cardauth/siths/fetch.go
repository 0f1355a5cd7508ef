package siths

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// cache holds values until they expire, at most max of them: a full cache
// first drops what has expired, then an arbitrary entry.
type cache[T any] struct {
	max int
	m   map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	val     T
	expires time.Time
}

func newCache[T any](max int) cache[T] {
	return cache[T]{max: max, m: make(map[string]cacheEntry[T])}
}

func (c *cache[T]) get(key string, now time.Time) (T, bool) {
	e, ok := c.m[key]
	if !ok || !now.Before(e.expires) {
		var zero T
		return zero, false
	}
	return e.val, true
}

func (c *cache[T]) put(key string, val T, expires, now time.Time) {
	if !now.Before(expires) {
		return
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = cacheEntry[T]{val: val, expires: expires}
}

// cacheUntil is when a response fetched at now, valid until nextUpdate,
// is to be fetched again.
func (v *Verifier) cacheUntil(now, nextUpdate time.Time) time.Time {
	if limit := now.Add(v.cfg.CacheMaxAge); nextUpdate.After(limit) {
		return limit
	}
	return nextUpdate
}

// fetch gets url within FetchTimeout, reading at most limit bytes.
func (v *Verifier) fetch(ctx context.Context, method, url string, body []byte, contentType string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, v.cfg.FetchTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := v.cfg.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err) // url.Error names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("fetch %s: HTTP %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("fetch %s: the answer is larger than %d bytes", url, limit)
	}
	return data, nil
}
