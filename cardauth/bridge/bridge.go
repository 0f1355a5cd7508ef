package bridge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/cardauth"
	"clinicgw/sync/clock"
	"clinicgw/sync/i18n"
	"clinicgw/sync/tlsconf"
)

// DefaultAddr is where the bridge listens unless configured otherwise.
const DefaultAddr = "127.0.0.1:24727"

// Paths of the bridge's API.
const (
	PathStatus = "/v1/status"
	PathSign   = "/v1/sign"
	PathWatch  = "/v1/watch"
)

// Card is the card in the workstation's reader, as the bridge uses it.
// cardauth/token provides it over PKCS#11.
type Card interface {
	// AuthCertificate is the card's authentication certificate (not the
	// signing one).
	AuthCertificate(ctx context.Context) (*x509.Certificate, error)
	// Signer logs in with pin ("" on a PIN-pad reader, which asks for it)
	// and returns the authentication key. It never retries a PIN.
	Signer(ctx context.Context, pin string) (crypto.Signer, error)
	// PINPad reports whether the reader has its own PIN pad.
	PINPad() bool
	Close() error
}

// Cards opens the card in the reader.
type Cards interface {
	// Open returns the card in the reader now, or an error that matches
	// ErrNoCard when there is none.
	Open(ctx context.Context) (Card, error)
}

// Reader reports card insertion and removal in the reader. cardauth/pcsc
// provides it.
type Reader interface {
	// Watch calls fn with the card's presence at start and after every
	// change, until ctx ends.
	Watch(ctx context.Context, fn func(present bool)) error
}

// ReaderChecker is a Reader that can also tell whether a card reader is
// connected at all, so that the login page can say "connect the reader"
// rather than "insert the card". PCSCReader is one; a Reader without it
// counts as connected.
type ReaderChecker interface {
	// Connected reports whether the reader is connected now.
	Connected(ctx context.Context) (bool, error)
}

// ErrNoCard is no card in the reader.
var ErrNoCard = errors.New("no card in the reader")

// Config is what the bridge needs.
type Config struct {
	// Gateway is the gateway's origin, "https://host[:port]": the only
	// origin the bridge answers, and where it reports card presence.
	Gateway string
	// GatewayTLS verifies the gateway's certificate for the presence
	// connection (tlsconf.Client without a client certificate is fine).
	GatewayTLS *tls.Config
	Cards      Cards
	Reader     Reader
	Heartbeat  time.Duration // cardauth.DefaultHeartbeat if 0
	Clock      clock.Clock   // the system clock if nil
	// AppVersion names the bridge and its version ("clinicgw-bridge
	// 1.2.3"); tokens carry it as the URL AppVersionURL makes of it, as
	// Web eID's format asks.
	AppVersion string
	Logger     *slog.Logger
}

// AppVersionURL is the URL a token's appVersion names the app by: Web
// eID's format asks for a URL identifying the app and its version
// (informative only). clinicgw has no public release page, so the host is
// in .invalid (RFC 2606), which never resolves.
func AppVersionURL(app string) string {
	return "https://clinicgw.invalid/releases/" + url.PathEscape(app)
}

// Bridge answers the gateway's login page on the workstation.
type Bridge struct {
	cfg    Config
	log    *slog.Logger
	dialer *websocket.Dialer
	wsURL  string

	mu      sync.Mutex
	present bool
	card    string // the present card's fingerprint, "" if unknown
	changed chan struct{}
	signMu  sync.Mutex // one signing at a time
	watches sync.WaitGroup
	stopped chan struct{} // closed when Run ends: presence reports stop
}

// New checks cfg and returns a Bridge.
func New(cfg Config) (*Bridge, error) {
	u, err := url.Parse(cfg.Gateway)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		return nil, fmt.Errorf("bridge: gateway %q: expected https://host[:port]", cfg.Gateway)
	}
	if cfg.Cards == nil || cfg.Reader == nil {
		return nil, errors.New("bridge: a card source and a reader are required")
	}
	if cfg.GatewayTLS == nil || cfg.GatewayTLS.InsecureSkipVerify {
		return nil, errors.New("bridge: a TLS configuration that verifies the gateway is required")
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = cardauth.DefaultHeartbeat
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Bridge{
		cfg: cfg, log: cfg.Logger, changed: make(chan struct{}), stopped: make(chan struct{}),
		dialer: &websocket.Dialer{TLSClientConfig: http1Only(cfg.GatewayTLS), HandshakeTimeout: 10 * time.Second},
		wsURL:  "wss://" + u.Host + cardauth.PathPresence,
	}, nil
}

// http1Only returns a copy of c that offers only HTTP/1.1 in ALPN: a
// websocket handshake is an HTTP/1.1 upgrade, and a gateway that also
// speaks HTTP/2 would pick "h2" from a configuration made for its HTTPS
// (tlsconf.Client offers both) and then refuse the upgrade.
func http1Only(c *tls.Config) *tls.Config {
	c = c.Clone()
	c.NextProtos = []string{"http/1.1"}
	return c
}

// Run watches the reader until ctx ends; Handler serves meanwhile.
func (b *Bridge) Run(ctx context.Context) error {
	err := b.cfg.Reader.Watch(ctx, func(present bool) { b.setPresent(ctx, present) })
	close(b.stopped)
	b.watches.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// setPresent records a change of the card and wakes the presence reports.
func (b *Bridge) setPresent(ctx context.Context, present bool) {
	card := ""
	if present {
		card = b.fingerprint(ctx)
	}
	b.mu.Lock()
	b.present, b.card = present, card
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
	b.log.Info("card presence", "present", present)
}

// fingerprint is the present card's cardauth.CardID, "" if it cannot be
// read.
func (b *Bridge) fingerprint(ctx context.Context) string {
	id, err := ReadCardID(ctx, b.cfg.Cards)
	if err != nil {
		b.log.Warn("card inserted but not readable", "err", err)
	}
	return id
}

// ReadCardID opens the card now in the reader and returns its
// cardauth.CardID, within 10 s.
func ReadCardID(ctx context.Context, cards Cards) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := cards.Open(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close()
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		return "", fmt.Errorf("the card's authentication certificate: %w", err)
	}
	return cardauth.CardID(cert), nil
}

// state returns the card's presence, fingerprint and the channel closed at
// the next change.
func (b *Bridge) state() (bool, string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.present, b.card, b.changed
}

// signTimeout is how long a signing waits for the card and for the person
// at a PIN pad.
const signTimeout = 60 * time.Second

// Limits are the bridge's HTTP server limits (tlsconf.NewHTTPServer): a
// response may wait for the signing before it (one at a time) and its
// own, each up to signTimeout.
var Limits = tlsconf.Limits{Write: 2*signTimeout + 10*time.Second}

// Handler is the bridge's API, for 127.0.0.1 only: every request must come
// from the gateway's origin (CORS, with Private Network Access) and name the
// bridge's own loopback host (against DNS rebinding).
//
// Serve it with tlsconf.NewHTTPServer(h, nil, Limits).
func (b *Bridge) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathStatus, b.status)
	mux.HandleFunc("POST "+PathSign, b.sign)
	mux.HandleFunc("POST "+PathWatch, b.watch)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopbackHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "bad-host", i18n.T("sv", "bridge.badHost"))
			return
		}
		if r.Header.Get("Origin") != b.cfg.Gateway {
			b.log.Warn("bridge request from another origin refused")
			writeError(w, http.StatusForbidden, "origin", i18n.T("sv", "bridge.origin"))
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", b.cfg.Gateway)
		h.Set("Vary", "Origin")
		h.Set("Cache-Control", "no-store")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			h.Set("Access-Control-Allow-Private-Network", "true")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// Listen listens on addr, which must be a loopback address: the bridge is
// never reachable from the network.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("bridge: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("bridge: listen address %q: the bridge listens on 127.0.0.1 or ::1 only", addr)
	}
	return net.Listen("tcp", addr)
}

// loopbackHost reports whether a Host header names this machine's loopback.
func loopbackHost(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Status is the answer to GET PathStatus.
type Status struct {
	// Reader is whether a card reader is connected; false tells the page
	// to ask for the reader rather than the card.
	Reader  bool   `json:"reader"`
	Present bool   `json:"present"` // a card is in the reader
	PINPad  bool   `json:"pinPad"`
	Version string `json:"version"`
}

func (b *Bridge) status(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	present, _, _ := b.state()
	st := Status{Reader: true, Present: present, Version: b.cfg.AppVersion}
	if present {
		if c, err := b.cfg.Cards.Open(ctx); err == nil {
			st.PINPad = c.PINPad()
			c.Close()
		}
	} else {
		st.Reader = b.readerConnected(ctx)
	}
	writeJSON(w, http.StatusOK, st)
}

// readerConnected asks a ReaderChecker whether a reader is connected; a
// Reader that cannot tell counts as one, a failed check as none.
func (b *Bridge) readerConnected(ctx context.Context) bool {
	rc, ok := b.cfg.Reader.(ReaderChecker)
	if !ok {
		return true
	}
	connected, err := rc.Connected(ctx)
	if err != nil {
		b.log.Warn("card reader check failed", "err", err)
		return false
	}
	return connected
}

// SignRequest is the body of POST PathSign.
type SignRequest struct {
	Nonce string `json:"nonce"` // the gateway's challenge, base64
	PIN   string `json:"pin"`   // "" on a PIN-pad reader
}

// maxRequest bounds a request body.
const maxRequest = 4 << 10

// DecodeSignRequest reads a sign request strictly: one JSON object, no
// unknown members, a nonce of 32 to 64 random bytes in base64, a PIN of 4
// to 16 digits or none.
func DecodeSignRequest(r io.Reader) (SignRequest, error) {
	var req SignRequest
	if err := decodeStrict(r, &req); err != nil {
		return SignRequest{}, err
	}
	n, err := base64.StdEncoding.DecodeString(req.Nonce)
	if err != nil || len(n) < cardauth.NonceBytes || len(n) > 64 {
		return SignRequest{}, errors.New("nonce: expected the gateway's challenge (base64)")
	}
	if req.PIN != "" {
		if len(req.PIN) < 4 || len(req.PIN) > 16 || strings.Trim(req.PIN, "0123456789") != "" {
			return SignRequest{}, errors.New("pin: expected 4 to 16 digits")
		}
	}
	return req, nil
}

// WatchRequest is the body of POST PathWatch.
type WatchRequest struct {
	Ticket string `json:"ticket"` // the session's presence ticket from the gateway
}

// DecodeWatchRequest reads a watch request strictly.
func DecodeWatchRequest(r io.Reader) (WatchRequest, error) {
	var req WatchRequest
	if err := decodeStrict(r, &req); err != nil {
		return WatchRequest{}, err
	}
	if t, err := base64.RawURLEncoding.DecodeString(req.Ticket); err != nil || len(t) < 16 || len(t) > 64 {
		return WatchRequest{}, errors.New("ticket: expected the gateway's presence ticket")
	}
	return req, nil
}

func decodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, maxRequest+1))
	if err != nil {
		return err
	}
	if len(data) > maxRequest {
		return fmt.Errorf("body larger than %d bytes", maxRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("body: data after the object")
	}
	return nil
}

// swedishError is an error with words for staff (token.PINError has them).
type swedishError interface{ Swedish() string }

func (b *Bridge) sign(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeSignRequest(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", i18n.T("sv", "bridge.badReq"))
		return
	}
	b.signMu.Lock()
	defer b.signMu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), signTimeout) // a PIN pad waits for the person
	defer cancel()
	c, err := b.cfg.Cards.Open(ctx)
	if errors.Is(err, ErrNoCard) {
		if !b.readerConnected(ctx) {
			writeError(w, http.StatusConflict, "no-reader", i18n.T("sv", "bridge.noReader"))
			return
		}
		writeError(w, http.StatusConflict, "no-card", i18n.T("sv", "bridge.noCard"))
		return
	}
	if err != nil {
		b.log.Warn("card not readable", "err", err)
		writeError(w, http.StatusServiceUnavailable, "card", i18n.T("sv", "bridge.unread"))
		return
	}
	defer c.Close()
	cert, err := c.AuthCertificate(ctx)
	if err != nil {
		b.log.Warn("no authentication certificate on the card", "err", err)
		writeError(w, http.StatusServiceUnavailable, "card", i18n.T("sv", "bridge.noCert"))
		return
	}
	signer, err := c.Signer(ctx, req.PIN)
	if err != nil {
		var sv swedishError
		msg := i18n.T("sv", "bridge.cardLogin")
		if errors.As(err, &sv) {
			msg = sv.Swedish()
		}
		b.log.Warn("card login failed", "err", err) // the PIN is never logged
		writeError(w, http.StatusForbidden, "pin", msg)
		return
	}
	tok, err := cardauth.NewAuthToken(signer, cert, b.cfg.Gateway, req.Nonce, AppVersionURL(b.cfg.AppVersion), false)
	if err != nil {
		b.log.Warn("card signature failed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "card", i18n.T("sv", "bridge.noSign"))
		return
	}
	b.noteCard(cardauth.CardID(cert))
	b.log.Info("login challenge signed")
	writeJSON(w, http.StatusOK, tok)
}

// noteCard records id, the card that just signed, as the present card's
// fingerprint when reading it at insertion failed: else the presence
// reports would name no card and the gateway would end the new session at
// once.
func (b *Bridge) noteCard(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.present && b.card == "" {
		b.card = id
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

func (b *Bridge) watch(w http.ResponseWriter, r *http.Request) {
	req, err := DecodeWatchRequest(r.Body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad-request", i18n.T("sv", "bridge.badReq"))
		return
	}
	conn, resp, err := b.dialer.DialContext(r.Context(), b.wsURL, http.Header{"Authorization": {"Bearer " + req.Ticket}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		b.log.Warn("presence connection to the gateway failed", "status", status, "err", err)
		writeError(w, http.StatusBadGateway, "gateway", i18n.T("sv", "bridge.noGateway"))
		return
	}
	b.watches.Add(1)
	go func() {
		defer b.watches.Done()
		b.report(conn)
	}()
	w.WriteHeader(http.StatusNoContent)
}

// reportWriteWait bounds one presence report's write: the way out of a
// gateway that takes nothing (a wall-clock deadline on the real
// connection). It is not the heartbeat: a workstation held up for a
// heartbeat between setting the deadline and writing would drop the
// connection, and the gateway end the session at once (EndBridgeGone).
// Silence is the gateway's to judge, by its clock.
const reportWriteWait = 10 * time.Second

// report sends the card's presence on conn every heartbeat and at every
// change, until the gateway closes it or the card leaves.
func (b *Bridge) report(conn *websocket.Conn) {
	defer conn.Close()
	closed := make(chan struct{})
	go func() { // read to see the gateway's close
		defer close(closed)
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()
	tick := b.cfg.Clock.NewTicker(b.cfg.Heartbeat)
	defer tick.Stop()
	for {
		present, card, changed := b.state()
		msg, _ := json.Marshal(cardauth.PresenceReport{Present: present, Card: card})
		conn.SetWriteDeadline(time.Now().Add(reportWriteWait))
		if err := conn.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
		if !present {
			// The gateway ends the session; wait for its close briefly.
			select {
			case <-closed:
			case <-b.cfg.Clock.NewTimer(2 * time.Second).C():
			}
			return
		}
		select {
		case <-closed:
			return
		case <-b.stopped:
			return
		case <-changed:
		case <-tick.C():
		}
	}
}

type problem struct {
	Error   string `json:"error"`
	Message string `json:"message"` // Swedish, for the page to show
}

func writeError(w http.ResponseWriter, status int, code, sv string) {
	writeJSON(w, status, problem{Error: code, Message: sv})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
