package wire

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Body is a value Marshal and WriteJSON send: one of the protocol's body
// types (InboxPage, Ack, OutboxBatch, OutboxResult, FormSet, StreamMessage,
// Problem) or a part of one.
type Body interface {
	Validate() error
}

// limitOf returns the byte limit of a body of v's type.
func limitOf(v Body) int64 {
	switch v.(type) {
	case Ack, *Ack:
		return MaxAckBytes
	case StreamMessage, *StreamMessage:
		return MaxStreamMessageBytes
	case Problem, *Problem:
		return MaxProblemBytes
	case Event, *Event:
		return MaxEventBytes
	case UnitContact, *UnitContact:
		return MaxContactBytes
	}
	return MaxBodyBytes
}

// Marshal validates v and returns its canonical encoding: compact JSON in
// UTF-8, members in the order of the Go type, no HTML escaping, timestamps
// in RFC 3339 with the value's own offset, and a final newline. It refuses
// an invalid value and one whose encoding is over the body's limit (e.g. a
// FormSet too large to publish at once), so neither end ever sends what
// the other must refuse.
func Marshal(v Body) ([]byte, error) {
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("wire: marshal %T: %w", v, err)
	}
	b, err := encode(v)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal %T: %w", v, err)
	}
	if limit := limitOf(v); int64(len(b)) > limit {
		return nil, fmt.Errorf("wire: marshal %T: %w", v, BodyTooLarge(limit))
	}
	return b, nil
}

// encode writes v as Marshal does, without the checks.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSON writes v as a success response with the given status:
// Content-Type application/json, Cache-Control no-store (bodies carry
// patient data), nosniff. If v does not Marshal, it writes Internal
// instead and returns the error for the server's log.
func WriteJSON(w http.ResponseWriter, status int, v Body) error {
	b, err := Marshal(v)
	if err != nil {
		WriteProblem(w, *Internal())
		return err
	}
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("wire: write response: %w", err)
	}
	return nil
}

// CheckContentType checks that a request body is declared as
// application/json, with no parameter but an optional charset=utf-8. A
// server calls it before decoding; the error is UnsupportedMediaType.
func CheckContentType(h http.Header) error {
	vs := h.Values("Content-Type")
	if len(vs) != 1 {
		return UnsupportedMediaType()
	}
	mt, params, err := mime.ParseMediaType(vs[0])
	if err != nil || mt != ContentTypeJSON {
		return UnsupportedMediaType()
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return UnsupportedMediaType()
		}
	}
	return nil
}

// Digest returns a SHA-256 over the item's content: its key, case, kind,
// time (as an instant: the same moment written with another offset has the
// same digest), message or status, and the case of a case.initiated item.
// A server keeps it per idempotency
// key: an item with a known key and the same digest is a duplicate; with
// another digest it is rejected.
func (it OutboxItem) Digest() [sha256.Size]byte {
	h := sha256.New()
	put := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	put("clinicgw/sync/wire outbox item v1")
	put(it.IdempotencyKey)
	put(it.CaseID)
	put(string(it.Kind))
	put(it.At.UTC().Format(time.RFC3339Nano))
	if m := it.Message; m != nil {
		put("message")
		put(m.ID)
		put(m.Text)
		put(m.Signature)
		put(m.AuthorTitle)
	} else {
		put("no message")
	}
	put(string(it.Status))
	// Only a case.initiated item has a case: the digests of the other kinds
	// are as before it existed.
	if c := it.Case; c != nil {
		put("case")
		put(c.Type)
		put(c.PatientPNR)
		put(c.PatientName)
		put(c.Subject)
		put(strconv.FormatBool(c.ReplyAllowed))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// MessageDigest returns a SHA-256 over what a message id names in a case:
// the case id, the kind of the item that carried the message, the
// message's id, text, signature and author title, and the item's time (as
// an instant, as in Digest). A message id names one message for ever: a
// server that holds a message under the id in the case answers a later
// item (under any idempotency key) that carries the id with another digest
// as a conflict and applies nothing of it, and one with the same digest
// as a duplicate.
func MessageDigest(caseID string, kind OutboxKind, at time.Time, m StaffMessage) [sha256.Size]byte {
	h := sha256.New()
	put := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	put("clinicgw/sync/wire message v1")
	put(caseID)
	put(string(kind))
	put(at.UTC().Format(time.RFC3339Nano))
	put(m.ID)
	put(m.Text)
	put(m.Signature)
	put(m.AuthorTitle)
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// Digest returns a SHA-256 over the form's canonical encoding (as Marshal
// writes it). A form's ID and Version name its content for ever: a server
// that has published a form answers a set that carries the same ID and
// Version with another digest as a conflict and keeps what it has.
func (f Form) Digest() [sha256.Size]byte {
	b, _ := encode(f) // a Form always encodes
	return sha256.Sum256(b)
}

// EncodeEvent encodes ev as an inbox page carries it: compact JSON,
// members in the order of the Go type, no HTML escaping, no final
// newline. The gateway's sync journal rebuilds an event with it and keeps
// the rebuilt form only where it is the central store's bytes exactly.
func EncodeEvent(ev Event) ([]byte, error) {
	b, err := encode(ev)
	return bytes.TrimSuffix(b, []byte("\n")), err
}
