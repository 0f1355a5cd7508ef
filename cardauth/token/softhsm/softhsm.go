package softhsm

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
)

// ModulePath is where Debian's softhsm2 package installs the module.
const ModulePath = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

// confEnv is the variable SoftHSM2 reads its configuration file from.
const confEnv = "SOFTHSM2_CONF"

// dir is the token folder Main made; "" before.
var (
	mainMu  sync.Mutex
	mainDir string
)

// Main makes a private token folder and configuration, points
// SOFTHSM2_CONF at it, runs the tests and removes the folder. Use it as
// os.Exit(softhsm.Main(m)) in TestMain.
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "softhsm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "softhsm: make the token folder:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := setup(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func setup(dir string) error {
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		return fmt.Errorf("softhsm: make the token folder: %w", err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	text := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return fmt.Errorf("softhsm: write the configuration: %w", err)
	}
	if err := os.Setenv(confEnv, conf); err != nil {
		return err
	}
	mainMu.Lock()
	mainDir = dir
	mainMu.Unlock()
	return nil
}

// SoftHSM is the process's SoftHSM2 for one test: its module, shared
// with every token.Token the test opens.
type SoftHSM struct {
	t   testing.TB
	mod *token.Module
	dir string
}

// New loads the SoftHSM2 module for a test and unloads it (if no one
// else uses it) when the test ends. It fails the test when Main was not
// called or softhsm2 is not installed.
func New(t testing.TB) *SoftHSM {
	t.Helper()
	mainMu.Lock()
	dir := mainDir
	mainMu.Unlock()
	if dir == "" {
		t.Fatal("softhsm: call softhsm.Main from the package's TestMain first (SoftHSM2 reads its configuration once per process)")
	}
	if _, err := os.Stat(ModulePath); err != nil {
		t.Fatalf("softhsm: the SoftHSM2 module is missing (%v); install softhsm2 (make deps)", err)
	}
	mod, err := token.OpenModule(ModulePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := mod.Close(); err != nil {
			t.Error(err)
		}
	})
	return &SoftHSM{t: t, mod: mod, dir: dir}
}

// Module returns the module's path.
func (h *SoftHSM) Module() string { return ModulePath }

// Env returns the environment for an outside client (pkcs11-tool) to see
// the same tokens: this process's with SOFTHSM2_CONF.
func (h *SoftHSM) Env() []string {
	return append(os.Environ(), confEnv+"="+filepath.Join(h.dir, "softhsm2.conf"))
}

// Token is a SoftHSM2 token made by InitToken.
type Token struct {
	h       *SoftHSM
	Label   string
	SOPIN   string
	UserPIN string
	Slot    uint
}

// InitToken initialises the free slot's token with label and PINs, in
// this process (softhsm2-util in another process would make a token the
// loaded module never sees).
func (h *SoftHSM) InitToken(label, soPIN, userPIN string) *Token {
	h.t.Helper()
	c := h.mod.Ctx()
	slots, err := c.GetSlotList(true)
	if err != nil {
		h.t.Fatalf("softhsm: list slots: %v", err)
	}
	free, ok := uint(0), false
	for _, s := range slots {
		ti, err := c.GetTokenInfo(s)
		if err != nil {
			h.t.Fatalf("softhsm: token info: %v", err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free, ok = s, true
		} else if ti.Label == label {
			h.t.Fatalf("softhsm: a token labelled %q exists already in this test binary; use another label", label)
		}
	}
	if !ok {
		h.t.Fatal("softhsm: no free slot")
	}
	if err := c.InitToken(free, soPIN, label); err != nil {
		h.t.Fatalf("softhsm: init token %q: %v", label, err)
	}
	tok := &Token{h: h, Label: label, SOPIN: soPIN, UserPIN: userPIN, Slot: free}
	tok.session(pkcs11.CKU_SO, soPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
		return c.InitPIN(s, userPIN)
	})
	return tok
}

// session runs fn in a read-write session logged in as user with pin,
// then logs out and closes it (so that the tests' own logins start
// afresh).
func (tk *Token) session(user uint, pin string, fn func(*pkcs11.Ctx, pkcs11.SessionHandle) error) {
	tk.h.t.Helper()
	c := tk.h.mod.Ctx()
	s, err := c.OpenSession(tk.Slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		tk.h.t.Fatalf("softhsm: open session on %q: %v", tk.Label, err)
	}
	defer c.CloseSession(s)
	if err := c.Login(s, user, pin); err != nil {
		tk.h.t.Fatalf("softhsm: login on %q: %v", tk.Label, err)
	}
	defer c.Logout(s)
	if err := fn(c, s); err != nil {
		tk.h.t.Fatalf("softhsm: token %q: %v", tk.Label, err)
	}
}

// Credential is a certificate on a token and the CKA_ID and label it and
// its key share.
type Credential struct {
	Cert  *x509.Certificate
	ID    []byte
	Label string
}

// Person is a staff card's content: the authentication certificate and
// the signing certificate (key usage nonRepudiation), as on a SITHS card.
type Person struct {
	Auth, Sign Credential
}

// ProvisionPerson makes a SITHS-like card on the token: an
// authentication key pair generated on the token (alg
// devpki.KeyECDSAP256, devpki.KeyECDSAP384 or devpki.KeyRSA2048), its
// certificate from pki (devpki.IssuePerson, HSA-ID in the subject
// serialNumber) stored with the same CKA_ID (01) and label "auth", and a
// signing certificate with its key (CKA_ID 02, label "sign"). devpki
// issues signing certificates only with a key of its own
// (PersonSigning), so that key is made outside the token and imported.
func (tk *Token) ProvisionPerson(pki *devpki.PKI, hsaID, given, surname, alg string) Person {
	tk.h.t.Helper()
	var p Person
	tk.session(pkcs11.CKU_USER, tk.UserPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
		authID, signID := []byte{0x01}, []byte{0x02}
		pub, err := generateKeyPair(c, s, alg, authID, "auth")
		if err != nil {
			return err
		}
		cert, err := pki.IssuePerson(pub, hsaID, given, surname)
		if err != nil {
			return err
		}
		if err := importCert(c, s, cert, authID, "auth"); err != nil {
			return err
		}
		p.Auth = Credential{Cert: cert, ID: authID, Label: "auth"}
		scert, skey, err := pki.PersonSigning(hsaID, given, surname, alg)
		if err != nil {
			return err
		}
		if err := importKey(c, s, skey, signID, "sign"); err != nil {
			return err
		}
		if err := importCert(c, s, scert, signID, "sign"); err != nil {
			return err
		}
		p.Sign = Credential{Cert: scert, ID: signID, Label: "sign"}
		return nil
	})
	return p
}

// GenerateAESKey makes an AES key (bits 128 or 256) labelled label on the
// token, not extractable: a key-encryption key.
func (tk *Token) GenerateAESKey(label string, bits int) {
	tk.h.t.Helper()
	tk.session(pkcs11.CKU_USER, tk.UserPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
		_, err := c.GenerateKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, bits/8),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		})
		if err != nil {
			return fmt.Errorf("generate AES key %q: %w", label, err)
		}
		return nil
	})
}

// Named curves' DER OIDs, for CKA_EC_PARAMS.
var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidP384 = asn1.ObjectIdentifier{1, 3, 132, 0, 34}
)

// generateKeyPair makes a key pair on the token and returns its public
// key, read back from the token.
func generateKeyPair(c *pkcs11.Ctx, s pkcs11.SessionHandle, alg string, id []byte, label string) (crypto.PublicKey, error) {
	common := func(extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
		return append([]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, id),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		}, extra...)
	}
	priv := common(
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
	)
	var (
		mech *pkcs11.Mechanism
		pub  []*pkcs11.Attribute
		oid  asn1.ObjectIdentifier
	)
	switch alg {
	case devpki.KeyRSA2048:
		mech = pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)
		pub = common(
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		)
	case "", devpki.KeyECDSAP256, devpki.KeyECDSAP384:
		oid = oidP256
		if alg == devpki.KeyECDSAP384 {
			oid = oidP384
		}
		params, err := asn1.Marshal(oid)
		if err != nil {
			return nil, err
		}
		mech = pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)
		pub = common(
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
		)
	default:
		return nil, fmt.Errorf("unknown key algorithm %q (want %s, %s or %s)", alg, devpki.KeyECDSAP256, devpki.KeyECDSAP384, devpki.KeyRSA2048)
	}
	pubH, _, err := c.GenerateKeyPair(s, []*pkcs11.Mechanism{mech}, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("generate %s key pair: %w", alg, err)
	}
	if alg == devpki.KeyRSA2048 {
		a, err := c.GetAttributeValue(s, pubH, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			return nil, fmt.Errorf("read the RSA public key: %w", err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, errors.New("RSA public exponent too large")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}, nil
	}
	a, err := c.GetAttributeValue(s, pubH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, fmt.Errorf("read the EC public key: %w", err)
	}
	curve := elliptic.P256()
	if alg == devpki.KeyECDSAP384 {
		curve = elliptic.P384()
	}
	return parseECPoint(curve, a[0].Value)
}

// parseECPoint reads CKA_EC_POINT: a DER OCTET STRING holding the
// uncompressed point (some modules give the bare point).
func parseECPoint(curve elliptic.Curve, v []byte) (*ecdsa.PublicKey, error) {
	var point []byte
	if rest, err := asn1.Unmarshal(v, &point); err != nil || len(rest) != 0 {
		point = v
	}
	return ecdsa.ParseUncompressedPublicKey(curve, point)
}

func importCert(c *pkcs11.Ctx, s pkcs11.SessionHandle, cert *x509.Certificate, id []byte, label string) error {
	_, err := c.CreateObject(s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, cert.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_ISSUER, cert.RawIssuer),
		pkcs11.NewAttribute(pkcs11.CKA_SERIAL_NUMBER, mustASN1(cert.SerialNumber)),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, cert.Raw),
	})
	if err != nil {
		return fmt.Errorf("import certificate %q: %w", label, err)
	}
	return nil
}

func mustASN1(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// importKey stores a private key made outside the token.
func importKey(c *pkcs11.Ctx, s pkcs11.SessionHandle, key crypto.Signer, id []byte, label string) error {
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		tmpl = append(tmpl,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()),
		)
	case *ecdsa.PrivateKey:
		oid := oidP256
		if k.Curve == elliptic.P384() {
			oid = oidP384
		}
		d, err := k.Bytes()
		if err != nil {
			return err
		}
		tmpl = append(tmpl,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, mustASN1(oid)),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, d),
		)
	default:
		return fmt.Errorf("import key %q: a %T is neither RSA nor ECDSA", label, key)
	}
	if _, err := c.CreateObject(s, tmpl); err != nil {
		return fmt.Errorf("import key %q: %w", label, err)
	}
	return nil
}
