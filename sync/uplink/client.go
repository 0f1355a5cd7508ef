package uplink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"

	"clinicgw/sync/wire"
)

// statusError is a non-2xx answer from the central store. It keeps the
// status and the problem type only: a problem's text is the server's and is
// not repeated.
type statusError struct {
	op          string // "inbox", "ack", "outbox", "forms"
	status      int
	problemType string
	retryAfter  time.Duration // from a Retry-After header in seconds, 0 if none
}

func (e *statusError) Error() string {
	if e.problemType == wire.ProblemUnsupportedVersion {
		return fmt.Sprintf("%s: the central store does not serve sync protocol %s, which this gateway speaks: upgrade the central store first (it serves %s and %s side by side)",
			e.op, wire.Version2, wire.Version, wire.Version2)
	}
	return fmt.Sprintf("%s: the central store answered %d (%s)", e.op, e.status, e.problemType)
}

// maxDrain bounds what is read of a body nobody needs, so that the
// connection can be reused.
const maxDrain = 64 << 10

// roundTrip sends a request to path (a wire.Path… constant) with the query
// and a JSON body (nil: none), within cfg.RequestTimeout. A 2xx answer's
// body goes to decode (nil: drained); another answer becomes a
// *statusError, logged with its problem's type and the status only.
func (u *Uplink) roundTrip(ctx context.Context, op, method, path, query string, body []byte, decode func(io.Reader) error) error {
	ctx, cancel := context.WithTimeout(ctx, u.cfg.RequestTimeout)
	defer cancel()
	target := u.base + path
	if query != "" {
		target += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", wire.ContentTypeJSON)
	}
	req.Header.Set("Accept", wire.ContentTypeJSON+", "+wire.ContentTypeProblem)
	resp, err := u.http.Do(req)
	u.heard(err == nil)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return u.refused(op, resp)
	}
	if decode == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		return nil
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != wire.ContentTypeJSON {
		return fmt.Errorf("%s: the central store answered %d with a body that is not %s", op, resp.StatusCode, wire.ContentTypeJSON)
	}
	if err := decode(sizedBody{resp.Body, resp.ContentLength}); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// sizedBody is a response body with its Content-Length (n, -1 when
// unknown): the wire's decoders read a body that tells its length (Len)
// into one buffer of that size, not one grown by doubling. They still
// read no more than their limit, whatever it says.
type sizedBody struct {
	io.Reader
	n int64
}

// Len is the body's Content-Length, or 0 when unknown or beyond 2 GiB.
func (b sizedBody) Len() int {
	if b.n < 0 || b.n > math.MaxInt32 {
		return 0
	}
	return int(b.n)
}

// refused reads a non-2xx answer's problem and returns it as a
// *statusError.
func (u *Uplink) refused(op string, resp *http.Response) error {
	se := &statusError{op: op, status: resp.StatusCode, problemType: "about:blank"}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == wire.ContentTypeProblem {
		if p, err := wire.DecodeProblem(resp.Body); err == nil {
			se.problemType = p.Type
		} else {
			se.problemType = "(unreadable problem)"
		}
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		se.retryAfter = time.Duration(s) * time.Second
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	u.log.Warn("central store refused a request", "op", op, "status", se.status, "problem", se.problemType)
	return se
}

// getInbox fetches one page of events after q.After, with its place in
// the event chain (protocol v2), and checks it answers q.
func (u *Uplink) getInbox(ctx context.Context, q wire.InboxQuery) (wire.ChainedPage, error) {
	return getPage(ctx, u, "inbox", wire.PathInbox2, q, wire.DecodeChainedPage)
}

// getInboxEvents is getInbox that also returns each event's bytes as
// the central store sent them (wire.DecodeChainedPageEventsInto), read
// into a buffer of u.bufs when one fits (pagebuf.go): body is the buffer
// they are in, to give back once nothing uses them.
func (u *Uplink) getInboxEvents(ctx context.Context, q wire.InboxQuery) (page wire.ChainedPage, raw [][]byte, body []byte, err error) {
	buf := u.bufs.get()
	page, err = getPage(ctx, u, "inbox", wire.PathInbox2, q, func(r io.Reader) (wire.ChainedPage, error) {
		p, rw, b, err := wire.DecodeChainedPageEventsInto(r, buf)
		raw, body = rw, b
		return p, err
	})
	if err != nil { // the buffer, if any, is left to the garbage collector
		return wire.ChainedPage{}, nil, nil, err
	}
	return page, raw, body, nil
}

// getPage fetches one page of a paged GET: decoded strictly, then checked
// to answer q (its Follows).
func getPage[Q interface{ Encode() string }, P interface{ Follows(Q) error }](ctx context.Context, u *Uplink, op, path string, q Q, decode func(io.Reader) (P, error)) (P, error) {
	var page P
	err := u.roundTrip(ctx, op, http.MethodGet, path, q.Encode(), nil, func(r io.Reader) error {
		p, err := decode(r)
		if err != nil {
			return err
		}
		if err := p.Follows(q); err != nil {
			return err
		}
		page = p
		return nil
	})
	return page, err
}

// postAck acknowledges that the events up to cursor are stored here.
func (u *Uplink) postAck(ctx context.Context, cursor uint64) error {
	b, err := wire.Marshal(wire.Ack{Cursor: cursor})
	if err != nil {
		return fmt.Errorf("ack: %w", err)
	}
	return u.roundTrip(ctx, "ack", http.MethodPost, wire.PathInboxAck2, "", b, nil)
}

// postOutbox sends a batch and returns the result, checked against it.
func (u *Uplink) postOutbox(ctx context.Context, batch wire.OutboxBatch2) (wire.OutboxResult, error) {
	if res, sent, err := u.postOutboxSealed(ctx, batch); sent {
		return res, err
	}
	b, err := wire.Marshal(batch)
	if err != nil {
		return wire.OutboxResult{}, fmt.Errorf("outbox: %w", err)
	}
	var res wire.OutboxResult
	err = u.roundTrip(ctx, "outbox", http.MethodPost, wire.PathOutbox2, "", b, func(r io.Reader) error {
		x, err := wire.DecodeOutboxResult(r)
		if err != nil {
			return err
		}
		if err := x.Matches(batch.Batch()); err != nil {
			return err
		}
		res = x
		return nil
	})
	u.countOutbound(false, len(batch.Items), res, err)
	return res, err
}

// putForms publishes the unit's services, marshalled, on
// wire.PathServices2 if there are any, else (or when the central store does
// not serve that path: 404, remembered) its forms on wire.PathForms2.
func (u *Uplink) putForms(ctx context.Context, forms []byte) error {
	if services := u.servicesToPublish(); services != nil {
		err := u.roundTrip(ctx, "forms", http.MethodPut, wire.PathServices2, "", services, nil)
		se, ok := errors.AsType[*statusError](err)
		if !ok || se.status != http.StatusNotFound {
			return err
		}
		u.noServices.Store(true)
		u.log.Warn("the central store does not take the unit's services (protocol v2 services); publishing the forms of the case types it knows")
	}
	return u.roundTrip(ctx, "forms", http.MethodPut, wire.PathForms2, "", forms, nil)
}

// postReconcile gives back events the central store lost and returns the
// result, checked against the batch.
func (u *Uplink) postReconcile(ctx context.Context, batch wire.ReconcileBatch) (wire.ReconcileResult, error) {
	b, err := wire.Marshal(batch)
	if err != nil {
		return wire.ReconcileResult{}, fmt.Errorf("reconcile: %w", err)
	}
	var res wire.ReconcileResult
	err = u.roundTrip(ctx, "reconcile", http.MethodPost, wire.PathReconcile2, "", b, func(r io.Reader) error {
		x, err := wire.DecodeReconcileResult(r)
		if err != nil {
			return err
		}
		if err := x.Matches(batch); err != nil {
			return err
		}
		res = x
		return nil
	})
	return res, err
}
