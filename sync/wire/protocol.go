package wire

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"clinicgw/sync/wire/caseid"
)

// Version is the protocol version; it is the first segment of every path.
const Version = "v1"

// The paths of the endpoints. Requests for paths under PathPrefix that are
// not listed here get NotFound; paths under another version get
// UnsupportedVersion.
const (
	PathPrefix   = "/" + Version + "/"
	PathInbox    = "/" + Version + "/inbox"     // GET: a page of events after a cursor
	PathInboxAck = "/" + Version + "/inbox/ack" // POST Ack: events up to a cursor are stored
	PathOutbox   = "/" + Version + "/outbox"    // POST OutboxBatch: answers and status changes
	PathForms    = "/" + Version + "/forms"     // PUT or GET FormSet: the unit's published forms
	PathStream   = "/" + Version + "/stream"    // GET websocket: StreamMessage notices of new events
)

// paths lists every endpoint path, for the tests that keep openapi.json in
// step with this package.
var paths = append([]string{PathInbox, PathInboxAck, PathOutbox, PathForms, PathStream}, paths2...)

// Media types of bodies.
const (
	ContentTypeJSON    = "application/json"         // every request and success body
	ContentTypeProblem = "application/problem+json" // every error body (RFC 9457)
)

// Limits on bodies, in bytes of the encoded body. Decoders refuse a larger
// body with a 413 problem before parsing it; Marshal refuses to produce one.
const (
	// MaxBodyBytes bounds an InboxPage, OutboxBatch, OutboxResult or
	// FormSet. It holds MaxOutboxItems items of the largest size with room
	// to spare; a server fills an InboxPage only while it stays within this
	// (and sets More), and a single event always fits (MaxEventBytes).
	MaxBodyBytes = 8 << 20
	// MaxEventBytes bounds one encoded Event, even with every non-ASCII
	// character written as a \u escape; a page always has room for one.
	MaxEventBytes = 2 << 20
	// MaxAckBytes bounds an Ack.
	MaxAckBytes = 64 << 10
	// MaxStreamMessageBytes bounds one StreamMessage; it is also the read
	// limit the gateway sets on the websocket.
	MaxStreamMessageBytes = 4 << 10
	// MaxProblemBytes bounds a problem+json body.
	MaxProblemBytes = 64 << 10
)

// Limits on counts and lengths. Lengths of text are in characters (Unicode
// code points, as JSON Schema's maxLength counts them), not bytes.
const (
	// DefaultInboxLimit is the page size when the inbox request names none.
	DefaultInboxLimit = 100
	// MaxInboxLimit is the largest page size a request may ask for and the
	// most events an InboxPage may hold.
	MaxInboxLimit = 500
	// MaxOutboxItems is the most items in one OutboxBatch (and results in
	// one OutboxResult).
	MaxOutboxItems = 100
	// MaxSeq is the largest event sequence number and cursor: 2^53−1, so
	// that every implementation's JSON numbers hold it exactly.
	MaxSeq = 1<<53 - 1
	// MaxTextLen bounds the text of a message or of a new case.
	MaxTextLen = 10000
	// MaxFields is the most form answers a new case may carry.
	MaxFields = 50
	// MaxFieldValueLen bounds one form answer.
	MaxFieldValueLen = 2000
	// MaxNameLen bounds a patient's or guardian's name.
	MaxNameLen = 200
	// MaxLabelLen bounds single-line display text: a field's label, a
	// form's title, an option's label, a staff member's title.
	MaxLabelLen = 200
	// MaxHelpLen bounds a form's introduction and a field's help text.
	MaxHelpLen = 2000
	// MaxSignatureLen bounds a clinician's personal signature.
	MaxSignatureLen = 1000
	// MaxForms is the most forms a unit may publish.
	MaxForms = 50
	// MaxFormFields is the most fields on one form.
	MaxFormFields = 60
	// MaxOptions is the most options of one select or radio field.
	MaxOptions = 50
	// MaxFormVersion is the largest form version number.
	MaxFormVersion = 1<<31 - 1
	// MaxIDLen bounds identifiers: event and message ids, idempotency keys,
	// form (case type) ids, field names and option values.
	MaxIDLen = 64
	// CaseIDLen is the length of a case id (sync/wire/caseid).
	CaseIDLen = caseid.Len
	// PNRLen is the length of a personnummer on the wire: YYYYMMDDNNNC.
	PNRLen = 12
	// MaxProblemTitleLen bounds a problem's title.
	MaxProblemTitleLen = 200
	// MaxProblemDetailLen bounds a problem's detail.
	MaxProblemDetailLen = 2000
	// MaxURILen bounds a problem's type and instance URI references.
	MaxURILen = 2048
)

// The websocket stream's timing.
const (
	// StreamPingInterval is how often the server pings the gateway on the
	// stream.
	StreamPingInterval = 15 * time.Second
	// StreamIdleTimeout is how long the gateway waits without a ping or a
	// message before it drops the stream and reconnects (falling back to
	// polling meanwhile).
	StreamIdleTimeout = 2*StreamPingInterval + 5*time.Second
)

// Query parameters of PathInbox.
const (
	QueryAfter = "after" // the cursor: events with a larger seq are wanted
	QueryLimit = "limit" // the most events wanted, 1..MaxInboxLimit
)

// InboxQuery is the query of GET PathInbox.
type InboxQuery struct {
	// After is the cursor: the seq of the last event the gateway has stored
	// (0 before the first). The page holds events with larger seqs.
	After uint64
	// Limit is the most events wanted, 1..MaxInboxLimit; 0 in a value
	// passed to Encode means DefaultInboxLimit.
	Limit int
}

// ParseInboxQuery parses and checks the query of an inbox request. Both
// parameters are optional (after defaults to 0, limit to DefaultInboxLimit);
// each may appear once, as plain decimal digits; any other parameter is
// refused. Errors are *Problem (400) and do not repeat the query.
func ParseInboxQuery(q url.Values) (InboxQuery, error) {
	iq := InboxQuery{Limit: DefaultInboxLimit}
	for k, vs := range q {
		switch k {
		case QueryAfter, QueryLimit:
		default:
			return InboxQuery{}, BadRequest("The inbox query has an unknown parameter; only after and limit are allowed.")
		}
		if len(vs) != 1 {
			return InboxQuery{}, BadRequest(fmt.Sprintf("The inbox query parameter %s must appear once.", k))
		}
		v := vs[0]
		if !allDigits(v) || len(v) > 20 {
			return InboxQuery{}, BadRequest(fmt.Sprintf("The inbox query parameter %s must be a whole number written in digits.", k))
		}
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case k == QueryAfter && (err != nil || n > MaxSeq):
			return InboxQuery{}, BadRequest(fmt.Sprintf("The inbox query parameter after must be between 0 and %d.", uint64(MaxSeq)))
		case k == QueryAfter:
			iq.After = n
		case err != nil || n < 1 || n > MaxInboxLimit:
			return InboxQuery{}, BadRequest(fmt.Sprintf("The inbox query parameter limit must be between 1 and %d.", MaxInboxLimit))
		default:
			iq.Limit = int(n)
		}
	}
	return iq, nil
}

// Encode returns the query string for q, without the "?", with both
// parameters written out; a zero Limit is written as DefaultInboxLimit.
func (q InboxQuery) Encode() string {
	limit := q.Limit
	if limit == 0 {
		limit = DefaultInboxLimit
	}
	return QueryAfter + "=" + strconv.FormatUint(q.After, 10) + "&" + QueryLimit + "=" + strconv.Itoa(limit)
}

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
