package uplink

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"clinicgw/agent/cases"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// Cases is the part of the gateway's case service the uplink uses;
// *cases.Service implements it.
type Cases interface {
	// SyncCursor returns the sequence number of the last central event
	// applied.
	SyncCursor(ctx context.Context) (uint64, error)
	// SyncHead returns where the gateway stands in the central store's
	// event chain; false if it was never recorded.
	SyncHead(ctx context.Context) (cases.SyncHead, bool, error)
	// ApplyChained applies a page of events, moves the cursor to
	// head.Seq, records head and the page's journal entries, in one
	// durable transaction. The entries' Event bytes are parts of a
	// pooled page body (pagebuf.go): nothing may refer to them once it
	// returns.
	ApplyChained(ctx context.Context, in []cases.Inbound, head cases.SyncHead, journal []cases.JournalEntry) (cases.ApplyReport, error)
	// Journal returns up to max journal entries after seq after.
	Journal(ctx context.Context, after uint64, max int) ([]cases.JournalEntry, error)
	// JournalLinks is Journal without the events.
	JournalLinks(ctx context.Context, after uint64, max int) ([]cases.JournalEntry, error)
	// RetainedOutbound returns up to max confirmed outbox items kept
	// for a reconciliation, after position after.
	RetainedOutbound(ctx context.Context, after uint64, max int) ([]cases.Retained, error)
	// ResetSync moves the cursor to head.Seq, records head and drops the
	// journal after it.
	ResetSync(ctx context.Context, head cases.SyncHead) error
	// PendingOutbound returns up to max queued changes, oldest first.
	PendingOutbound(ctx context.Context, max int) ([]cases.Outbound, error)
	// ConfirmOutbound removes changes the central store has confirmed.
	ConfirmOutbound(ctx context.Context, keys []string) error
	// ParkOutbound marks a queued change the central store refused as a
	// conflict, durably (cases.Outbound.ParkedAt): it is not sent again,
	// across restarts, until released.
	ParkOutbound(ctx context.Context, key string) (bool, error)
	// RetryQuarantine applies the quarantined central events again (this
	// version's rules may take them now).
	RetryQuarantine(ctx context.Context) (cases.RetryReport, error)
	// Quarantine returns the quarantined central events, oldest first.
	Quarantine(ctx context.Context) ([]cases.Quarantined, error)
}

var _ Cases = (*cases.Service)(nil)

// Defaults of the Config fields left zero.
const (
	DefaultPageSize       = wire.MaxInboxLimit
	DefaultPollInterval   = 30 * time.Second
	DefaultPushInterval   = 5 * time.Second
	DefaultMaxBackoff     = 60 * time.Second
	DefaultRequestTimeout = 30 * time.Second
	// DefaultCentralKeyRefresh: see Config.CentralKeyRefresh.
	DefaultCentralKeyRefresh = time.Hour
)

// Config is what New needs. BaseURL, TLS and Cases are required; the rest
// have defaults.
type Config struct {
	// BaseURL is the central store's sync API, "https://host:port" (a path
	// prefix is allowed; the wire paths are appended to it).
	BaseURL string
	// TLS is the client configuration from tlsconf.Client: the unit's
	// certificate and the central store's pinned CA. It is used for the
	// HTTP/2 API and, with ALPN set to http/1.1, for the stream.
	TLS *tls.Config
	// Cases is the gateway's case service.
	Cases Cases
	// Forms, when not nil, is published (PUT wire.PathForms) after every
	// (re)connect of the stream.
	Forms *wire.FormSet
	// Services, when not nil, is the unit's catalogue to publish with
	// protocol v2's PUT wire.PathServices2 instead of Forms; a central
	// store that does not serve that path (404) gets Forms (the set of
	// the case types it knows) from then on.
	Services *wire.ServiceSet
	// Booking, when not nil, is the unit's booking diary (agent/booking):
	// its free times are published after every (re)connect and after
	// every decision, and patients' requests waiting at the central
	// store are decided with it on every push round (booking.go).
	Booking BookingSource
	// Clock tells the time for Status and for holding back rejected items;
	// the system clock if nil.
	Clock clock.Clock
	// Rand is the jitter source of the backoff; crypto/rand if nil.
	Rand io.Reader
	// Logger receives the uplink's logs; discarded if nil.
	Logger *slog.Logger
	// PageSize is the number of events asked for per inbox page:
	// 1..wire.MaxInboxLimit, DefaultPageSize if 0.
	PageSize int
	// PollInterval is how often the inbox is polled while the stream is
	// down (DefaultPollInterval if 0). While the stream is up, it is polled
	// every 10×PollInterval as a safety net.
	PollInterval time.Duration
	// PushInterval is how often the outbox is looked at without a Kick, as
	// a safety net; DefaultPushInterval if 0.
	PushInterval time.Duration
	// MaxBackoff caps the wait between retries and is how long a rejected
	// outbox item is held back; DefaultMaxBackoff if 0.
	MaxBackoff time.Duration
	// RequestTimeout bounds every HTTP request, body included;
	// DefaultRequestTimeout if 0.
	RequestTimeout time.Duration
	// Restored, when not nil, says the store was restored from a backup
	// and has not yet got back what the central store confirmed after it
	// (recover.go): the uplink does that after its first complete pull,
	// before it pushes anything. Cases must then be a Recoverer.
	Restored *Restored
	// SealingKeys, when not nil, holds the unit's sealing keys: at every
	// start the uplink checks that the central store publishes the
	// current one as this gateway signed it, and publishes it if not
	// (sealkey.go).
	SealingKeys SealingKeys
	// Sealing is the unit's sealing switch (central.sealing): after the
	// sealing key check the uplink asks the central store to seal the
	// unit's new events (true) or not (false), sealed.go. Sealed events
	// are opened whatever it says.
	Sealing bool
	// CentralKeyRefresh is how often the central store's sealing key
	// statement is fetched again (centralkeyrefresh.go), besides at once
	// when the store refuses an item as sealed to a key it does not hold;
	// DefaultCentralKeyRefresh if 0.
	CentralKeyRefresh time.Duration
	// Fault, when not nil, is called at each named point of the sync path
	// (the Fault* constants), from the goroutine that reached it. Tests
	// crash the process there to prove nothing is lost or duplicated
	// whichever step was the last (checklist FT2). Production leaves it nil.
	Fault func(FaultPoint)
}

// FaultPoint names a step of the sync path where a crash is tested.
type FaultPoint string

// The fault points, in the order a case passes them.
const (
	FaultReceived  FaultPoint = "received"  // an inbox page arrived, nothing stored yet
	FaultStored    FaultPoint = "stored"    // the page and its cursor are committed, not yet acknowledged
	FaultAcked     FaultPoint = "acked"     // the central store took the acknowledgement
	FaultPushed    FaultPoint = "pushed"    // the central store answered an outbox batch, the outbox not yet confirmed here
	FaultConfirmed FaultPoint = "confirmed" // the confirmed items left the outbox
	// FaultDiverged: a pull found the central store behind or diverged
	// (Status.Continuity is set), nothing reconciled yet.
	FaultDiverged FaultPoint = "diverged"
)

// FaultPoints lists every fault point.
// FaultDiverged is not among them: the kill tests never reach it.
var FaultPoints = []FaultPoint{FaultReceived, FaultStored, FaultAcked, FaultPushed, FaultConfirmed}

// fault calls the Fault hook, if any.
func (u *Uplink) fault(p FaultPoint) {
	if u.cfg.Fault != nil {
		u.cfg.Fault(p)
	}
}

// Status is the uplink's state, for metrics and the operators' status page.
// It carries no patient data.
type Status struct {
	Connected   bool      // the stream is up (its hello was received)
	Cursor      uint64    // the last central event applied here
	LastPull    time.Time // the last inbox page received and applied (zero: none yet)
	LastPush    time.Time // the last outbox batch the central store answered (zero: none yet)
	OutboxDepth int       // queued items the last push round saw (it reads at most wire.MaxOutboxItems plus the held-back ones)
	Rejected    int       // outbox items the central store rejected, held back now to be tried again
	// Conflicts counts the outbox items parked now: the central store
	// refused them as conflicts (their key or message id names other
	// content there), so they are not sent again while the uplink runs
	// (after a restart each is sent once more). They stay in the outbox;
	// their cases' later items wait behind them. A person must look.
	Conflicts int
	// ConflictCases are the cases of the parked items, sorted.
	ConflictCases []cases.ID
	// InboundConflicts counts the central events since start that named a
	// case or a message already applied here with other content: skipped
	// by the case service (ApplyReport.Conflicts), each logged there.
	InboundConflicts int
	LastError        string    // the most recent failure, "" if none yet: no patient data
	LastErrorAt      time.Time // when LastError happened
	// FormsPending says a form set (Config.Forms or the latest SetForms)
	// has not reached the central store yet.
	FormsPending bool
	// FormsPublishedAt is when the central store last took the unit's
	// forms (zero: not since start).
	FormsPublishedAt time.Time
	// FormsConflict says the central store refused the latest form set as
	// a conflict: a form in it changed without a raised version. It is not
	// published again until SetForms gives a new set.
	FormsConflict bool
	// ContactPending says contact details given by SetContact have not
	// reached the central store yet; ContactUnsupported says the central
	// store answered that it does not take them (an older release).
	ContactPending     bool
	ContactUnsupported bool
	// Continuity is ContinuityOK while the central store's event chain
	// goes on where this gateway stands; ContinuityBehind or
	// ContinuityDiverged from the pull that found it otherwise until a
	// reconciliation completes (continuity.go). Meanwhile nothing is
	// applied and nothing pushed.
	Continuity Continuity
	// ContinuitySince is when Continuity last changed from ContinuityOK.
	ContinuitySince time.Time
	// Reconciliations counts the reconciliations completed since start;
	// LastReconcile is the last one's outcome.
	Reconciliations int
	LastReconcile   ReconcileReport

	// RestorePending says the store was restored from a backup and has
	// not yet got back what the central store confirmed after it; nothing
	// is pushed meanwhile. LastRecover is what getting it back did.
	RestorePending bool
	LastRecover    RecoverReport

	// Reached says the last exchange with the central store got through:
	// the stream is up or gave a sign of life, or the last request got an
	// answer. LastContact is when the central store was last heard from
	// (zero: not since start). The staff's header badge shows them
	// (Contact).
	Reached     bool
	LastContact time.Time

	// Quarantined counts the central events since start the case service
	// could not apply and kept in its quarantine (ApplyReport.Quarantined,
	// conflicts included); the store's quarantine is the lasting count.
	Quarantined int

	// SealingKey is where the unit's sealing key stands at the central
	// store since the check at start (sealkey.go); SealingKeyID is the
	// key it publishes when SealingKeyPublished.
	SealingKey   SealingKeyState
	SealingKeyID string
	// SealingKeyRefusals counts the sealing key statements the central
	// store published for the unit since start that this gateway did not
	// sign: each refused and never sealed to.
	SealingKeyRefusals int
	// Sealing is where the unit's sealing switch stands at the central
	// store (sealed.go); SealedRefused counts sealed events that did not
	// open here (each quarantined).
	Sealing       SealingSwitchState
	SealedRefused int
	// OutboundSealing says how the outbox travels (outseal.go): sealed to
	// the central store's verified key, plain, or waiting (and why).
	OutboundSealing OutboundSealingState
	// The outbox items sent sealed and plain since start, those the
	// central store refused, and the central store's verified sealing
	// key id ("" before one is): outcount.go.
	OutboundSealedItems, OutboundPlainItems, OutboundRefusedItems int
	CentralKeyID                                                  string
}

// Uplink syncs one care unit's store with the central store. Make it with
// New and start it with Run; Kick and Status are safe to call at any time,
// from any goroutine.
type Uplink struct {
	out     outbound // outbound sealing (outseal.go)
	cfg     Config
	base    string // scheme://host[:port][/prefix], no trailing slash
	wsURL   string
	http    *http.Client
	conns   connSet // http's connections, closed when Run ends
	dialer  *websocket.Dialer
	log     *slog.Logger
	idle    time.Duration // the stream's read deadline: wire.StreamIdleTimeout
	bufs    bufPool       // pulled pages' body buffers (pagebuf.go)
	randMu  sync.Mutex
	running atomic.Bool
	// pausePush holds the push while the central store's event chain is
	// broken (continuity.go), until a reconciliation completes.
	pausePush atomic.Bool
	// recovering holds the push while the store, restored from a backup,
	// has not yet got back what the central store confirmed (recover.go).
	recovering atomic.Bool

	pullWake chan struct{}
	pushWake chan struct{}
	// sealRecheck asks the sealing key loop to check the publication
	// again (sealrecheck.go).
	sealRecheck chan struct{}
	// formsDue says the forms must be published: set on every connect of
	// the stream, and while they never were, on a failed one.
	formsDue       atomic.Bool
	formsPublished atomic.Bool
	// formsConflict is the generation of the form set the central store
	// refused as a conflict (0: none); it is not published again.
	formsConflict atomic.Uint64
	noServices    atomic.Bool // the central store answered 404 on wire.PathServices2

	// contact is the unit's contact details to publish with the forms
	// (contact.go); contactDue says they must be put, as formsDue.
	contact    contactState
	contactDue atomic.Bool
	// bookingNoOffer: the central store answered a booking path 404
	// and that was logged (booking.go); cleared by the next success.
	bookingNoOffer atomic.Bool
	// bookingDue: the free times must be published again.
	bookingDue atomic.Bool
	// bookingsNoOffer: the central store answered PUT
	// wire.PathBookingBookings2 404 and that was logged (bookingstate.go).
	bookingsNoOffer atomic.Bool
	// bookingsVer: the last version of the bookings state put (bookingversion.go).
	bookingsVer bookingsVersion

	formsMu   sync.Mutex
	forms     []byte // the form set to publish, marshalled; nil: none
	services  []byte // the service set to publish first, marshalled; nil: none
	formsN    int    // how many forms it has
	formsGen  uint64 // raised by every SetForms
	formsSent uint64 // the generation the central store last took

	wg sync.WaitGroup // Run's goroutines and their helpers

	opener openerCache // the unit's sealing keys for opening (sealed.go)
	epochs epochCache  // the sealing epochs' records (sealepochs.go)
	pre    preopened   // sealed events opened ahead by the prefetch (preopen.go)
	mark   markCache   // from where the central store seals (downgrade.go)

	mu   sync.Mutex
	st   Status
	held map[string]heldItem // rejected and parked outbox items by key; the push loop's own
}

// New checks cfg and returns an Uplink; it does not connect.
func New(cfg Config) (*Uplink, error) {
	if cfg.Cases == nil {
		return nil, errors.New("new uplink: no case service")
	}
	if cfg.TLS == nil {
		return nil, errors.New("new uplink: no TLS configuration; make one with tlsconf.Client")
	}
	if len(cfg.TLS.Certificates) == 0 && cfg.TLS.GetClientCertificate == nil {
		return nil, errors.New("new uplink: the TLS configuration has no client certificate, so the central store would refuse the unit; configure the unit's certificate")
	}
	if cfg.TLS.InsecureSkipVerify {
		return nil, errors.New("new uplink: the TLS configuration skips verifying the central store's certificate; use tlsconf.Client")
	}
	base, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("new uplink: %w", err)
	}
	switch {
	case cfg.PageSize < 0 || cfg.PageSize > wire.MaxInboxLimit:
		return nil, fmt.Errorf("new uplink: the page size must be between 1 and %d", wire.MaxInboxLimit)
	case cfg.PollInterval < 0, cfg.PushInterval < 0, cfg.MaxBackoff < 0, cfg.RequestTimeout < 0:
		return nil, errors.New("new uplink: intervals and timeouts must not be negative")
	}
	if cfg.PageSize == 0 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.PushInterval == 0 {
		cfg.PushInterval = DefaultPushInterval
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = DefaultMaxBackoff
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.CentralKeyRefresh <= 0 {
		cfg.CentralKeyRefresh = DefaultCentralKeyRefresh
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	u := &Uplink{
		cfg:      cfg,
		base:     base,
		wsURL:    "wss" + strings.TrimPrefix(base, "https") + wire.PathStream2,
		idle:     wire.StreamIdleTimeout,
		log:      cfg.Logger,
		pullWake: make(chan struct{}, 1),
		pushWake: make(chan struct{}, 1),
		held:     make(map[string]heldItem),
	}
	u.sealRecheck = make(chan struct{}, 1)
	if cfg.Restored != nil {
		if _, ok := cfg.Cases.(Recoverer); !ok || cfg.Restored.Done == nil {
			return nil, errors.New("new uplink: the store was restored, but the case service cannot put back confirmed items or record it done")
		}
		u.recovering.Store(true)
		u.st.RestorePending = true
	}
	if cfg.Forms != nil {
		if u.forms, err = wire.Marshal(*cfg.Forms); err != nil {
			return nil, fmt.Errorf("new uplink: the unit's forms cannot be published: %w", err)
		}
		u.formsN, u.formsGen = len(cfg.Forms.Forms), 1
		u.st.FormsPending = true
		if cfg.Services != nil {
			if u.services, err = wire.Marshal(*cfg.Services); err != nil {
				return nil, fmt.Errorf("new uplink: the unit's services cannot be published: %w", err)
			}
		}
	}
	tr := &http.Transport{
		TLSClientConfig:     cfg.TLS,
		DialContext:         u.conns.dial,
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		// A connection that went silent (a cut cable, a dropped NAT entry)
		// is noticed by an HTTP/2 ping instead of a request timeout; a
		// page comes in frames of full TLS records (tlsconf.HTTP2).
		HTTP2: tlsconf.HTTP2(&http.HTTP2Config{SendPingTimeout: 30 * time.Second, PingTimeout: 10 * time.Second}),
	}
	u.http = &http.Client{
		Transport: tr,
		// The API never redirects; following one would send the unit's
		// requests somewhere unchecked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	wsTLS := cfg.TLS.Clone()
	wsTLS.NextProtos = []string{"http/1.1"} // the websocket upgrade is HTTP/1.1
	u.dialer = &websocket.Dialer{
		TLSClientConfig:  wsTLS,
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
	}
	return u, nil
}

// parseBaseURL checks an https URL without query or fragment and returns it
// without a trailing slash.
func parseBaseURL(s string) (string, error) {
	if s == "" {
		return "", errors.New("no central store URL; set it to https://host:port")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("the central store URL cannot be parsed; set it to https://host:port")
	}
	switch {
	case u.Scheme != "https":
		return "", errors.New("the central store URL must start with https://")
	case u.Host == "" || u.User != nil:
		return "", errors.New("the central store URL must name a host (and no user)")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", errors.New("the central store URL must have no query or fragment")
	}
	return "https://" + u.Host + strings.TrimSuffix(u.EscapedPath(), "/"), nil
}

// Run syncs until ctx is cancelled, then waits for its goroutines and
// returns nil. It returns an error at once if the Uplink is already
// running or the stored cursor cannot be read.
func (u *Uplink) Run(ctx context.Context) error {
	if !u.running.CompareAndSwap(false, true) {
		return errors.New("uplink: already running")
	}
	defer u.running.Store(false)
	cursor, err := u.cfg.Cases.SyncCursor(ctx)
	if err != nil {
		return fmt.Errorf("uplink: read the sync cursor: %w", err)
	}
	u.mu.Lock()
	u.st.Cursor = cursor
	u.mu.Unlock()
	u.log.Info("uplink started", "cursor", cursor)
	// A new version may take what an older one quarantined.
	if rr, err := u.cfg.Cases.RetryQuarantine(ctx); err != nil {
		u.log.Error("retry of the quarantine failed", "err", err)
	} else if rr.Applied+rr.Remaining > 0 {
		u.log.Warn("quarantine retried at start", "applied", rr.Applied, "remaining", rr.Remaining)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if u.cfg.SealingKeys != nil {
		u.wg.Go(func() { u.sealingKeyLoop(ctx) })
	}
	u.wg.Add(3)
	go func() { defer u.wg.Done(); u.pullLoop(ctx) }()
	go func() { defer u.wg.Done(); u.pushLoop(ctx) }()
	go func() { defer u.wg.Done(); u.streamLoop(ctx) }()
	<-ctx.Done()
	u.wg.Wait()
	u.http.CloseIdleConnections()
	u.conns.closeAll()
	u.setConnected(false)
	u.log.Info("uplink stopped")
	return nil
}

// Kick tells the uplink that something was queued in the outbox, so that
// it pushes now. It never blocks.
func (u *Uplink) Kick() { wake(u.pushWake) }

// SetForms checks set by the sync protocol's rules and makes it the form
// set the uplink publishes: at once (the push loop is woken) and again
// after every reconnect of the stream, as Config.Forms. A set that breaks
// a rule is refused with a *wire.Problem and the previous set stays. It
// never blocks on the network; Status().FormsPending tells whether the
// central store has the set yet.
func (u *Uplink) SetForms(set wire.FormSet) error {
	b, err := wire.Marshal(set) // Marshal validates
	if err != nil {
		return fmt.Errorf("set forms: %w", err)
	}
	u.formsMu.Lock()
	u.forms, u.formsN, u.services = b, len(set.Forms), nil
	u.formsGen++
	u.formsMu.Unlock()
	u.mu.Lock()
	u.st.FormsPending, u.st.FormsConflict = true, false
	u.mu.Unlock()
	u.formsDue.Store(true)
	wake(u.pushWake)
	return nil
}

// SetServices is SetForms for the unit's catalogue: services is published
// on PUT wire.PathServices2, and legacy (the forms of the case types
// protocol v1 knows) on wire.PathForms2 to a central store that does not
// serve it. Either set breaking a rule is refused with a *wire.Problem
// and the previous sets stay.
func (u *Uplink) SetServices(services wire.ServiceSet, legacy wire.FormSet) error {
	sb, err := wire.Marshal(services)
	if err != nil {
		return fmt.Errorf("set services: %w", err)
	}
	fb, err := wire.Marshal(legacy)
	if err != nil {
		return fmt.Errorf("set services: %w", err)
	}
	u.formsMu.Lock()
	u.forms, u.formsN, u.services = fb, len(services.Services), sb
	u.formsGen++
	u.formsMu.Unlock()
	u.mu.Lock()
	u.st.FormsPending, u.st.FormsConflict = true, false
	u.mu.Unlock()
	u.formsDue.Store(true)
	wake(u.pushWake)
	return nil
}

// formsToPublish returns the marshalled form set (nil: none), its number
// of forms and its generation.
func (u *Uplink) formsToPublish() ([]byte, int, uint64) {
	u.formsMu.Lock()
	defer u.formsMu.Unlock()
	return u.forms, u.formsN, u.formsGen
}

// servicesToPublish returns the marshalled service set, nil when there is
// none or the central store does not serve wire.PathServices2.
func (u *Uplink) servicesToPublish() []byte {
	if u.noServices.Load() {
		return nil
	}
	u.formsMu.Lock()
	defer u.formsMu.Unlock()
	return u.services
}

// formsTaken records that the central store took generation gen.
func (u *Uplink) formsTaken(gen uint64) {
	u.formsMu.Lock()
	if gen > u.formsSent {
		u.formsSent = gen
	}
	pending := u.formsSent != u.formsGen
	u.formsMu.Unlock()
	u.mu.Lock()
	u.st.FormsPending, u.st.FormsPublishedAt = pending, u.cfg.Clock.Now()
	u.mu.Unlock()
}

// Status returns the uplink's current state.
func (u *Uplink) Status() Status {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// wake signals c without blocking; one pending signal is enough.
func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// fail records err as the last error.
func (u *Uplink) fail(err error) {
	u.mu.Lock()
	u.st.LastError, u.st.LastErrorAt = err.Error(), u.cfg.Clock.Now()
	u.mu.Unlock()
}

func (u *Uplink) setConnected(c bool) {
	u.mu.Lock()
	u.st.Connected = c
	u.mu.Unlock()
}

// Contact is the uplink's contact with the central store as staff see it
// in the header badge of every page. It carries no patient data.
type Contact struct {
	Reached bool      // the last exchange with the central store got through
	Last    time.Time // when the central store was last heard from; zero: not since start
	Waiting int       // changes in the outbox, waiting to be sent or confirmed (Status.OutboxDepth)
}

// Contact returns the contact with the central store: one lock and three
// numbers, cheap enough for every page render and a poll a second.
func (u *Uplink) Contact() Contact {
	u.mu.Lock()
	defer u.mu.Unlock()
	return Contact{Reached: u.st.Reached, Last: u.st.LastContact, Waiting: u.st.OutboxDepth}
}

// heard records whether an exchange with the central store got through:
// an answer to a request, or a message or ping on the stream.
func (u *Uplink) heard(ok bool) {
	now := u.cfg.Clock.Now()
	u.mu.Lock()
	u.st.Reached = ok
	if ok {
		u.st.LastContact = now
	}
	u.mu.Unlock()
}

func (u *Uplink) connected() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st.Connected
}

func (u *Uplink) cursor() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st.Cursor
}

// jitter returns a uniform number in [0, 1) from cfg.Rand; 1 (no jitter,
// the full wait) if it fails.
func (u *Uplink) jitter() float64 {
	var b [8]byte
	u.randMu.Lock()
	_, err := io.ReadFull(u.cfg.Rand, b[:])
	u.randMu.Unlock()
	if err != nil {
		return 1
	}
	return float64(binary.BigEndian.Uint64(b[:])>>11) / (1 << 53)
}

// retryWait is how long to wait after the attempt-th consecutive failure
// (0 for the first), at least what the server asked for in Retry-After.
func (u *Uplink) retryWait(attempt int, err error) time.Duration {
	d := backoff(attempt, u.cfg.MaxBackoff, u.jitter())
	var se *statusError
	if errors.As(err, &se) && se.retryAfter > d {
		d = min(se.retryAfter, u.cfg.MaxBackoff)
	}
	return d
}

// sleep waits for d, a wake on c (nil: none) or the end of ctx; it reports
// whether ctx is still alive.
func (u *Uplink) sleep(ctx context.Context, d time.Duration, c <-chan struct{}) bool {
	t := u.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-c:
	case <-t.C():
	}
	return true
}
