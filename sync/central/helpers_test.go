package central

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/logtest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
	"clinicgw/sync/wire/workday"
)

// The test units. unitC has a valid certificate from the same CA but is
// not served by the store.
const (
	unitA = "SE2321000016-AAAA"
	unitB = "SE2321000016-BBBB"
	unitC = "SE2321000016-CCCC"
)

// Synthetic people (test serials 980–999 only). The names are canaries
// that must never reach a log.
var (
	adultPNR  = string(personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981))
	adultName = "Tolvan Kanariesson"
	otherPNR  = string(personnummer.Synthetic(time.Date(1975, 1, 2, 0, 0, 0, 0, time.UTC), 982))
	childPNR  = string(personnummer.Synthetic(time.Date(2018, 7, 1, 0, 0, 0, 0, time.UTC), 983))
	childName = "Lilla Kanariesson"
	teenPNR   = string(personnummer.Synthetic(time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), 984))
)

// env is a store with its API served over real mutual TLS on loopback
// and its patient pages over HTTPS.
type env struct {
	t        *testing.T
	ctx      context.Context
	path     string
	clock    *clocktest.Fake
	logs     *logtest.Buffer
	notifier *MemNotifier
	store    *Store
	pki      *devpki.PKI
	server   tls.Certificate
	certs    map[string]tls.Certificate // unit → client certificate
	api      *httptest.Server           // verifies the unit in the handshake
	apiLoose *httptest.Server           // any certificate from the CA reaches the handler
	web      *httptest.Server
	opens    byte // seeds a fresh random stream per open
}

// pkiOnce makes one development PKI for the whole package: issuing is
// cheap, but there is no need to repeat it.
var (
	pkiOnce   sync.Once
	sharedPKI *devpki.PKI
	pkiErr    error
)

func newEnv(t *testing.T) *env {
	t.Helper()
	pkiOnce.Do(func() { sharedPKI, pkiErr = devpki.New(nil, time.Now()) })
	if pkiErr != nil {
		t.Fatal(pkiErr)
	}
	e := &env{
		t: t, ctx: context.Background(), path: filepath.Join(t.TempDir(), "central.db"),
		clock:    clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, workday.Stockholm())),
		logs:     &logtest.Buffer{},
		notifier: &MemNotifier{},
		pki:      sharedPKI,
		certs:    make(map[string]tls.Certificate),
	}
	var err error
	if e.server, err = e.pki.Server("127.0.0.1", "localhost"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{unitA, unitB, unitC} {
		if e.certs[u], err = e.pki.Unit(u, "Vårdcentral "+u[len(u)-4:]); err != nil {
			t.Fatal(err)
		}
	}
	e.open()
	t.Cleanup(func() { e.close() })
	return e
}

// open opens the store and starts the servers.
func (e *env) open() {
	t := e.t
	e.opens++
	var err error
	e.store, err = Open(e.ctx, e.path, Options{
		Clock:     e.clock,
		Rand:      rand.NewChaCha8([32]byte{e.opens}),
		Logger:    slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Units:     []string{unitA, unitB},
		UnitNames: map[string]string{unitA: "Vårdcentralen Aspen", unitB: "Vårdcentralen Björken"},
		Notifier:  e.notifier,
	})
	if err != nil {
		t.Fatal(err)
	}
	start := func(h http.Handler, cfg *tls.Config) *httptest.Server {
		srv := httptest.NewUnstartedServer(h)
		srv.TLS = cfg
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
		srv.EnableHTTP2 = true
		srv.StartTLS()
		return srv
	}
	e.api = start(e.store.APIHandler(), tlsconf.Server(e.server, e.pki.FunctionCAPool(), e.store.VerifyUnit))
	e.apiLoose = start(e.store.APIHandler(), tlsconf.Server(e.server, e.pki.FunctionCAPool(), nil))
	e.web = start(e.store.PatientHandler(), tlsconf.ServerNoClientCert(e.server))
}

func (e *env) close() {
	if e.store == nil {
		return
	}
	e.api.Close()
	e.apiLoose.Close()
	e.web.Close()
	if err := e.store.Close(); err != nil {
		e.t.Error(err)
	}
	e.store = nil
}

// reopen closes the store and opens the same file again.
func (e *env) reopen() {
	e.close()
	e.open()
}

// client returns an HTTP client presenting unit's certificate.
func (e *env) client(unit string) *http.Client {
	cfg := tlsconf.Client(e.certs[unit], e.pki.RootPool(), "127.0.0.1", nil)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}, Timeout: 10 * time.Second}
}

// do sends a request to srv with unit's certificate and returns the
// status, content type and body.
func (e *env) do(srv *httptest.Server, unit, method, path, contentType string, body []byte) (int, string, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.client(unit).Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// inbox fetches a page of unit's inbox.
func (e *env) inbox(unit string, after uint64, limit int) wire.InboxPage {
	e.t.Helper()
	q := wire.InboxQuery{After: after, Limit: limit}
	status, _, body := e.do(e.api, unit, http.MethodGet, wire.PathInbox+"?"+q.Encode(), "", nil)
	if status != http.StatusOK {
		e.t.Fatalf("inbox: %d %s", status, body)
	}
	page, err := wire.DecodeInboxPage(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("inbox page: %v", err)
	}
	if err := page.Follows(q); err != nil {
		e.t.Fatalf("inbox page does not follow the query: %v", err)
	}
	// The page is served from the events' stored encodings: it must be
	// exactly what wire.Marshal writes for it.
	if canon, err := wire.Marshal(page); err != nil || !bytes.Equal(body, canon) {
		e.t.Fatalf("inbox page is not in canonical encoding (%v):\n got %s\nwant %s", err, body, canon)
	}
	return page
}

// ack acknowledges a cursor and returns the status.
func (e *env) ack(unit string, cursor uint64) int {
	e.t.Helper()
	status, _, _ := e.do(e.api, unit, http.MethodPost, wire.PathInboxAck, wire.ContentTypeJSON, fmt.Appendf(nil, `{"cursor":%d}`, cursor))
	return status
}

// outbox posts a batch and returns the results.
func (e *env) outbox(unit string, items ...wire.OutboxItem) wire.OutboxResult {
	e.t.Helper()
	batch := wire.OutboxBatch{Items: items}
	b, err := wire.Marshal(batch)
	if err != nil {
		e.t.Fatal(err)
	}
	status, _, body := e.do(e.api, unit, http.MethodPost, wire.PathOutbox, wire.ContentTypeJSON, b)
	if status != http.StatusOK {
		e.t.Fatalf("outbox: %d %s", status, body)
	}
	res, err := wire.DecodeOutboxResult(bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := res.Matches(batch); err != nil {
		e.t.Fatal(err)
	}
	return res
}

// submit writes a case for the adult on unit's advice-nurse form.
func (e *env) submit(unit, text string) string {
	e.t.Helper()
	id, err := e.store.Submit(e.ctx, unit, Submission{
		PatientPNR: adultPNR, PatientName: adultName, FormID: string(casetype.AdviceNurse),
		Fields: []wire.Field{{Name: "question", Value: "Ont i halsen"}}, Text: text,
	})
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return id
}

// answer is a staff answer outbox item.
func answer(key, caseID, text string) wire.OutboxItem {
	return wire.OutboxItem{IdempotencyKey: key, CaseID: caseID, Kind: wire.OutboxAnswer,
		At:      time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Message: &wire.StaffMessage{ID: "m-" + key, Text: text, Signature: "Doris Doktor, leg. läkare", AuthorTitle: "Läkare"}}
}

// dump renders every bucket and key of the store's file, for comparing
// state before and after a refused request.
func (e *env) dump() string {
	e.t.Helper()
	var lines []string
	var walk func(prefix string, b *bolt.Bucket) error
	walk = func(prefix string, b *bolt.Bucket) error {
		lines = append(lines, fmt.Sprintf("%s seq=%d", prefix, b.Sequence()))
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return walk(prefix+"/"+hex.EncodeToString(k), b.Bucket(k))
			}
			lines = append(lines, prefix+"/"+hex.EncodeToString(k)+"="+hex.EncodeToString(v))
			return nil
		})
	}
	err := e.store.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk(string(name), b) })
	})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// checkLogs fails if the logs hold any of the canaries (patient data).
func (e *env) checkLogs(canaries ...string) {
	e.t.Helper()
	logs := e.logs.String()
	if logs == "" {
		e.t.Error("nothing was logged; the canary check proves nothing")
	}
	for _, c := range append(canaries, adultPNR, adultPNR[2:], adultName, childPNR, childName) {
		if strings.Contains(logs, c) {
			e.t.Errorf("the logs contain patient data %q", c)
		}
	}
}
