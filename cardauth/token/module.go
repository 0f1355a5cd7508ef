package token

import (
	"errors"
	"fmt"
	"sync"

	"github.com/miekg/pkcs11"
)

// p11 is the part of a PKCS#11 module the package uses; *pkcs11.Ctx
// satisfies it, and tests use an in-memory fake.
type p11 interface {
	GetSlotList(tokenPresent bool) ([]uint, error)
	GetSlotInfo(slotID uint) (pkcs11.SlotInfo, error)
	GetTokenInfo(slotID uint) (pkcs11.TokenInfo, error)
	GetMechanismList(slotID uint) ([]*pkcs11.Mechanism, error)
	OpenSession(slotID uint, flags uint) (pkcs11.SessionHandle, error)
	CloseSession(sh pkcs11.SessionHandle) error
	Login(sh pkcs11.SessionHandle, userType uint, pin string) error
	Logout(sh pkcs11.SessionHandle) error
	FindObjectsInit(sh pkcs11.SessionHandle, temp []*pkcs11.Attribute) error
	FindObjects(sh pkcs11.SessionHandle, max int) ([]pkcs11.ObjectHandle, bool, error)
	FindObjectsFinal(sh pkcs11.SessionHandle) error
	GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, a []*pkcs11.Attribute) ([]*pkcs11.Attribute, error)
	SignInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Sign(sh pkcs11.SessionHandle, message []byte) ([]byte, error)
	EncryptInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Encrypt(sh pkcs11.SessionHandle, message []byte) ([]byte, error)
	DecryptInit(sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, o pkcs11.ObjectHandle) error
	Decrypt(sh pkcs11.SessionHandle, cipher []byte) ([]byte, error)
}

var _ p11 = (*pkcs11.Ctx)(nil)

// module is one loaded, initialised PKCS#11 library, shared by every
// user in the process: C_Initialize may be called once per module per
// process, and C_Finalize only when its last user is done.
type module struct {
	path  string
	ctx   *pkcs11.Ctx // nil for a fake
	p     p11
	users int          // guarded by registry.mu
	slots map[uint]int // open Tokens per slot, guarded by registry.mu
	stuck int          // calls abandoned at their deadline and still running, guarded by registry.mu
}

// ErrModuleStuck is returned by Open while a call abandoned at its
// deadline (ErrTokenHung) is still running inside the module: OpenSC
// 0.23 then holds its global lock for good, and every call would hang
// too. If the call never returns, only a new process frees the module:
// restart the service.
var ErrModuleStuck = errors.New("token: the card software (PKCS#11 module) is stuck in an earlier call; remove and insert the card, and restart the service if this persists")

// abandoned counts a call left running at its deadline; the returned
// function uncounts it when the call returns at last.
func (m *module) abandoned() (returned func()) {
	registry.mu.Lock()
	m.stuck++
	registry.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			registry.mu.Lock()
			m.stuck--
			registry.mu.Unlock()
		})
	}
}

// isStuck reports whether an abandoned call still runs in the module.
func (m *module) isStuck() bool {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return m.stuck > 0
}

// registry holds the modules loaded in this process, by path.
var registry = struct {
	mu   sync.Mutex
	mods map[string]*module
}{mods: map[string]*module{}}

// ErrSlotBusy is returned by Open for a slot another Token of this
// process has open: login state is per slot, so two users of one card
// would share it.
var ErrSlotBusy = errors.New("token: the token is already open in this process; close it first")

// acquire loads and initialises the module at path, or takes another
// reference to the one already loaded.
func acquire(path string) (*module, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if m, ok := registry.mods[path]; ok {
		m.users++
		return m, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("token: cannot load the PKCS#11 module %s; check the path in the configuration and that the file is installed", path)
	}
	if err := ctx.Initialize(); err != nil {
		ctx.Destroy()
		return nil, fmt.Errorf("token: initialise the PKCS#11 module %s: %w", path, err)
	}
	m := &module{path: path, ctx: ctx, p: ctx, users: 1, slots: map[uint]int{}}
	registry.mods[path] = m
	return m, nil
}

// register adds a module that is already initialised (a fake in tests).
func register(path string, p p11) *module {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if m, ok := registry.mods[path]; ok {
		m.users++
		return m
	}
	m := &module{path: path, p: p, users: 1, slots: map[uint]int{}}
	registry.mods[path] = m
	return m
}

// release drops one reference; the last one finalises and unloads the
// module.
func (m *module) release() error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m.users--
	if m.users > 0 {
		return nil
	}
	delete(registry.mods, m.path)
	if m.ctx == nil {
		return nil
	}
	err := m.ctx.Finalize()
	m.ctx.Destroy()
	if err != nil {
		return fmt.Errorf("token: finalise the PKCS#11 module %s: %w", m.path, err)
	}
	return nil
}

// claimSlot marks slot as held by a Token; false if another holds it.
func (m *module) claimSlot(slot uint) bool {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if m.slots[slot] > 0 {
		return false
	}
	m.slots[slot]++
	return true
}

func (m *module) freeSlot(slot uint) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	m.slots[slot]--
	if m.slots[slot] <= 0 {
		delete(m.slots, slot)
	}
}

// Module is a process-wide reference to a loaded PKCS#11 library, for
// tools and test harnesses that make raw PKCS#11 calls (provisioning a
// token) in a process that also opens Tokens: both share the one
// C_Initialize. Close it when done; the library is finalised when its
// last user (Module or Token) closes.
type Module struct {
	m    *module
	once sync.Once
}

// OpenModule loads and initialises the PKCS#11 library at path, or
// shares the one this process already has.
func OpenModule(path string) (*Module, error) {
	m, err := acquire(path)
	if err != nil {
		return nil, err
	}
	return &Module{m: m}, nil
}

// Ctx returns the library's context for raw calls. Its sessions must be
// closed before the Module is.
func (m *Module) Ctx() *pkcs11.Ctx { return m.m.ctx }

// Close drops this reference to the library.
func (m *Module) Close() error {
	err := errors.New("token: module already closed")
	m.once.Do(func() { err = m.m.release() })
	return err
}
