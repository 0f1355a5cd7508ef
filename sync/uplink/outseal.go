package uplink

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/wire"
)

// Outbound sealing (issue 22, item 4). With central.sealing on, the
// uplink fetches the central store's sealing key (GET
// wire.PathCentralSealingKey2) before it pushes, and verifies its
// statement against the central CA it pins (Config.TLS.RootCAs) for the
// host it dials (seal.VerifyCentralStatement) — never against the TLS
// peer's certificate, which a TLS-terminating proxy replaces. It then
// seals each outbox item (the whole wire.OutboxItem: the staff message,
// the status, the initiated case with the patient's name and
// personnummer) to that key, bound to the unit, the item's idempotency
// key and its kind (seal.OutboxContext), and posts them to
// wire.PathOutboxSealed2. A statement the central CA's certificate did
// not sign for its key is refused: logged with the key ids only, counted
// in Status.SealingKeyRefusals (the same metric as the unit key's), never
// sealed to, and the items wait.
//
// No downgrade: the first time the uplink seals to a verified central key
// it records so in the gateway's store (OutboundMark), before it sends.
// From then on, a central store that answers 404 (an older release, or
// whatever answers in its name) or publishes no key gets no plain items:
// they wait in the outbox, durable, the push fails with
// errOutboundWaiting and Status.OutboundSealing says OutboundWaiting.
// Before the mark, a central store of the previous release (404) gets
// plain items at wire.PathOutbox2, as before (OutboundPlain). With
// central.sealing off the uplink posts plain and lifts the mark.

// OutboundMark is where the gateway keeps the outbound mark (*store.DB);
// the uplink uses it when Config.SealingKeys is one, else it keeps the
// mark in memory only.
type OutboundMark interface {
	OutboundSealedTo(ctx context.Context) (keyID string, on bool, err error)
	SetOutboundSealedTo(ctx context.Context, keyID string) error
	ClearOutboundSealedTo(ctx context.Context) error
}

// OutboundSealingState says how the outbox travels.
type OutboundSealingState string

// The states of outbound sealing.
const (
	OutboundOff     OutboundSealingState = ""        // central.sealing off, or nothing pushed yet
	OutboundSealed  OutboundSealingState = "sealed"  // items sealed to the central store's verified key
	OutboundPlain   OutboundSealingState = "plain"   // the central store predates outbound sealing (404), never sealed to: plain
	OutboundWaiting OutboundSealingState = "waiting" // sealed before; the central store now offers no key: the items wait
	OutboundRefused OutboundSealingState = "refused" // the central store publishes a key its CA's certificate did not sign: the items wait
)

// errOutboundWaiting: the items wait rather than go plain.
var errOutboundWaiting = errors.New("outbox items wait: they were sealed to the central store's key before, and it offers no key now (an older release, or something else answering in its name); nothing is sent plain")

// errCentralKeyRefused: the central key's statement did not verify.
var errCentralKeyRefused = errors.New("outbox items wait: the central store publishes a sealing key that no central store certificate of the pinned CA signed")

// errCentralKeyNone: the central store serves no key (404 or none).
var errCentralKeyNone = errors.New("the central store publishes no sealing key")

// outbound is the uplink's outbound sealing state.
type outbound struct {
	mu       sync.Mutex
	key      *seal.PublicKey // the verified central key, nil until fetched
	unit     string
	loaded   bool // mark read from the store
	marked   bool
	lifted   bool // the mark was lifted (sealing off) in this run
	memMark  bool
	memKeyID string
	// fetched: when the key's statement was last fetched; newest: the
	// latest statement verified in this run (centralkeyrefresh.go).
	fetched      time.Time
	newest       wire.CentralSealingKeyStatement
	newestLoaded bool // newest read from the store (CentralKeyMark)
}

// postOutboxSealed posts batch sealed when central.sealing is on; sent
// is false when the batch is to go plain (sealing off, or a central store
// of the previous release never sealed to).
func (u *Uplink) postOutboxSealed(ctx context.Context, batch wire.OutboxBatch2) (res wire.OutboxResult, sent bool, err error) {
	if !u.cfg.Sealing {
		u.liftOutboundMark(ctx)
		return wire.OutboxResult{}, false, nil
	}
	key, err := u.centralKey(ctx)
	if errors.Is(err, errCentralKeyNone) || errors.Is(err, errCentralKeyRefused) {
		marked, merr := u.outboundMarked(ctx)
		switch {
		case merr != nil:
			return wire.OutboxResult{}, true, merr
		case errors.Is(err, errCentralKeyRefused):
			u.setOutbound(OutboundRefused)
			return wire.OutboxResult{}, true, err
		case marked:
			u.setOutbound(OutboundWaiting)
			return wire.OutboxResult{}, true, errOutboundWaiting
		}
		u.setOutbound(OutboundPlain)
		return wire.OutboxResult{}, false, nil
	}
	if err != nil {
		return wire.OutboxResult{}, true, err
	}
	u.out.mu.Lock()
	unit := u.out.unit
	u.out.mu.Unlock()
	res, err = u.sealAndPost(ctx, key, unit, batch)
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		u.forgetCentralKey()
		u.setOutbound(OutboundWaiting)
		return wire.OutboxResult{}, true, errOutboundWaiting
	}
	u.countOutbound(true, len(batch.Items), res, err)
	if err != nil {
		return wire.OutboxResult{}, true, err
	}
	u.setOutbound(OutboundSealed)
	if res, err = u.resealRefused(ctx, key, unit, batch, res); err != nil {
		return wire.OutboxResult{}, true, err
	}
	for _, r := range res.Results {
		if r.Status == wire.ItemRejected {
			u.forgetCentralKey() // a key changed at the central store: fetch it again for the next try
			break
		}
	}
	return res, true, nil
}

// sealAndPost seals batch's items to key and posts them.
func (u *Uplink) sealAndPost(ctx context.Context, key *seal.PublicKey, unit string, batch wire.OutboxBatch2) (res wire.OutboxResult, err error) {
	sb := wire.SealedOutboxBatch2{Items: make([]wire.SealedOutboxItem, len(batch.Items)), Staff: batch.Staff}
	for i, it := range batch.Items {
		pt, err := wire.SealedItemContent(it)
		if err != nil {
			return wire.OutboxResult{}, fmt.Errorf("outbox: %w", err)
		}
		env, err := seal.Seal(key, seal.OutboxContext(unit, it.IdempotencyKey, it.Kind), pt)
		if err != nil {
			return wire.OutboxResult{}, fmt.Errorf("outbox: %w", err)
		}
		sb.Items[i] = wire.SealedOutboxItem{IdempotencyKey: it.IdempotencyKey, CaseID: it.CaseID, Kind: it.Kind,
			Sealed: base64.StdEncoding.EncodeToString(env)}
	}
	if err := u.markOutbound(ctx, key.ID().String()); err != nil {
		return wire.OutboxResult{}, err
	}
	b, err := wire.Marshal(sb)
	if err != nil {
		return wire.OutboxResult{}, fmt.Errorf("outbox: %w", err)
	}
	err = u.roundTrip(ctx, "outbox", http.MethodPost, wire.PathOutboxSealed2, "", b, func(r io.Reader) error {
		x, err := wire.DecodeOutboxResult(r)
		if err != nil {
			return err
		}
		if err := x.Matches(sb.Keys()); err != nil {
			return err
		}
		res = x
		return nil
	})
	return res, err
}

// centralKey returns the central store's verified key, fetching it if
// not yet held.
func (u *Uplink) centralKey(ctx context.Context) (*seal.PublicKey, error) {
	u.out.mu.Lock()
	key, due := u.out.key, u.centralKeyDue()
	u.out.mu.Unlock()
	if key != nil && !due {
		return key, nil
	}
	_, _, unit, err := u.unitSigner()
	if err != nil {
		return nil, err
	}
	var published wire.PublishedCentralSealingKey
	err = u.roundTrip(ctx, "central-sealing-key", http.MethodGet, wire.PathCentralSealingKey2, "", nil, func(r io.Reader) error {
		var err error
		published, err = wire.DecodePublishedCentralSealingKey(r)
		return err
	})
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		u.setCentralKeyID("")
		return nil, errCentralKeyNone
	}
	if err != nil {
		return nil, err
	}
	if len(published.Statements) == 0 {
		u.setCentralKeyID("")
		return nil, errCentralKeyNone
	}
	st := published.Statements[0]
	key, err = seal.VerifyCentralStatement(st, u.cfg.TLS.RootCAs, u.centralName(), u.cfg.Clock.Now())
	if err != nil {
		u.setSealingKey("", "", true)
		u.setCentralKeyID("")
		u.log.Error("the central store publishes a sealing key of its own that no central store certificate of the pinned CA signed; refused, not sealed to",
			"centralKeyId", st.KeyID, "err", err)
		return nil, errCentralKeyRefused
	}
	if held, err := u.refuseOlderCentralKey(ctx, st, key); held != nil || err != nil {
		return held, err
	}
	u.out.mu.Lock()
	if err := u.keptCentralKey(ctx, st); err != nil {
		u.out.mu.Unlock()
		return nil, err
	}
	if u.out.key == nil || u.out.key.ID() != key.ID() {
		u.log.Info("the central store's sealing key verified; outbox items are sealed to it", "centralKeyId", key.ID().String())
	}
	u.out.key, u.out.unit = key, unit
	u.out.mu.Unlock()
	u.setCentralKeyID(key.ID().String())
	return key, nil
}

// centralName is the name the central store's certificate must have: the
// TLS configuration's ServerName, else the host of BaseURL.
func (u *Uplink) centralName() string {
	if u.cfg.TLS.ServerName != "" {
		return u.cfg.TLS.ServerName
	}
	if p, err := url.Parse(u.base); err == nil {
		if h, _, err := net.SplitHostPort(p.Host); err == nil {
			return h
		}
		return p.Host
	}
	return ""
}

func (u *Uplink) forgetCentralKey() {
	u.out.mu.Lock()
	u.out.key = nil
	u.out.mu.Unlock()
}

func (u *Uplink) setOutbound(s OutboundSealingState) {
	u.mu.Lock()
	u.st.OutboundSealing = s
	u.mu.Unlock()
}

// outboundMarked reports whether the gateway ever sealed outbound.
func (u *Uplink) outboundMarked(ctx context.Context) (bool, error) {
	o := &u.out
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := u.cfg.SealingKeys.(OutboundMark)
	if !ok {
		return o.memMark, nil
	}
	if !o.loaded {
		_, on, err := m.OutboundSealedTo(ctx)
		if err != nil {
			return false, fmt.Errorf("read the outbound sealing mark: %w", err)
		}
		o.loaded, o.marked = true, on
	}
	return o.marked, nil
}

// markOutbound records, durably and before anything is sent sealed, that
// the gateway seals outbound.
func (u *Uplink) markOutbound(ctx context.Context, keyID string) error {
	marked, err := u.outboundMarked(ctx)
	if err != nil || marked {
		return err
	}
	o := &u.out
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := u.cfg.SealingKeys.(OutboundMark)
	if !ok {
		o.memMark, o.memKeyID = true, keyID
		return nil
	}
	if err := m.SetOutboundSealedTo(ctx, keyID); err != nil {
		return fmt.Errorf("keep the outbound sealing mark: %w", err)
	}
	o.marked = true
	u.log.Info("outbox items are sealed to the central store from now on; they never go plain again while central.sealing is on", "centralKeyId", keyID)
	return nil
}

// liftOutboundMark clears the mark once per run: the unit switched
// sealing off.
func (u *Uplink) liftOutboundMark(ctx context.Context) {
	o := &u.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.lifted {
		return
	}
	o.memMark = false
	if m, ok := u.cfg.SealingKeys.(OutboundMark); ok {
		if err := m.ClearOutboundSealedTo(ctx); err != nil {
			u.log.Error("the outbound sealing mark cannot be cleared", "err", err)
			return
		}
		o.loaded, o.marked = true, false
	}
	o.lifted = true
}
