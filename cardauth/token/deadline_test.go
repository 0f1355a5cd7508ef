package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
)

var fakeN atomic.Int64

// fakeCard opens a fake card holding a P-256 authentication key (PIV
// 9C-like when alwaysAuth), with a fake clock for the deadlines.
func fakeCard(t *testing.T, alwaysAuth bool, prep ...func(*fakeP11)) (*Token, *fakeP11, *clocktest.Fake, *ecdsa.PublicKey) {
	t.Helper()
	pki, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := pki.Person("SE2321000016-1003", "Test", "Person", devpki.KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeP11("Fake Reader 00 00", "fake", "123456")
	f.addCert(cert, key, []byte{1}, "auth", alwaysAuth)
	for _, p := range prep {
		p(f)
	}
	clock := clocktest.New(time.Now())
	cfg := Config{Module: fmt.Sprintf("fake:%d", fakeN.Add(1)), Reader: "Fake Reader 00 00", Clock: clock}
	if err := cfg.fill(); err != nil {
		t.Fatal(err)
	}
	tok, err := open(t.Context(), cfg, func() (*module, error) { return register(cfg.Module, f), nil })
	if err != nil {
		t.Fatal(err)
	}
	return tok, f, clock, cert.PublicKey.(*ecdsa.PublicKey)
}

func authSigner(t *testing.T, tok *Token) *Signer {
	t.Helper()
	s, err := tok.AuthCert(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var testDigest = func() []byte { d := sha256.Sum256([]byte("challenge")); return d[:] }()

// TestSignHangs: a C_Sign that never returns is abandoned when the
// deadline fires; the caller gets ErrTokenHung (which counts as a
// removed card), later calls fail at once without touching the module,
// Close does not block, and the session is closed if the stuck call
// ever returns.
func TestSignHangs(t *testing.T) {
	tok, f, clock, _ := fakeCard(t, false)
	if err := tok.Login(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	s := authSigner(t, tok)
	release := f.setBlock("sign")
	defer release()

	res := make(chan error, 1)
	go func() {
		_, err := s.Sign(rand.Reader, testDigest, crypto.SHA256)
		res <- err
	}()
	if op := <-f.entered; op != "sign" {
		t.Fatalf("entered %q", op)
	}
	clock.Advance(time.Hour) // past every deadline
	err := <-res
	if !errors.Is(err, ErrTokenHung) || !errors.Is(err, ErrCardRemoved) {
		t.Fatalf("hung sign: %v, want ErrTokenHung that is also ErrCardRemoved", err)
	}

	// The module is stuck: opening another token on it fails at once.
	if _, err := open(t.Context(), tok.cfg, func() (*module, error) { return register(tok.cfg.Module, f), nil }); !errors.Is(err, ErrModuleStuck) {
		t.Fatalf("open while a call is stuck: %v, want ErrModuleStuck", err)
	}

	calls := f.callCount()
	if _, err := s.Sign(rand.Reader, testDigest, crypto.SHA256); !errors.Is(err, ErrTokenHung) {
		t.Fatalf("sign after hang: %v", err)
	}
	if err := tok.Login(t.Context(), "123456"); !errors.Is(err, ErrTokenHung) {
		t.Fatalf("login after hang: %v", err)
	}
	if _, err := tok.Info(t.Context()); !errors.Is(err, ErrTokenHung) {
		t.Fatalf("info after hang: %v", err)
	}
	if got := f.callCount(); got != calls {
		t.Fatalf("%d module calls after the hang, want none", got-calls)
	}
	if err := tok.Close(); err != nil {
		t.Fatalf("close after hang: %v", err)
	}
	select {
	case <-f.closed:
		t.Fatal("session closed while the stuck call still runs")
	default:
	}
	release() // the stuck call returns at last
	<-f.closed
}

// TestLoginHangs: the same for a C_Login that never returns (a PIN pad
// nobody types on, or a stuck card).
func TestLoginHangs(t *testing.T) {
	tok, f, clock, _ := fakeCard(t, false)
	release := f.setBlock("login")
	defer release()
	res := make(chan error, 1)
	go func() { res <- tok.Login(context.Background(), "123456") }()
	<-f.entered
	clock.Advance(time.Hour) // past every deadline
	if err := <-res; !errors.Is(err, ErrTokenHung) {
		t.Fatalf("hung login: %v, want ErrTokenHung", err)
	}
	if tok.LoggedIn() {
		t.Fatal("logged in after an abandoned login")
	}
	if err := tok.Login(t.Context(), "123456"); !errors.Is(err, ErrTokenHung) {
		t.Fatalf("login after hang: %v", err)
	}
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
	release()
	<-f.closed
}

// TestCancelled: a caller whose context ends stops waiting; the call runs
// on, the token stays usable, and the next call waits its turn.
func TestCancelled(t *testing.T) {
	tok, f, _, pub := fakeCard(t, false)
	defer tok.Close()
	if err := tok.Login(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	s := authSigner(t, tok)
	release := f.setBlock("sign")
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	go func() {
		_, err := s.SignContext(ctx, testDigest, crypto.SHA256)
		res <- err
	}()
	<-f.entered
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) || errors.Is(err, ErrCardRemoved) {
		t.Fatalf("cancelled sign: %v, want context.Canceled only", err)
	}
	f.mu.Lock()
	delete(f.block, "sign")
	f.mu.Unlock()
	release()
	sig, err := s.SignContext(t.Context(), testDigest, crypto.SHA256)
	if err != nil {
		t.Fatalf("sign after a cancelled one: %v", err)
	}
	if !ecdsa.VerifyASN1(pub, testDigest, sig) {
		t.Fatal("signature does not verify")
	}
}

// TestRemoved: the module's removal errors make the token unusable, and
// later calls fail without touching the module.
func TestRemoved(t *testing.T) {
	tok, f, _, _ := fakeCard(t, false)
	if err := tok.Login(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	s := authSigner(t, tok)
	f.setRemoved()
	if _, err := s.Sign(rand.Reader, testDigest, crypto.SHA256); !errors.Is(err, ErrCardRemoved) || errors.Is(err, ErrTokenHung) {
		t.Fatalf("sign on a removed card: %v, want ErrCardRemoved", err)
	}
	calls := f.callCount()
	if err := tok.Login(t.Context(), "123456"); !errors.Is(err, ErrCardRemoved) {
		t.Fatalf("login on a removed card: %v", err)
	}
	if f.callCount() != calls {
		t.Fatal("module called after the removal was seen")
	}
	if err := tok.Close(); err != nil {
		t.Fatal(err)
	}
	<-f.closed
	if err := tok.Login(t.Context(), "123456"); !errors.Is(err, ErrClosed) {
		t.Fatalf("login after close: %v, want ErrClosed", err)
	}
}

// TestLockout: as a PIV card through OpenSC, the fourth wrong PIN says
// one try is left and the fifth locks; a locked card is refused without
// asking it, whatever the PIN.
func TestLockout(t *testing.T) {
	tok, f, _, _ := fakeCard(t, false)
	defer tok.Close()
	want := []PINKind{CountLow, CountLow, CountLow, FinalTry, Locked}
	for i, kind := range want {
		err := tok.Login(t.Context(), "000000")
		var pe *PINError
		if !errors.As(err, &pe) || pe.Kind != kind {
			t.Fatalf("wrong PIN %d: %v, want %v", i+1, err, kind)
		}
		if kind == FinalTry && pe.Retries != 1 || kind == Locked && pe.Retries != 0 {
			t.Fatalf("wrong PIN %d: retries %d", i+1, pe.Retries)
		}
	}
	calls := f.callCount()
	err := tok.Login(t.Context(), "123456")
	var pe *PINError
	if !errors.As(err, &pe) || pe.Kind != Locked {
		t.Fatalf("right PIN on a locked card: %v, want Locked", err)
	}
	if got := f.callCount() - calls; got != 1 { // GetTokenInfo only
		t.Fatalf("%d module calls for a locked card, want 1 (read its flags, no C_Login)", got)
	}
	if pe.Swedish() != "Kortet är spärrat efter för många felaktiga PIN-koder. Lås upp det med PUK-koden eller kontakta kortadministratören." {
		t.Fatalf("Swedish: %q", pe.Swedish())
	}
}

// TestAlwaysAuthenticate: a PIV 9C-like key needs the PIN for each
// signature; it is given once per operation, never asked for again.
func TestAlwaysAuthenticate(t *testing.T) {
	tok, f, _, pub := fakeCard(t, true)
	defer tok.Close()
	if err := tok.Login(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	s := authSigner(t, tok)
	if _, err := s.SignContext(t.Context(), testDigest, crypto.SHA256); !errors.Is(err, ErrPINRequired) {
		t.Fatalf("sign without PIN: %v, want ErrPINRequired", err)
	}
	sig, err := s.SignWithPIN(t.Context(), "123456", testDigest, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(pub, testDigest, sig) {
		t.Fatal("signature does not verify")
	}
	_, err = s.SignWithPIN(t.Context(), "000000", testDigest, crypto.SHA256)
	var pe *PINError
	if !errors.As(err, &pe) || pe.Kind != CountLow {
		t.Fatalf("wrong context PIN: %v, want *PINError", err)
	}
	f.mu.Lock()
	tries := f.tries
	f.mu.Unlock()
	if tries != 4 {
		t.Fatalf("%d tries left, want 4: the PIN was tried more than once", tries)
	}
	if tok.LoggedIn() {
		t.Fatal("still logged in after a refused PIN (a PIV card forgets the verified PIN)")
	}
	if _, err := s.SignWithPIN(t.Context(), "123456", testDigest, crypto.SHA256); !errors.Is(err, ErrNotLoggedIn) {
		t.Fatalf("sign after a refused PIN: %v, want ErrNotLoggedIn", err)
	}
	if err := tok.Login(t.Context(), "123456"); err != nil {
		t.Fatal(err)
	}
	// The failed operation was ended: the next one works.
	if _, err := s.SignWithPIN(t.Context(), "123456", testDigest, crypto.SHA256); err != nil {
		t.Fatalf("sign after a wrong context PIN: %v", err)
	}
}

// TestPINPad: on a reader with a PIN pad, Login with no PIN has the user
// type it there.
func TestPINPad(t *testing.T) {
	tok, _, _, _ := fakeCard(t, false, func(f *fakeP11) { f.protected = true })
	defer tok.Close()
	info, err := tok.Info(t.Context())
	if err != nil || !info.ProtectedAuthPath {
		t.Fatalf("info %+v, %v: want the protected authentication path", info, err)
	}
	if err := tok.Login(t.Context(), ""); err != nil {
		t.Fatal(err)
	}
	if !tok.LoggedIn() {
		t.Fatal("not logged in")
	}
}

// TestSlotBusy: one Token per slot in a process.
func TestSlotBusy(t *testing.T) {
	tok, f, _, _ := fakeCard(t, false)
	defer tok.Close()
	cfg := tok.cfg
	_, err := open(t.Context(), cfg, func() (*module, error) { return register(cfg.Module, f), nil })
	if !errors.Is(err, ErrSlotBusy) {
		t.Fatalf("second open: %v, want ErrSlotBusy", err)
	}
	if n := tok.mod.users; n != 1 {
		t.Fatalf("module has %d users after a refused open, want 1", n)
	}
}
