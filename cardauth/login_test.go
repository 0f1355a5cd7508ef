package cardauth

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock"
	"clinicgw/sync/clock/clocktest"
	"clinicgw/sync/tlsconf"
)

const origin = "https://gw.vardcentralen.example:8443"

// chainChecker checks a certificate's chain to the dev PKI's person CA and
// returns its HSA-ID: a stand-in for cardauth/siths in these tests.
type chainChecker struct {
	p     *devpki.PKI
	clock clock.Clock
}

func (c chainChecker) CheckAuthCert(_ context.Context, leaf *x509.Certificate) (string, error) {
	_, err := leaf.Verify(x509.VerifyOptions{Roots: c.p.RootPool(), Intermediates: c.p.PersonCAPool(),
		CurrentTime: c.clock.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return "", err
	}
	return tlsconf.HSAID(leaf)
}

// staffDir is a directory of staff with a commission; others have none.
type staffDir map[string]Staff

var errNoCommission = errors.New("no active commission for this unit")

func (d staffDir) Staff(hsaID string, _ time.Time) (Staff, error) {
	s, ok := d[hsaID]
	if !ok {
		return Staff{}, errNoCommission
	}
	return s, nil
}

// card is a member of staff's card: certificate and key.
type card struct {
	hsaID string
	cert  *x509.Certificate
	key   crypto.Signer
}

type fixture struct {
	p     *devpki.PKI
	clock *clocktest.Fake
	a     *Authenticator
	logs  *bytes.Buffer
	mu    sync.Mutex
	ended []EndReason
	ends  chan EndReason  // each end's reason too, for waitEnd
	cards map[string]card // by key algorithm
}

var pkiOnce = sync.OnceValues(func() (*devpki.PKI, error) {
	return devpki.New(nil, time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
})

func newFixture(t testing.TB) *fixture {
	t.Helper()
	p, err := pkiOnce()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{p: p, clock: clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), logs: &bytes.Buffer{}, cards: map[string]card{}, ends: make(chan EndReason, 100)}
	dir := staffDir{}
	for i, alg := range []string{devpki.KeyRSA2048, devpki.KeyECDSAP256, devpki.KeyECDSAP384} {
		hsa := fmt.Sprintf("SE2321000016-K00%d", i+1)
		cert, key, err := p.Person(hsa, "Kanarie", fmt.Sprintf("Kortsson%d", i), alg)
		if err != nil {
			t.Fatal(err)
		}
		f.cards[alg] = card{hsa, cert, key}
		dir[hsa] = Staff{HSAID: hsa, Name: "Kanarie Kortsson", Title: "Sjuksköterska", Roles: []string{"clinician"}}
	}
	cert, key, err := p.Person("SE2321000016-X999", "Utan", "Uppdrag", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	f.cards["nocommission"] = card{"SE2321000016-X999", cert, key}
	f.a, err = New(Config{Origin: origin, Certs: chainChecker{p, f.clock}, Staff: dir, Clock: f.clock,
		Logger: slog.New(slog.NewJSONHandler(f.logs, nil)),
		OnEnd: func(_ Session, r EndReason) {
			f.mu.Lock()
			f.ended = append(f.ended, r)
			f.mu.Unlock()
			select {
			case f.ends <- r:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// waitEnd waits until a session has ended and been reported (OnEnd runs
// after Done closes) and returns why.
func (f *fixture) waitEnd(t testing.TB) EndReason {
	t.Helper()
	select {
	case r := <-f.ends:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no session ended within 10 s")
		return ""
	}
}

func (f *fixture) endReasons() []EndReason {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]EndReason(nil), f.ended...)
}

// answer is what a card's bridge sends back for nonce.
func answer(t testing.TB, c card, origin, nonce string, pss bool) []byte {
	t.Helper()
	tok, err := NewAuthToken(c.key, c.cert, origin, nonce, "clinicgw-test 1", pss)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) login(t testing.TB, c card, binding string, pss bool) (Session, error) {
	t.Helper()
	nonce, _, err := f.a.Challenge(binding)
	if err != nil {
		t.Fatal(err)
	}
	return f.a.Login(context.Background(), binding, answer(t, c, origin, nonce, pss), "")
}

func TestLoginEachKeyType(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		alg string
		pss bool
	}{{devpki.KeyRSA2048, false}, {devpki.KeyRSA2048, true}, {devpki.KeyECDSAP256, false}, {devpki.KeyECDSAP384, false}} {
		c := f.cards[tc.alg]
		s, err := f.login(t, c, "browser-1", tc.pss)
		if err != nil {
			t.Fatalf("%s pss=%v: %v", tc.alg, tc.pss, err)
		}
		if s.Staff.HSAID != c.hsaID || len(s.ID) < 43 || s.Card == "" || !slices.Contains(s.Staff.Roles, "clinician") {
			t.Errorf("%s: session %+v", tc.alg, s)
		}
		if got, err := f.a.Session(s.ID); err != nil || got.ID != s.ID {
			t.Errorf("%s: Session(%s) = %v", tc.alg, s.ID, err)
		}
	}
	if !strings.Contains(f.logs.String(), `"msg":"login"`) {
		t.Error("a login was not logged")
	}
}

// TestReplaysRefused (AU1): 1000 attempts each with a reused nonce, the
// nonce of another browser, another origin, an expired nonce and a
// signature from another card: none accepted.
func TestReplaysRefused(t *testing.T) {
	f := newFixture(t)
	c, other := f.cards[devpki.KeyECDSAP256], f.cards[devpki.KeyECDSAP384]
	const n = 1000
	attacks := []struct {
		name string
		step string
		try  func() error
	}{
		{"reused nonce", "challenge", func() func() error {
			nonce, _, _ := f.a.Challenge("victim")
			tok := answer(t, c, origin, nonce, false)
			if _, err := f.a.Login(context.Background(), "victim", tok, ""); err != nil {
				t.Fatal(err)
			}
			return func() error { _, err := f.a.Login(context.Background(), "victim", tok, ""); return err }
		}()},
		{"another browser's nonce", "challenge", func() error {
			nonce, _, _ := f.a.Challenge("victim")
			_, err := f.a.Login(context.Background(), "attacker", answer(t, c, origin, nonce, false), "")
			return err
		}},
		{"another origin", "signature", func() error {
			nonce, _, _ := f.a.Challenge("b")
			_, err := f.a.Login(context.Background(), "b", answer(t, c, "https://evil.example", nonce, false), "")
			return err
		}},
		{"expired nonce", "challenge", func() error {
			nonce, _, _ := f.a.Challenge("b")
			f.clock.Advance(ChallengeTTL)
			_, err := f.a.Login(context.Background(), "b", answer(t, c, origin, nonce, false), "")
			return err
		}},
		{"signature from another card", "signature", func() error {
			nonce, _, _ := f.a.Challenge("b")
			var tok AuthToken
			json.Unmarshal(answer(t, other, origin, nonce, false), &tok)
			var mine AuthToken
			json.Unmarshal(answer(t, c, origin, nonce, false), &mine)
			tok.UnverifiedCertificate = mine.UnverifiedCertificate // c's certificate, other's signature
			b, _ := json.Marshal(tok)
			_, err := f.a.Login(context.Background(), "b", b, "")
			return err
		}},
	}
	before := f.a.Sessions()
	for _, at := range attacks {
		accepted := 0
		for range n {
			err := at.try()
			var le *LoginError
			if err == nil {
				accepted++
			} else if !errors.As(err, &le) || le.Step != at.step {
				t.Fatalf("%s: %v, want a refusal at %s", at.name, err, at.step)
			}
		}
		if accepted != 0 {
			t.Errorf("%s: %d of %d accepted", at.name, accepted, n)
		}
	}
	if f.a.Sessions() != before {
		t.Errorf("refused logins made sessions")
	}
}

func TestLoginRefusals(t *testing.T) {
	f := newFixture(t)
	expired, key, err := f.p.Person("SE2321000016-K777", "Gammal", "Kort", devpki.KeyECDSAP256,
		devpki.Validity(f.clock.Now().Add(-48*time.Hour), f.clock.Now().Add(-time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token func(nonce string) []byte
		step  string
		sv    string
	}{
		{"no commission", func(n string) []byte { return answer(t, f.cards["nocommission"], origin, n, false) }, "commission", "uppdrag"},
		{"expired certificate", func(n string) []byte { return answer(t, card{"", expired, key}, origin, n, false) }, "certificate", "certifikat"},
		{"not JSON", func(string) []byte { return []byte("{") }, "token", "Kortets svar"},
		{"unknown member", func(n string) []byte {
			return bytes.Replace(answer(t, f.cards[devpki.KeyECDSAP256], origin, n, false), []byte(`{`), []byte(`{"x":1,`), 1)
		}, "token", "Kortets svar"},
		{"wrong algorithm for the key", func(n string) []byte {
			return bytes.Replace(answer(t, f.cards[devpki.KeyECDSAP256], origin, n, false), []byte(`"ES256"`), []byte(`"RS256"`), 1)
		}, "signature", "Kortets svar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nonce, _, _ := f.a.Challenge("b")
			_, err := f.a.Login(context.Background(), "b", tc.token(nonce), "")
			var le *LoginError
			if !errors.As(err, &le) || le.Step != tc.step || !strings.Contains(le.Swedish(), tc.sv) {
				t.Fatalf("Login = %v, want a refusal at %s saying %q", err, tc.step, tc.sv)
			}
		})
	}
	// A good login, and a challenge used twice.
	if _, err := f.login(t, f.cards[devpki.KeyECDSAP256], "ok", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.Login(context.Background(), "ok", []byte("{}"), ""); err == nil {
		t.Fatal("a used challenge was accepted")
	}
	want := LoginCounts{Succeeded: 1, Refused: map[string]uint64{"challenge": 1, "token": 2, "signature": 1, "certificate": 1, "commission": 1}}
	if got := f.a.LoginCounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("login counts %+v, want %+v", got, want)
	}
	if !strings.Contains(f.logs.String(), `"msg":"login refused"`) || !strings.Contains(f.logs.String(), "SE2321000016-X999") {
		t.Errorf("refusals not logged with the HSA-ID:\n%s", f.logs)
	}
	if strings.Contains(f.logs.String(), "Kanarie") || strings.Contains(f.logs.String(), "Kortsson") {
		t.Error("a name reached the log")
	}
}

// TestSessionLimits (AU2): exact to the second with a fake clock.
func TestSessionLimits(t *testing.T) {
	f := newFixture(t)
	s, err := f.login(t, f.cards[devpki.KeyECDSAP256], "b", false)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(IdleTimeout - time.Second) // 14:59 idle
	if _, err := f.a.Session(s.ID); err != nil {
		t.Fatalf("14:59 idle: %v", err)
	}
	f.clock.Advance(IdleTimeout + time.Second) // 15:01 idle
	if _, err := f.a.Session(s.ID); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("15:01 idle: %v, want expired", err)
	}
	select {
	case <-s.Done:
	default:
		t.Error("an expired session's Done is open")
	}
	if _, err := f.a.Session(s.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("after expiry: %v", err)
	}

	// Absolute: busy all day, refused at 12 h + 1 s.
	s, err = f.login(t, f.cards[devpki.KeyECDSAP256], "b", false)
	if err != nil {
		t.Fatal(err)
	}
	for elapsed := time.Duration(0); elapsed < AbsoluteTimeout-10*time.Minute; elapsed += 10 * time.Minute {
		f.clock.Advance(10 * time.Minute)
		if _, err := f.a.Session(s.ID); err != nil {
			t.Fatalf("active at %v: %v", elapsed, err)
		}
	}
	f.clock.Advance(10*time.Minute - time.Second) // 11:59:59 after login
	if _, err := f.a.Session(s.ID); err != nil {
		t.Fatalf("12 h - 1 s: %v", err)
	}
	f.clock.Advance(2 * time.Second) // 12 h + 1 s
	if _, err := f.a.Session(s.ID); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("12 h + 1 s: %v, want expired", err)
	}
	if ended := f.endReasons(); ended[len(ended)-1] != EndAbsolute || ended[0] != EndIdle {
		t.Errorf("end reasons %v", ended)
	}

	// Sweep ends an abandoned session without a request.
	s, _ = f.login(t, f.cards[devpki.KeyECDSAP256], "b", false)
	f.clock.Advance(IdleTimeout)
	if n := f.a.Sweep(); n != 1 {
		t.Errorf("Sweep ended %d", n)
	}
	select {
	case <-s.Done:
	default:
		t.Error("swept session's Done is open")
	}
}

// TestPeekDoesNotKeepAlive: what a page does by itself (Peek) does not
// count as use, so an idle session still ends at 15 minutes.
func TestPeekDoesNotKeepAlive(t *testing.T) {
	f := newFixture(t)
	s, err := f.login(t, f.cards[devpki.KeyECDSAP256], "b", false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 14; i++ {
		f.clock.Advance(time.Minute)
		if _, err := f.a.Peek(s.ID); err != nil {
			t.Fatalf("peek after %d min: %v", i+1, err)
		}
	}
	f.clock.Advance(time.Minute)
	if _, err := f.a.Peek(s.ID); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("peek at 15 min idle: %v, want expired", err)
	}
}

// TestSessionRotationAndEnds (AU4, AU3, AU6): a new id at every login, the
// old one ended; card removal and a revoked commission end the sessions.
func TestSessionRotationAndEnds(t *testing.T) {
	f := newFixture(t)
	c := f.cards[devpki.KeyRSA2048]
	first, err := f.login(t, c, "b", false)
	if err != nil {
		t.Fatal(err)
	}
	nonce, _, _ := f.a.Challenge("b")
	second, err := f.a.Login(context.Background(), "b", answer(t, c, origin, nonce, false), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID {
		t.Fatal("the session id was not rotated at login")
	}
	if _, err := f.a.Session(first.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("the old session survives a new login: %v", err)
	}
	other, _ := f.login(t, f.cards[devpki.KeyECDSAP256], "b2", false)
	if n := f.a.CardRemoved(second.Card, EndCardGone); n != 1 {
		t.Errorf("card removal ended %d sessions", n)
	}
	select {
	case <-second.Done:
	default:
		t.Error("card removal left Done open")
	}
	if _, err := f.a.Session(other.ID); err != nil {
		t.Errorf("another card's session ended too: %v", err)
	}
	if n := f.a.EndStaff(f.cards[devpki.KeyECDSAP256].hsaID, EndRevoked); n != 1 {
		t.Errorf("EndStaff ended %d", n)
	}
	// A commission that ends without anyone calling EndStaff ends the
	// session at its next request.
	third, err := f.login(t, f.cards[devpki.KeyECDSAP384], "b3", false)
	if err != nil {
		t.Fatal(err)
	}
	delete(f.a.staff.(staffDir), f.cards[devpki.KeyECDSAP384].hsaID)
	if _, err := f.a.Session(third.ID); !errors.Is(err, ErrAccessRevoked) {
		t.Errorf("a session outlived its commission: %v", err)
	}
	f.a.Logout("unknown")
	if f.a.Sessions() != 0 {
		t.Errorf("%d sessions left", f.a.Sessions())
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, o := range []string{"http://gw", "https://gw/path", "gw:8443", "https://gw?x=1", ""} {
		if _, err := New(Config{Origin: o, Certs: chainChecker{}, Staff: staffDir{}}); err == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
	if _, err := New(Config{Origin: origin}); err == nil {
		t.Error("no checker accepted")
	}
}

func FuzzParseAuthToken(f *testing.F) {
	p, err := pkiOnce()
	if err != nil {
		f.Fatal(err)
	}
	cert, key, err := p.Person("SE2321000016-F001", "Fuzz", "Testsson", devpki.KeyECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	tok, _ := NewAuthToken(key, cert, origin, "bm9uY2U=", "fuzz", false)
	good, _ := json.Marshal(tok)
	f.Add(good)
	f.Add([]byte(`{"format":"web-eid:1.0"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := ParseAuthToken(data)
		if err != nil {
			if !errors.Is(err, ErrMalformedToken) {
				t.Fatalf("error %v is not ErrMalformedToken", err)
			}
			return
		}
		c, err := tok.Certificate()
		if err != nil {
			t.Fatal("a parsed token's certificate does not parse")
		}
		_ = tok.verifySignature(c, origin, "bm9uY2U=")
	})
}

// BenchmarkLogin: the gateway's work for one login beyond the card's
// signature (which the bridge makes): parse, verify, certificate chain,
// directory, session. P-256 and RSA-2048 cards.
func BenchmarkLogin(b *testing.B) {
	for _, alg := range []string{devpki.KeyECDSAP256, devpki.KeyRSA2048} {
		b.Run(alg, func(b *testing.B) {
			f := newFixture(b)
			c := f.cards[alg]
			var lat []time.Duration
			for b.Loop() {
				b.StopTimer()
				nonce, _, _ := f.a.Challenge("b")
				tok := answer(b, c, origin, nonce, false)
				b.StartTimer()
				t0 := time.Now()
				s, err := f.a.Login(context.Background(), "b", tok, "")
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				f.a.Logout(s.ID)
				b.StartTimer()
			}
			p50, p99 := quantiles(lat)
			b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		})
	}
}

func quantiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := append([]time.Duration(nil), ds...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2], s[len(s)*99/100]
}
