package uplink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/sync/wire"
)

// pongWriteTimeout bounds the answer to a ping.
const pongWriteTimeout = 10 * time.Second

// streamLoop keeps the stream up: it dials, reads until the stream fails,
// and redials with backoff. While it is down the pull loop polls.
func (u *Uplink) streamLoop(ctx context.Context) {
	attempt := 0
	for {
		upSince, err := u.stream(ctx)
		u.setConnected(false)
		if ctx.Err() != nil {
			return
		}
		u.heard(false)
		if !upSince.IsZero() && u.cfg.Clock.Now().Sub(upSince) >= wire.StreamPingInterval {
			attempt = 0 // it was up for a while: start the backoff afresh
		} else if upSince.IsZero() && !u.formsPublished.Load() {
			u.formsDue.Store(true) // the stream may be blocked on the way: publish anyway
		}
		u.fail(err)
		wait := u.retryWait(attempt, err)
		u.log.Warn("stream down; polling meanwhile", "attempt", attempt, "waitMs", wait.Milliseconds(), "err", err)
		attempt++
		wake(u.pullWake) // fall back to polling at once: events may be waiting
		if !u.sleep(ctx, wait, nil) {
			return
		}
	}
}

// stream dials the stream and reads it until it fails or ctx ends. It
// returns when the hello arrived (zero if it did not: the stream was never
// up) and why the stream ended.
func (u *Uplink) stream(ctx context.Context) (upSince time.Time, err error) {
	wsURL := u.wsURL
	if u.cfg.Booking != nil { // booking requests announced too (bookingstream.go in sync/wire)
		wsURL += "?" + wire.StreamAnnounceBooking
	}
	conn, resp, err := u.dialer.DialContext(ctx, wsURL, nil) // no Origin: the central store refuses one
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			err = u.refused("stream", resp) // a problem from the central store
			resp.Body.Close()
			return upSince, err
		}
		return upSince, fmt.Errorf("stream: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	conn.SetReadLimit(wire.MaxStreamMessageBytes)
	alive := func() error { return conn.SetReadDeadline(time.Now().Add(u.idle)) }
	if err := alive(); err != nil {
		return upSince, fmt.Errorf("stream: %w", err)
	}
	conn.SetPingHandler(func(data string) error {
		if err := alive(); err != nil {
			return err
		}
		u.heard(true)
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(pongWriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		typ, r, err := conn.NextReader()
		if err != nil {
			if ctx.Err() != nil {
				return upSince, ctx.Err()
			}
			return upSince, fmt.Errorf("stream: %w", err)
		}
		if typ != websocket.TextMessage {
			_, _ = io.Copy(io.Discard, r)
			return upSince, errors.New("stream: the central store sent a binary message; the protocol has only text messages")
		}
		m, err := wire.DecodeStreamMessage(r)
		if err != nil {
			return upSince, fmt.Errorf("stream: %w", err)
		}
		if err := alive(); err != nil {
			return upSince, fmt.Errorf("stream: %w", err)
		}
		u.heard(true)
		cursor := u.cursor()
		switch {
		case m.Type == wire.StreamHello:
			if upSince.IsZero() {
				upSince = u.cfg.Clock.Now()
				u.setConnected(true)
				u.formsDue.Store(true)
				u.contactDue.Store(true)
				u.bookingDue.Store(true)
				u.bookingNoOffer.Store(false)
				wake(u.pushWake) // the central store is back: send what waits
				u.log.Info("stream connected", "seq", m.Seq, "cursor", cursor)
			}
			// Every connect pulls: the pull checks that the central store's
			// event chain goes on where this gateway stands (continuity.go),
			// whether or not it has new events.
			wake(u.pullWake)
		case upSince.IsZero():
			return upSince, errors.New("stream: the central store did not start with hello")
		case m.Type == wire.StreamBooking:
			wake(u.pushWake) // the push round decides the booking requests waiting
			continue
		}
		if m.Seq > cursor {
			wake(u.pullWake)
		}
	}
}
