package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"clinicgw/sync/tlsconf"
)

// The gateway's lifecycle. Start opens what the parts share (the key's
// token, then the store), starts the parts, each in a goroutine of a.wg,
// and the listeners; whatever Start opened or started is undone by
// shutdown, whether Start failed half-way or the gateway ran and stops.
// shutdown is the one place the order is written:
//
//  1. the listeners (web UI, admin) stop accepting and drain: requests
//     under way finish, the UI's page websockets are closed (1001, going
//     away) and the bridges' presence websockets too, and every handler
//     has returned; after shutdownGrace, requests still under way are
//     cancelled and their connections closed, and still waited for;
//  2. the background parts (uplink, login, notices, archive and backup
//     schedules, config watch) are cancelled and every goroutine the
//     gateway started is joined;
//  3. what was opened is closed, newest first: the store, then the
//     key-encryption key's token.
//
// So no handler and no part can use the store after it closed.

// shutdownGrace is how long requests under way at a stop may take before
// they are cancelled.
const shutdownGrace = 5 * time.Second

// Messages of the stop, static for log searches.
const (
	msgDrainWait  = "stopping: waiting for web requests under way"
	msgDrainForce = "stopping: web requests still under way after the grace period; cancelling them"
)

// closer is something Start opened, closed by shutdown.
type closer struct {
	what  string // for the error: "close store"
	close func() error
}

// opened records c to be closed at shutdown, after everything that may
// use it has ended.
func (a *Agent) opened(what string, close func() error) {
	a.closers = append(a.closers, closer{what, close})
}

// shutdown undoes what Start did, in the order above, and returns what
// failed in closing.
func (a *Agent) shutdown() error {
	var drain sync.WaitGroup
	for _, l := range a.listeners {
		drain.Go(l.stop)
	}
	drain.Wait()
	a.cancelParts()
	a.wg.Wait()
	var errs []error
	for _, c := range slices.Backward(a.closers) {
		if err := c.close(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.what, err))
		}
	}
	a.listeners, a.closers = nil, nil
	return errors.Join(errs...)
}

// webListener is one of the gateway's HTTP listeners. It counts the
// handlers under way (websockets included: their handler runs as long as
// they are open) and knows the connections handlers took over, which
// http.Server.Shutdown neither waits for nor closes.
type webListener struct {
	name string // "web UI", "admin listener"
	srv  *http.Server
	log  *slog.Logger
	// drain closes the websockets the handler keeps (the UI's pages) and
	// waits for their handlers, until its context ends; nil if none.
	drain func(context.Context) error
	// endRequests cancels the requests' contexts: at the end of the grace
	// period, or when the listener has stopped.
	endRequests context.CancelFunc

	mu       sync.Mutex
	idle     sync.Cond // signalled when handlers reaches 0
	handlers int
	hijacked map[net.Conn]bool
}

// connKey is the request context's key of its connection.
type connKey struct{}

// serve serves h on ln (TLS with tcfg unless nil) until shutdown; name
// says which listener in logs and errors. A failure of the listener stops
// the gateway.
func (a *Agent) serve(name string, ln net.Listener, tcfg *tls.Config, h http.Handler, drain func(context.Context) error) {
	reqCtx, endRequests := context.WithCancel(context.WithoutCancel(a.stopping))
	l := &webListener{name: name, log: a.log.With("listener", name), drain: drain, endRequests: endRequests,
		hijacked: map[net.Conn]bool{}}
	l.idle.L = &l.mu
	srv := tlsconf.NewHTTPServer(l.track(h), tcfg, tlsconf.DefaultLimits)
	srv.ErrorLog = slog.NewLogLogger(l.log.Handler(), slog.LevelWarn)
	srv.BaseContext = func(net.Listener) context.Context { return reqCtx }
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, connKey{}, c) }
	srv.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateHijacked {
			l.mu.Lock()
			l.hijacked[c] = true
			l.mu.Unlock()
		}
	}
	l.srv = srv
	a.listeners = append(a.listeners, l)
	if tcfg != nil {
		ln = tls.NewListener(ln, tcfg)
	}
	a.wg.Go(func() {
		err := srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) && a.stopping.Err() == nil {
			a.fail(fmt.Errorf("%s: %w", name, err))
		}
	})
}

// track counts h's handlers under way, and forgets a connection a handler
// took over once the handler has returned (it closed it).
func (l *webListener) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.handlers++
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
				delete(l.hijacked, c)
			}
			if l.handlers--; l.handlers == 0 {
				l.idle.Broadcast()
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// stop stops accepting, lets the requests under way finish and closes the
// websockets, and returns when every handler has returned.
func (l *webListener) stop() {
	l.mu.Lock()
	n := l.handlers
	l.mu.Unlock()
	if n > 0 {
		l.log.Info(msgDrainWait, "handlers", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var wg sync.WaitGroup
	var shutErr, drainErr error
	wg.Go(func() { shutErr = l.srv.Shutdown(ctx) })
	wg.Go(func() {
		if l.drain != nil {
			drainErr = l.drain(ctx)
		}
		l.closeHijacked() // the websockets drain does not know (the bridges')
	})
	wg.Wait()
	if shutErr != nil || drainErr != nil {
		l.mu.Lock()
		n = l.handlers
		l.mu.Unlock()
		l.log.Warn(msgDrainForce, "handlers", n)
		l.endRequests()
		l.srv.Close()
		l.closeHijacked()
	}
	l.mu.Lock()
	for l.handlers > 0 {
		l.idle.Wait()
	}
	l.mu.Unlock()
	l.endRequests()
}

// closeHijacked closes the connections handlers took over and still hold.
func (l *webListener) closeHijacked() {
	l.mu.Lock()
	conns := slices.Collect(maps.Keys(l.hijacked))
	l.mu.Unlock()
	for _, c := range conns {
		c.Close() // a TLS close may wait for the peer: not under l.mu
	}
}
