package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"

	"clinicgw/sync/clock"

	"github.com/miekg/pkcs11"
)

func TestMatches(t *testing.T) {
	long := strings.Repeat("Reader with a very long name ", 4) // 116 bytes
	cases := []struct {
		name      string
		cfg       Config
		desc, lbl string
		wantMatch bool
	}{
		{"reader", Config{Reader: "Virtual PCD 00 00"}, "Virtual PCD 00 00", "PIV_II", true},
		{"reader padded", Config{Reader: "Virtual PCD 00 00"}, "Virtual PCD 00 00" + strings.Repeat(" ", 47), "x", true},
		{"other reader", Config{Reader: "Virtual PCD 00 00"}, "Virtual PCD 00 01", "x", false},
		{"reader prefix is not enough", Config{Reader: "Virtual PCD 00"}, "Virtual PCD 00 00", "x", false},
		{"long reader cut to 64", Config{Reader: long}, long[:64], "x", true},
		{"label", Config{TokenLabel: "card-1"}, "SoftHSM slot ID 0x1", "card-1", true},
		{"other label", Config{TokenLabel: "card-1"}, "SoftHSM slot ID 0x1", "card-10", false},
		{"reader and label", Config{Reader: "R", TokenLabel: "L"}, "R", "L", true},
		{"reader but not label", Config{Reader: "R", TokenLabel: "L"}, "R", "M", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := matches(tc.cfg, pkcs11.SlotInfo{SlotDescription: tc.desc}, pkcs11.TokenInfo{Label: tc.lbl})
			if got != tc.wantMatch {
				t.Fatalf("matches = %v, want %v", got, tc.wantMatch)
			}
		})
	}
}

func TestPickAuth(t *testing.T) {
	auth := &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	authNoEKU := &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature}
	sign := &x509.Certificate{KeyUsage: x509.KeyUsageContentCommitment}
	both := &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	ca := &x509.Certificate{KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true}
	enc := &x509.Certificate{KeyUsage: x509.KeyUsageKeyEncipherment}
	cases := []struct {
		name  string
		certs []*x509.Certificate
		want  int
	}{
		{"none", nil, -1},
		{"signing only", []*x509.Certificate{sign}, -1},
		{"signing then auth", []*x509.Certificate{sign, auth}, 1},
		{"auth then signing", []*x509.Certificate{auth, sign}, 0},
		{"CA is never it", []*x509.Certificate{ca, sign}, -1},
		{"encryption only", []*x509.Certificate{enc}, -1},
		{"clientAuth preferred", []*x509.Certificate{authNoEKU, auth}, 1},
		{"without nonRepudiation preferred", []*x509.Certificate{both, authNoEKU}, 1},
		{"both usages alone", []*x509.Certificate{sign, both}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := PickAuth(tc.certs); got != tc.want {
				t.Fatalf("PickAuth = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestPrepare(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	all := map[uint]bool{pkcs11.CKM_RSA_PKCS: true, pkcs11.CKM_RSA_PKCS_PSS: true, pkcs11.CKM_ECDSA: true}
	noPSS := map[uint]bool{pkcs11.CKM_RSA_PKCS: true, pkcs11.CKM_ECDSA: true}
	d256 := make([]byte, 32)
	d384 := make([]byte, 48)
	cases := []struct {
		name    string
		pub     crypto.PublicKey
		mechs   map[uint]bool
		digest  []byte
		opts    crypto.SignerOpts
		mech    uint
		dataLen int
		wantErr error
	}{
		{"pkcs1 sha256", &rsaKey.PublicKey, all, d256, crypto.SHA256, pkcs11.CKM_RSA_PKCS, 19 + 32, nil},
		{"pkcs1 sha384", &rsaKey.PublicKey, all, d384, crypto.SHA384, pkcs11.CKM_RSA_PKCS, 19 + 48, nil},
		{"pss", &rsaKey.PublicKey, all, d256, &rsa.PSSOptions{Hash: crypto.SHA256}, pkcs11.CKM_RSA_PKCS_PSS, 32, nil},
		{"pss not offered", &rsaKey.PublicKey, noPSS, d256, &rsa.PSSOptions{Hash: crypto.SHA256}, 0, 0, ErrMechanism},
		{"pss salt too long", &rsaKey.PublicKey, all, d256, &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: 300}, 0, 0, errAny},
		{"ecdsa p256 sha384 truncated", &ecKey.PublicKey, all, d384, crypto.SHA384, pkcs11.CKM_ECDSA, 32, nil},
		{"ecdsa not offered", &ecKey.PublicKey, map[uint]bool{}, d256, crypto.SHA256, 0, 0, ErrMechanism},
		{"digest length wrong", &ecKey.PublicKey, all, d384, crypto.SHA256, 0, 0, errAny},
		{"sha1 refused", &rsaKey.PublicKey, all, make([]byte, 20), crypto.SHA1, 0, 0, errAny},
		{"no hash", &rsaKey.PublicKey, all, d256, crypto.Hash(0), 0, 0, errAny},
		{"nil opts", &rsaKey.PublicKey, all, d256, nil, 0, 0, errAny},
		{"ed25519-like key", []byte{1}, all, d256, crypto.SHA256, 0, 0, errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := prepare(tc.pub, tc.mechs, tc.digest, tc.opts)
			switch {
			case tc.wantErr == errAny && err != nil:
				return
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if req.mech.Mechanism != tc.mech || len(req.data) != tc.dataLen {
				t.Fatalf("mechanism %#x with %d bytes, want %#x with %d", req.mech.Mechanism, len(req.data), tc.mech, tc.dataLen)
			}
		})
	}
}

var errAny = errors.New("any error")

func TestPINErrorMessages(t *testing.T) {
	cases := []struct {
		err     PINError
		english string
		swedish string
	}{
		{PINError{Kind: Incorrect, Retries: -1}, "try again", "Fel PIN-kod. Försök igen."},
		{PINError{Kind: CountLow, Retries: -1}, "few tries", "Fel PIN-kod. Få försök återstår innan kortet spärras."},
		{PINError{Kind: FinalTry, Retries: 1}, "one try is left", "Fel PIN-kod. Ett försök kvar innan kortet spärras."},
		{PINError{Kind: Locked}, "PUK", "Kortet är spärrat efter för många felaktiga PIN-koder. Lås upp det med PUK-koden eller kontakta kortadministratören."},
		{PINError{Kind: LenRange, MinLen: 6, MaxLen: 8}, "6 to 8 digits", "PIN-koden har fel längd. Den ska vara 6–8 tecken. Inget försök förbrukades."},
		{PINError{Kind: LenRange, MinLen: 4, MaxLen: 255}, "4 digits or more", "PIN-koden har fel längd. Den ska vara minst 4 tecken. Inget försök förbrukades."},
		{PINError{Kind: LenRange}, "no try was used", "PIN-koden har fel längd eller otillåtna tecken. Inget försök förbrukades."},
	}
	for _, tc := range cases {
		t.Run(tc.err.Kind.String(), func(t *testing.T) {
			if !strings.Contains(tc.err.Error(), tc.english) {
				t.Errorf("Error() = %q, want it to say %q", tc.err.Error(), tc.english)
			}
			if tc.err.Swedish() != tc.swedish {
				t.Errorf("Swedish() = %q, want %q", tc.err.Swedish(), tc.swedish)
			}
		})
	}
}

func TestPINKindOfFlags(t *testing.T) {
	cases := []struct {
		flags   uint
		kind    PINKind
		retries int
	}{
		{0, Incorrect, -1},
		{pkcs11.CKF_USER_PIN_COUNT_LOW, CountLow, -1},
		{pkcs11.CKF_USER_PIN_COUNT_LOW | pkcs11.CKF_USER_PIN_FINAL_TRY, FinalTry, 1},
		{pkcs11.CKF_USER_PIN_FINAL_TRY | pkcs11.CKF_USER_PIN_LOCKED, Locked, 0},
	}
	for _, tc := range cases {
		kind, retries := pinKindOf(tc.flags)
		if kind != tc.kind || retries != tc.retries {
			t.Errorf("flags %#x: %v %d, want %v %d", tc.flags, kind, retries, tc.kind, tc.retries)
		}
	}
}

func TestRemovalErrors(t *testing.T) {
	for _, rv := range []uint{pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED} {
		if !isRemoval(pkcs11.Error(rv)) {
			t.Errorf("%v is not seen as removal", pkcs11.Error(rv))
		}
	}
	for _, rv := range []uint{pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_GENERAL_ERROR, pkcs11.CKR_DEVICE_ERROR} {
		if isRemoval(pkcs11.Error(rv)) {
			t.Errorf("%v is seen as removal", pkcs11.Error(rv))
		}
	}
}

// FuzzECDSARawToDER: any token output either is refused or becomes the
// DER of the same r and s.
func FuzzECDSARawToDER(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Add(append(bytes.Repeat([]byte{0xff}, 48), bytes.Repeat([]byte{1}, 48)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, raw []byte) {
		der, err := ecdsaRawToDER(raw)
		if err != nil {
			return
		}
		var rs struct{ R, S *big.Int }
		rest, err := asn1.Unmarshal(der, &rs)
		if err != nil || len(rest) != 0 {
			t.Fatalf("DER does not parse: %v", err)
		}
		half := len(raw) / 2
		if rs.R.Cmp(new(big.Int).SetBytes(raw[:half])) != 0 || rs.S.Cmp(new(big.Int).SetBytes(raw[half:])) != 0 {
			t.Fatal("r or s changed")
		}
	})
}

// FuzzParseKEKBlob: a wrapped key either is refused or splits into a
// 12-byte nonce and at least a tag.
func FuzzParseKEKBlob(f *testing.F) {
	f.Add(append([]byte{1}, make([]byte, 12+16+32)...))
	f.Add([]byte{2, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		nonce, ct, err := parseKEKBlob(blob)
		if err != nil {
			return
		}
		if len(nonce) != kekNonceLen || len(ct) < kekTagLen || blob[0] != kekVersion || 1+len(nonce)+len(ct) != len(blob) {
			t.Fatalf("blob of %d split into nonce %d and ciphertext %d", len(blob), len(nonce), len(ct))
		}
	})
}

// BenchmarkBounded is the deadline machinery alone around a call that
// does nothing: one goroutine, a timer and a channel.
func BenchmarkBounded(b *testing.B) {
	ctx := b.Context()
	for range b.N {
		if err, _ := bounded(ctx, clock.System, DefaultDeadline, func() error { return nil }, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkECDSARawToDER is the signature conversion alone (P-256).
func BenchmarkECDSARawToDER(b *testing.B) {
	raw := bytes.Repeat([]byte{0x5a}, 64)
	for range b.N {
		if _, err := ecdsaRawToDER(raw); err != nil {
			b.Fatal(err)
		}
	}
}
