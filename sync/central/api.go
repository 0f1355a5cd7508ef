package central

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
)

// VerifyUnit is the check to pass to tlsconf.Server for the API: the
// verified client certificate must name, in its subject serialNumber, one
// of the care units the store serves. It runs inside the handshake, so a
// stranger's connection fails before any request.
func (s *Store) VerifyUnit(cert *x509.Certificate) error {
	id, err := tlsconf.HSAID(cert)
	if err != nil {
		return err
	}
	if !s.unitSet[id] {
		return fmt.Errorf("care unit %s is not served by this central store", id)
	}
	return nil
}

// APILimits are the sync API server's limits (tlsconf.NewHTTPServer): a
// minute for a body of up to wire.MaxBodyBytes and for an inbox page as
// large; the rest are tlsconf.DefaultLimits.
var APILimits = tlsconf.Limits{Body: time.Minute, Write: time.Minute}

// APIHandler returns the handler of the sync protocol's endpoints
// (sync/wire). Serve it over TLS with tlsconf.Server(serverCert,
// unitCAPool, s.VerifyUnit): the care unit is taken from the verified
// client certificate only. A request without one gets 401, a unit the
// store does not serve 403.
func (s *Store) APIHandler() http.Handler {
	return http.HandlerFunc(s.serveAPI)
}

// unitOf returns the care unit of the request's verified client
// certificate.
func (s *Store) unitOf(r *http.Request) (string, *wire.Problem) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		p := *wire.Unauthorized()
		return "", &p
	}
	id, err := tlsconf.HSAID(r.TLS.VerifiedChains[0][0])
	if err != nil {
		return "", wire.Forbidden("The client certificate names no care unit (no HSA-ID in its subject serialNumber).")
	}
	if !s.unitSet[id] {
		return "", wire.Forbidden("The client certificate's care unit is not served by this central store.")
	}
	return id, nil
}

func (s *Store) serveAPI(w http.ResponseWriter, r *http.Request) {
	unit, p := s.unitOf(r)
	if p != nil {
		s.log.Warn("sync request refused", "status", p.Status, "unit", unit)
		wire.WriteProblem(w, *p)
		return
	}
	type route struct {
		allow   string
		methods map[string]func(http.ResponseWriter, *http.Request, string)
	}
	var rt route
	switch r.URL.Path {
	case wire.PathInbox:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveInbox}}
	case wire.PathInbox2:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveInboxV2}}
	case wire.PathInboxAck, wire.PathInboxAck2:
		rt = route{"POST", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPost: s.serveAck}}
	case wire.PathOutbox, wire.PathOutbox2:
		rt = route{"POST", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPost: s.serveOutbox}}
	case wire.PathForms, wire.PathForms2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetForms, http.MethodPut: s.servePutForms}}
	case wire.PathStream, wire.PathStream2:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveStream}}
	case wire.PathConfirmed2:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveConfirmed}}
	case wire.PathServices2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetServices, http.MethodPut: s.servePutServices}}
	case wire.PathQuarantine2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetQuarantine, http.MethodPut: s.servePutQuarantine}}
	case wire.PathSealingKey2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetSealingKey, http.MethodPut: s.servePutSealingKey}}
	case wire.PathCentralSealingKey2:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveGetCentralSealingKey}}
	case wire.PathOutboxSealed2:
		rt = route{"POST", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPost: s.serveOutboxSealed}}
	case wire.PathSealing2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetSealing, http.MethodPut: s.servePutSealing}}
	case wire.PathContact2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetContact, http.MethodPut: s.servePutContact}}
	case wire.PathBookingTimes2:
		rt = route{"PUT", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPut: s.servePutBookingTimes}}
	case wire.PathBookingRequests2:
		rt = route{"GET", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodGet: s.serveBookingRequests}}
	case wire.PathBookingDecisions2:
		rt = route{"POST", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPost: s.servePostBookingDecisions}}
	case wire.PathBookingBookings2:
		rt = route{"PUT", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPut: s.servePutBookingBookings}}
	case wire.PathBookingBookingsSealed2:
		rt = route{"PUT", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPut: s.servePutBookingBookingsSealed}}
	case wire.PathSealingEpochs2:
		rt = route{"GET, PUT", map[string]func(http.ResponseWriter, *http.Request, string){
			http.MethodGet: s.serveGetSealingEpoch, http.MethodPut: s.servePutSealingEpoch}}
	case wire.PathReconcile2:
		rt = route{"POST", map[string]func(http.ResponseWriter, *http.Request, string){http.MethodPost: s.serveReconcile}}
	default:
		if otherVersion(r.URL.Path) {
			wire.WriteProblem(w, *wire.UnsupportedVersion())
			return
		}
		wire.WriteProblem(w, *wire.NotFound("There is no such endpoint in the sync protocol."))
		return
	}
	h := rt.methods[r.Method]
	if h == nil {
		w.Header().Set("Allow", rt.allow)
		wire.WriteProblem(w, *wire.MethodNotAllowed())
		return
	}
	h(w, r, unit)
}

// otherVersion reports whether path starts with a version segment ("/v"
// and digits) that is not one of wire.Versions.
func otherVersion(path string) bool {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if len(seg) < 2 || seg[0] != 'v' || slices.Contains(wire.Versions, seg) {
		return false
	}
	for i := 1; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// writeError answers with the problem in err, logging what is not one.
func (s *Store) writeError(w http.ResponseWriter, op, unit string, err error) {
	p, ok := errors.AsType[*wire.Problem](err)
	if !ok {
		s.log.Error("sync request failed", "op", op, "unit", unit, "err", err)
		p = wire.Internal()
	} else {
		s.log.Info("sync request refused", "op", op, "unit", unit, "status", p.Status, "problem", p.Type)
	}
	wire.WriteProblem(w, *p)
}

// serveInbox answers GET wire.PathInbox: the unit's events after the
// cursor, at most limit, and never more bytes than a page may hold.
//
// The page is written from the events' stored encodings, verbatim: each
// was validated and encoded by wire.Marshal when it was appended, and the
// page around them is what wire.Marshal would write for it (the central
// tests hold every page served to that), so serving a page neither decodes
// nor re-encodes an event.
func (s *Store) serveInbox(w http.ResponseWriter, r *http.Request, unit string) {
	s.serveInboxOf(w, r, unit, false)
}

// serveInboxV2 answers GET wire.PathInbox2: serveInbox's page with the
// chain (wire.ChainedPage).
func (s *Store) serveInboxV2(w http.ResponseWriter, r *http.Request, unit string) {
	s.serveInboxOf(w, r, unit, true)
}

// serveInboxOf answers an inbox request, with the chain if chained.
func (s *Store) serveInboxOf(w http.ResponseWriter, r *http.Request, unit string, chained bool) {
	q, err := wire.ParseInboxQuery(r.URL.Query())
	if err != nil {
		s.writeError(w, "inbox", unit, err)
		return
	}
	var body []byte
	var n int
	var cursor uint64
	pb := getPageBuf()
	defer putPageBuf(pb) // once body is written (inboxbuf.go)
	err = s.db.View(func(tx *bolt.Tx) error {
		body, n, cursor, err = s.inboxPage(tx, unit, q, chained, pb)
		return err
	})
	if err != nil {
		s.writeError(w, "inbox", unit, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", wire.ContentTypeJSON)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		s.log.Error("inbox response", "unit", unit, "err", fmt.Errorf("write response: %w", err))
		return
	}
	s.log.Debug("inbox served", "unit", unit, "events", n, "cursor", cursor)
}

// decode checks the content type, then decodes the body with a wire
// decoder within limit bytes.
func decode[T any](w http.ResponseWriter, r *http.Request, limit int64, dec func(io.Reader) (T, error)) (T, error) {
	if err := wire.CheckContentType(r.Header); err != nil {
		var zero T
		return zero, err
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return dec(r.Body)
}

// serveAck answers POST wire.PathInboxAck: the gateway has stored the
// events up to the cursor. An ack at or behind the recorded one changes
// nothing; one beyond the unit's last event is a conflict.
func (s *Store) serveAck(w http.ResponseWriter, r *http.Request, unit string) {
	ack, err := decode(w, r, wire.MaxAckBytes, wire.DecodeAck)
	if err != nil {
		s.writeError(w, "ack", unit, err)
		return
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		if ack.Cursor > ub.Bucket([]byte(bucketEvents)).Sequence() {
			return wire.Conflict("The cursor is beyond the last event this store has delivered to the care unit.")
		}
		if ack.Cursor <= ackedOf(ub) {
			return nil
		}
		return ub.Put([]byte(keyAcked), seqKey(ack.Cursor))
	})
	if err != nil {
		s.writeError(w, "ack", unit, err)
		return
	}
	s.log.Debug("inbox acknowledged", "unit", unit, "cursor", ack.Cursor)
	noContent(w)
}

// serveGetForms answers GET wire.PathForms with the unit's published forms
// (an empty set if it has published none).
func (s *Store) serveGetForms(w http.ResponseWriter, r *http.Request, unit string) {
	var set wire.FormSet
	err := s.db.View(func(tx *bolt.Tx) error {
		v := unitBucket(tx, unit).Get([]byte(keyForms))
		if v == nil {
			set.Forms = []wire.Form{}
			return nil
		}
		return json.Unmarshal(v, &set)
	})
	if err != nil {
		s.writeError(w, "forms", unit, err)
		return
	}
	if err := wire.WriteJSON(w, http.StatusOK, set); err != nil {
		s.log.Error("forms response", "unit", unit, "err", err)
	}
}

// servePutForms answers PUT wire.PathForms: the set replaces the unit's
// published forms, unless it changes a published form without raising its
// version (409: see keepsVersions).
func (s *Store) servePutForms(w http.ResponseWriter, r *http.Request, unit string) {
	set, err := decode(w, r, wire.MaxBodyBytes, wire.DecodeFormSet)
	if err != nil {
		s.writeError(w, "forms", unit, err)
		return
	}
	b, err := wire.Marshal(set)
	if err != nil {
		s.writeError(w, "forms", unit, err)
		return
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		ub := unitBucket(tx, unit)
		if err := keepsVersions(ub.Get([]byte(keyForms)), set); err != nil {
			return err
		}
		if err := ub.Delete([]byte(keyServices)); err != nil { // its rules no longer match the forms
			return err
		}
		return ub.Put([]byte(keyForms), b)
	})
	if err != nil {
		s.writeError(w, "forms", unit, err)
		return
	}
	s.log.Info("forms published", "unit", unit, "forms", len(set.Forms))
	noContent(w)
}

// keepsVersions refuses set with a conflict if one of its forms has the id
// and version of a form in the published set (its stored encoding, nil if
// none) but other content (wire.Form.Digest).
func keepsVersions(published []byte, set wire.FormSet) error {
	if published == nil {
		return nil
	}
	var old wire.FormSet
	if err := json.Unmarshal(published, &old); err != nil {
		return fmt.Errorf("read published forms: %w", err)
	}
	for _, f := range set.Forms {
		for _, o := range old.Forms {
			if o.ID == f.ID && o.Version == f.Version && o.Digest() != f.Digest() {
				return wire.Conflict("A form was published before under the same id and version with other content; raise the form's version on every change.")
			}
		}
	}
	return nil
}

func noContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
