package uplink

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"clinicgw/sync/seal"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// At every start the uplink checks what the central store publishes as
// the unit's sealing key (GET wire.PathSealingKey2) against the unit's own
// certificate and key ring (seal.VerifyStatement, then the key id against
// the current key's). A statement this gateway did not sign for its
// current key — another certificate's, a key swapped under the signature,
// a key id that is not the key's — is refused: logged as an error with
// the key ids only, counted (Status.SealingKeyRefusals, the metric), never
// trusted; the uplink then publishes its own statement (PUT, signed with
// the key of the client certificate) and checks again. A statement it
// signed for an older key is replaced the same way. If the check after
// publishing still shows another key, Status.SealingKey is
// SealingKeyRefused until the next start. A central store of the previous
// release answers 404: the publication is skipped with one log line
// (SealingKeyUnsupported) and the sync goes on as before. A network
// failure is retried with the uplink's backoff; nothing else waits for
// the check. Once settled it runs again when asked (sealrecheck.go).

// SealingKeys is the store of the unit's sealing keys, as the uplink uses
// it (*store.DB).
type SealingKeys interface {
	// CurrentSealingPublicKey returns the key the central store is to
	// seal to and when it was made (the statement's not-before).
	CurrentSealingPublicKey(ctx context.Context) (*seal.PublicKey, time.Time, error)
}

// SealingKeyState says where the unit's sealing key stands at the central
// store.
type SealingKeyState string

// The states of the sealing key's publication.
const (
	SealingKeyUnchecked   SealingKeyState = ""            // not checked yet, or no Config.SealingKey
	SealingKeyPublished   SealingKeyState = "published"   // the central store publishes the current key as signed here
	SealingKeyUnsupported SealingKeyState = "unsupported" // the central store predates sealing keys (404)
	SealingKeyRefused     SealingKeyState = "refused"     // it publishes a key this gateway did not sign, even after publishing
)

// errSealingUnsupported: the central store answered 404.
var errSealingUnsupported = errors.New("the central store does not serve sealing keys")

// sealingKeyLoop checks (and if need be publishes) the sealing key until
// that is settled or ctx ends.
func (u *Uplink) sealingKeyLoop(ctx context.Context) {
	if !u.cfg.Sealing {
		if err := u.liftSealedMark(ctx); err != nil {
			u.log.Error("the gateway's sealing mark cannot be cleared; plain cases after it stay refused", "err", err)
		}
	}
	for attempt := 0; ; attempt++ {
		err := u.checkSealingKey(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil { // settled: until asked again (sealrecheck.go)
			if !u.awaitSealRecheck(ctx) {
				return
			}
			attempt = -1
			continue
		}
		d := u.retryWait(attempt, err)
		u.log.Info("sealing key check failed; trying again", "err", err, "retryIn", d)
		if !u.sleep(ctx, d, nil) {
			return
		}
	}
}

// checkSealingKey runs one check; an error means try again.
func (u *Uplink) checkSealingKey(ctx context.Context) error {
	pub, created, err := u.cfg.SealingKeys.CurrentSealingPublicKey(ctx)
	if err != nil {
		u.log.Error("the unit's sealing key cannot be read; not published", "err", err)
		return nil
	}
	signer, leaf, unit, err := u.unitSigner()
	if err != nil {
		u.log.Error("the unit's sealing key cannot be signed; not published", "err", err)
		return nil
	}
	want := pub.ID().String()
	published, err := u.getSealingKey(ctx)
	if errors.Is(err, errSealingUnsupported) {
		return u.sealingUnsupported(ctx)
	}
	if err != nil {
		return err
	}
	if u.trusted(published, leaf, unit, pub) {
		u.setSealingKey(SealingKeyPublished, want, false)
		u.log.Debug("the central store publishes the unit's sealing key", "keyId", want)
		return u.switchSealing(ctx, want)
	}
	st, err := seal.SignStatement(signer, leaf, unit, pub, created, rand.Reader) // the signature's randomness is crypto/rand's, never Config.Rand (the jitter's)
	if err != nil {
		u.log.Error("the unit's sealing key cannot be signed; not published", "err", err)
		return nil
	}
	b, err := wire.Marshal(st)
	if err != nil {
		u.log.Error("the unit's sealing key statement is not valid; not published", "err", err)
		return nil
	}
	err = u.roundTrip(ctx, "sealing-key", http.MethodPut, wire.PathSealingKey2, "", b, nil)
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		return u.sealingUnsupported(ctx)
	}
	if err != nil {
		return err
	}
	if published, err = u.getSealingKey(ctx); err != nil {
		return err
	}
	if !u.trusted(published, leaf, unit, pub) {
		u.setSealingKey(SealingKeyRefused, "", false)
		u.log.Error("the central store does not publish the sealing key this gateway just published; nothing is sealed to what it publishes", "keyId", want)
		return nil
	}
	u.setSealingKey(SealingKeyPublished, want, false)
	u.log.Info("sealing key published to the central store", "keyId", want)
	return u.switchSealing(ctx, want)
}

// trusted reports whether published is the unit's statement of its
// current key pub, signed with leaf. A statement of pub itself under
// another signature (a certificate renewed since) is not trusted, to be
// signed again, but not refused: it swaps nothing. Any other statement
// that leaf did not sign for the unit is refused and counted.
func (u *Uplink) trusted(published []wire.SealingKeyStatement, leaf *x509.Certificate, unit string, pub *seal.PublicKey) bool {
	if len(published) == 0 {
		return false
	}
	st := published[0]
	want := pub.ID().String()
	_, verr := seal.VerifyStatement(st, leaf, unit)
	raw, _, _, derr := st.Decoded()
	ours := derr == nil && bytes.Equal(raw, pub.Bytes()) && st.KeyID == want && st.Unit == unit
	switch {
	case ours && verr == nil:
		return true
	case ours:
		u.log.Info("the central store publishes the unit's sealing key under another signature (a renewed certificate?): signing it again", "keyId", want)
		return false
	case verr == nil:
		return false // the unit's own statement of an older key: publish the current one
	}
	u.setSealingKey("", "", true)
	var actual string // the id of the key itself, whatever the statement says
	if derr == nil {
		actual = seal.KeyIDOf(raw).String()
	}
	u.log.Error("the central store publishes a sealing key for this unit that this gateway did not sign; refused, not sealed to",
		"publishedKeyId", st.KeyID, "publishedKeyOwnId", actual, "keyId", want, "err", verr)
	return false
}

// sealingUnsupported records a central store without sealing keys.
func (u *Uplink) sealingUnsupported(ctx context.Context) error {
	u.setSealingKey(SealingKeyUnsupported, "", false)
	if u.warnDowngrade(ctx) {
		return nil
	}
	u.log.Info("the central store does not serve sealing keys (an older release): sealing key publication skipped")
	return nil
}

// setSealingKey sets the state (unless empty) and key id, and counts a
// refusal.
func (u *Uplink) setSealingKey(state SealingKeyState, id string, refused bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state != "" {
		u.st.SealingKey, u.st.SealingKeyID = state, id
	}
	if refused {
		u.st.SealingKeyRefusals++
	}
}

// getSealingKey fetches what the central store publishes for the unit.
func (u *Uplink) getSealingKey(ctx context.Context) ([]wire.SealingKeyStatement, error) {
	var out []wire.SealingKeyStatement
	err := u.roundTrip(ctx, "sealing-key", http.MethodGet, wire.PathSealingKey2, "", nil, func(r io.Reader) error {
		p, err := wire.DecodePublishedSealingKey(r)
		out = p.Statements
		return err
	})
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		return nil, errSealingUnsupported
	}
	return out, err
}

// unitSigner returns the key and certificate of the unit's client
// certificate, and the unit it names.
func (u *Uplink) unitSigner() (crypto.Signer, *x509.Certificate, string, error) {
	if len(u.cfg.TLS.Certificates) == 0 || len(u.cfg.TLS.Certificates[0].Certificate) == 0 {
		return nil, nil, "", errors.New("the TLS configuration has no client certificate of its own to sign with")
	}
	c := u.cfg.TLS.Certificates[0]
	signer, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, "", fmt.Errorf("the client certificate's key (%T) cannot sign", c.PrivateKey)
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, nil, "", fmt.Errorf("the client certificate: %w", err)
		}
	}
	unit, err := tlsconf.HSAID(leaf)
	if err != nil {
		return nil, nil, "", fmt.Errorf("the client certificate: %w", err)
	}
	return signer, leaf, unit, nil
}
