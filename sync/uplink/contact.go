package uplink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"clinicgw/sync/wire"
)

// The unit's contact details (wire.PathContact2) go with its forms: the
// push publishes them when SetContact gave new ones and again after every
// (re)connect of the stream, right after the forms. A central store of the
// release before answers 404: the details then stay unpublished
// (Status.ContactUnsupported) until the next connect, and the forms are
// published as ever — it never gets a body it would refuse.

// contactState is the contact details to publish; the push loop and
// SetContact share it.
type contactState struct {
	mu   sync.Mutex
	body []byte // marshalled wire.UnitContact; nil: none set, nothing published
	gen  uint64 // raised by every SetContact
	sent uint64 // the generation the central store last took
}

// SetContact checks c by the sync protocol's rules and makes it the
// contact details the uplink publishes: at once (the push loop is woken)
// and again after every reconnect of the stream. Details that break a
// rule are refused with a *wire.Problem and the previous ones stay. An
// empty UnitContact is published too: it removes what the central store
// shows. Status().ContactPending tells whether the central store has them.
func (u *Uplink) SetContact(c wire.UnitContact) error {
	b, err := wire.Marshal(c) // Marshal validates
	if err != nil {
		return fmt.Errorf("set contact details: %w", err)
	}
	u.contact.mu.Lock()
	u.contact.body = b
	u.contact.gen++
	u.contact.mu.Unlock()
	u.mu.Lock()
	u.st.ContactPending, u.st.ContactUnsupported = true, false
	u.mu.Unlock()
	u.contactDue.Store(true)
	wake(u.pushWake)
	return nil
}

// publishContact puts the contact details if they are due. A 404 says the
// central store does not know the endpoint: no error, nothing retried
// until the next connect.
func (u *Uplink) publishContact(ctx context.Context) error {
	u.contact.mu.Lock()
	body, gen := u.contact.body, u.contact.gen
	u.contact.mu.Unlock()
	if body == nil || !u.contactDue.Swap(false) {
		return nil
	}
	err := u.roundTrip(ctx, "contact", http.MethodPut, wire.PathContact2, "", body, nil)
	var se *statusError
	switch {
	case errors.As(err, &se) && se.status == http.StatusNotFound:
		u.mu.Lock()
		u.st.ContactUnsupported = true
		u.mu.Unlock()
		u.log.Warn("the central store does not take contact details (an older release); not shown to patients until it does")
		return nil
	case err != nil:
		u.contactDue.Store(true)
		return err
	}
	u.contact.mu.Lock()
	if gen > u.contact.sent {
		u.contact.sent = gen
	}
	pending := u.contact.sent != u.contact.gen
	u.contact.mu.Unlock()
	u.mu.Lock()
	u.st.ContactPending, u.st.ContactUnsupported = pending, false
	u.mu.Unlock()
	u.log.Info("contact details published")
	return nil
}
