package token

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"
)

// fakeP11 is an in-memory PKCS#11 module with one token, behaving like a
// PIV card through OpenSC: the PIN has maxTries tries, the flags say
// count low after a failure, final try at one left, locked at none.
// Calls can be made to block (to test deadlines) and the card to vanish.
type fakeP11 struct {
	mu        sync.Mutex
	slot      uint
	desc      string
	label     string
	pin       string
	tries     int
	maxTries  int
	protected bool
	mechs     []uint
	objects   []*fakeObject
	loggedIn  bool
	removed   bool
	nextSess  pkcs11.SessionHandle
	sessions  map[pkcs11.SessionHandle]*fakeSession
	calls     int // calls into the module

	// block, when set for an operation ("sign", "login"), makes that
	// call send on entered and wait until block is closed.
	block   map[string]chan struct{}
	entered chan string
	// closed receives when CloseSession is called.
	closed chan struct{}
}

type fakeObject struct {
	attrs map[uint][]byte
	key   crypto.Signer
}

type fakeSession struct {
	find       []pkcs11.ObjectHandle
	signMech   *pkcs11.Mechanism
	signKey    *fakeObject
	ctxLoginOK bool
}

func newFakeP11(desc, label, pin string) *fakeP11 {
	return &fakeP11{
		slot: 7, desc: desc, label: label, pin: pin, tries: 5, maxTries: 5,
		mechs:    []uint{pkcs11.CKM_RSA_PKCS, pkcs11.CKM_RSA_PKCS_PSS, pkcs11.CKM_ECDSA},
		nextSess: 100, sessions: map[pkcs11.SessionHandle]*fakeSession{},
		block: map[string]chan struct{}{}, entered: make(chan string, 8), closed: make(chan struct{}, 8),
	}
}

func (f *fakeP11) enter(op string) error {
	f.mu.Lock()
	f.calls++
	ch := f.block[op]
	removed := f.removed
	f.mu.Unlock()
	if ch != nil {
		f.entered <- op
		<-ch
	}
	if removed {
		return pkcs11.Error(pkcs11.CKR_DEVICE_REMOVED)
	}
	return nil
}

// setBlock makes op block until the returned function is called.
func (f *fakeP11) setBlock(op string) (release func()) {
	ch := make(chan struct{})
	f.mu.Lock()
	f.block[op] = ch
	f.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (f *fakeP11) setRemoved() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = true
}

func (f *fakeP11) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// addCert stores a certificate and its private key under id.
func (f *fakeP11) addCert(cert *x509.Certificate, key crypto.Signer, id []byte, label string, alwaysAuth bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects = append(f.objects,
		&fakeObject{attrs: map[uint][]byte{
			pkcs11.CKA_CLASS:            ulong(pkcs11.CKO_CERTIFICATE),
			pkcs11.CKA_CERTIFICATE_TYPE: ulong(pkcs11.CKC_X_509),
			pkcs11.CKA_ID:               id, pkcs11.CKA_LABEL: []byte(label), pkcs11.CKA_VALUE: cert.Raw,
		}},
		&fakeObject{key: key, attrs: map[uint][]byte{
			pkcs11.CKA_CLASS: ulong(pkcs11.CKO_PRIVATE_KEY),
			pkcs11.CKA_ID:    id, pkcs11.CKA_LABEL: []byte(label),
			pkcs11.CKA_ALWAYS_AUTHENTICATE: boolByte(alwaysAuth),
		}})
}

func ulong(v uint) []byte { return pkcs11.NewAttribute(0, v).Value }

func boolByte(b bool) []byte {
	if b {
		return []byte{1}
	}
	return []byte{0}
}

func (f *fakeP11) flags() uint {
	fl := uint(pkcs11.CKF_TOKEN_INITIALIZED | pkcs11.CKF_USER_PIN_INITIALIZED | pkcs11.CKF_LOGIN_REQUIRED)
	if f.protected {
		fl |= pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH
	}
	switch {
	case f.tries == 0:
		fl |= pkcs11.CKF_USER_PIN_LOCKED
	case f.tries == 1:
		fl |= pkcs11.CKF_USER_PIN_FINAL_TRY
	case f.tries < f.maxTries:
		fl |= pkcs11.CKF_USER_PIN_COUNT_LOW
	}
	return fl
}

func (f *fakeP11) GetSlotList(bool) ([]uint, error) {
	if err := f.enter("slots"); err != nil {
		return nil, nil
	}
	return []uint{3, f.slot}, nil
}

func (f *fakeP11) GetSlotInfo(slot uint) (pkcs11.SlotInfo, error) {
	if slot != f.slot {
		return pkcs11.SlotInfo{SlotDescription: "Other Reader 00 00"}, nil
	}
	return pkcs11.SlotInfo{SlotDescription: f.desc, ManufacturerID: "fake"}, nil
}

func (f *fakeP11) GetTokenInfo(slot uint) (pkcs11.TokenInfo, error) {
	if err := f.enter("tokeninfo"); err != nil {
		return pkcs11.TokenInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if slot != f.slot {
		return pkcs11.TokenInfo{Label: "other"}, nil
	}
	return pkcs11.TokenInfo{Label: f.label, SerialNumber: "00fake", Flags: f.flags(), MinPinLen: 4, MaxPinLen: 8}, nil
}

func (f *fakeP11) GetMechanismList(uint) ([]*pkcs11.Mechanism, error) {
	var out []*pkcs11.Mechanism
	for _, m := range f.mechs {
		out = append(out, pkcs11.NewMechanism(m, nil))
	}
	return out, nil
}

func (f *fakeP11) OpenSession(uint, uint) (pkcs11.SessionHandle, error) {
	if err := f.enter("open"); err != nil {
		return 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextSess++
	f.sessions[f.nextSess] = &fakeSession{}
	return f.nextSess, nil
}

func (f *fakeP11) CloseSession(sh pkcs11.SessionHandle) error {
	f.mu.Lock()
	delete(f.sessions, sh)
	if len(f.sessions) == 0 {
		f.loggedIn = false
	}
	f.mu.Unlock()
	f.closed <- struct{}{}
	return nil
}

func (f *fakeP11) session(sh pkcs11.SessionHandle) (*fakeSession, error) {
	s, ok := f.sessions[sh]
	if !ok {
		return nil, pkcs11.Error(pkcs11.CKR_SESSION_HANDLE_INVALID)
	}
	return s, nil
}

func (f *fakeP11) Login(sh pkcs11.SessionHandle, userType uint, pin string) error {
	if err := f.enter("login"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.session(sh)
	if err != nil {
		return err
	}
	if userType == pkcs11.CKU_USER && f.loggedIn {
		return pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)
	}
	if f.tries == 0 {
		return pkcs11.Error(pkcs11.CKR_PIN_LOCKED)
	}
	if f.protected && pin == "" {
		pin = f.pin // typed on the pad
	}
	if pin != f.pin {
		f.tries--
		if f.tries == 0 {
			return pkcs11.Error(pkcs11.CKR_PIN_LOCKED)
		}
		return pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)
	}
	f.tries = f.maxTries
	if userType == pkcs11.CKU_CONTEXT_SPECIFIC {
		s.ctxLoginOK = true
		return nil
	}
	f.loggedIn = true
	return nil
}

func (f *fakeP11) Logout(pkcs11.SessionHandle) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.loggedIn {
		return pkcs11.Error(pkcs11.CKR_USER_NOT_LOGGED_IN)
	}
	f.loggedIn = false
	return nil
}

func (f *fakeP11) FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error {
	if err := f.enter("find"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.session(sh)
	if err != nil {
		return err
	}
	s.find = nil
	for i, o := range f.objects {
		if o.key != nil && !f.loggedIn {
			continue // private objects need a login
		}
		ok := true
		for _, a := range temp {
			if !bytes.Equal(o.attrs[a.Type], a.Value) {
				ok = false
			}
		}
		if ok {
			s.find = append(s.find, pkcs11.ObjectHandle(i+1))
		}
	}
	return nil
}

func (f *fakeP11) FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.session(sh)
	if err != nil {
		return nil, false, err
	}
	n := min(max, len(s.find))
	out := s.find[:n]
	s.find = s.find[n:]
	return out, false, nil
}

func (f *fakeP11) FindObjectsFinal(pkcs11.SessionHandle) error { return nil }

func (f *fakeP11) GetAttributeValue(_ pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	obj := f.objects[o-1]
	out := make([]*pkcs11.Attribute, len(a))
	for i, x := range a {
		out[i] = &pkcs11.Attribute{Type: x.Type, Value: obj.attrs[x.Type]}
	}
	return out, nil
}

func (f *fakeP11) SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.session(sh)
	if err != nil {
		return err
	}
	if s.signMech != nil {
		return pkcs11.Error(pkcs11.CKR_OPERATION_ACTIVE)
	}
	s.signMech, s.signKey, s.ctxLoginOK = m[0], f.objects[o-1], false
	return nil
}

func (f *fakeP11) Sign(sh pkcs11.SessionHandle, msg []byte) ([]byte, error) {
	if err := f.enter("sign"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, err := f.session(sh)
	if err != nil {
		return nil, err
	}
	mech, key, ctxOK := s.signMech, s.signKey, s.ctxLoginOK
	s.signMech, s.signKey, s.ctxLoginOK = nil, nil, false
	if mech == nil {
		return nil, pkcs11.Error(pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	}
	if a := key.attrs[pkcs11.CKA_ALWAYS_AUTHENTICATE]; len(a) == 1 && a[0] == 1 && !ctxOK {
		return nil, pkcs11.Error(pkcs11.CKR_USER_NOT_LOGGED_IN)
	}
	switch mech.Mechanism {
	case pkcs11.CKM_RSA_PKCS:
		return rsa.SignPKCS1v15(nil, key.key.(*rsa.PrivateKey), 0, msg)
	case pkcs11.CKM_RSA_PKCS_PSS:
		p := mech.Parameter
		hashAlg := uint(binary.NativeEndian.Uint64(p[0:8]))
		salt := int(binary.NativeEndian.Uint64(p[16:24]))
		h := map[uint]crypto.Hash{pkcs11.CKM_SHA256: crypto.SHA256, pkcs11.CKM_SHA384: crypto.SHA384, pkcs11.CKM_SHA512: crypto.SHA512}[hashAlg]
		return rsa.SignPSS(rand.Reader, key.key.(*rsa.PrivateKey), h, msg, &rsa.PSSOptions{SaltLength: salt})
	case pkcs11.CKM_ECDSA:
		k := key.key.(*ecdsa.PrivateKey)
		der, err := k.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			return nil, err
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(der, &rs); err != nil {
			return nil, err
		}
		size := (k.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		rs.R.FillBytes(out[:size])
		rs.S.FillBytes(out[size:])
		return out, nil
	}
	return nil, pkcs11.Error(pkcs11.CKR_MECHANISM_INVALID)
}

func (f *fakeP11) EncryptInit(pkcs11.SessionHandle, []*pkcs11.Mechanism, pkcs11.ObjectHandle) error {
	return pkcs11.Error(pkcs11.CKR_FUNCTION_NOT_SUPPORTED)
}

func (f *fakeP11) Encrypt(pkcs11.SessionHandle, []byte) ([]byte, error) {
	return nil, pkcs11.Error(pkcs11.CKR_FUNCTION_NOT_SUPPORTED)
}

func (f *fakeP11) DecryptInit(pkcs11.SessionHandle, []*pkcs11.Mechanism, pkcs11.ObjectHandle) error {
	return pkcs11.Error(pkcs11.CKR_FUNCTION_NOT_SUPPORTED)
}

func (f *fakeP11) Decrypt(pkcs11.SessionHandle, []byte) ([]byte, error) {
	return nil, pkcs11.Error(pkcs11.CKR_FUNCTION_NOT_SUPPORTED)
}
