package softhsm

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/provision"
)

// ModulePath is where Debian's softhsm2 package installs the module.
const ModulePath = provision.SoftHSMModule

// dir is the token folder Main made; "" before.
var (
	mainMu  sync.Mutex
	mainDir string
)

// ChildConfEnv, set by a test to (*SoftHSM).ConfPath for the test
// binary it runs again as a child process, makes the child's Main use
// that configuration, so the child sees the parent's tokens.
const ChildConfEnv = "CLINICGW_TEST_SOFTHSM2_CONF"

// Main makes a private token folder and configuration, points
// SOFTHSM2_CONF at it, runs the tests and removes the folder. Use it as
// os.Exit(softhsm.Main(m)) in TestMain. In a child process given
// ChildConfEnv it uses the parent's folder instead.
func Main(m *testing.M) int {
	if conf := os.Getenv(ChildConfEnv); conf != "" {
		if err := os.Setenv(provision.SoftHSMConfEnv, conf); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		mainMu.Lock()
		mainDir = filepath.Dir(conf)
		mainMu.Unlock()
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "softhsm-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "softhsm: make the token folder:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	conf, err := provision.SoftHSMConfig(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.Setenv(provision.SoftHSMConfEnv, conf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mainMu.Lock()
	mainDir = dir
	mainMu.Unlock()
	return m.Run()
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
	return append(os.Environ(), provision.SoftHSMConfEnv+"="+filepath.Join(h.dir, "softhsm2.conf"))
}

// ConfPath is the SoftHSM2 configuration file of the test's tokens.
func (h *SoftHSM) ConfPath() string { return filepath.Join(h.dir, "softhsm2.conf") }

// Token is a SoftHSM2 token made by InitToken; its methods fail the test
// on error.
type Token struct {
	h *SoftHSM
	*provision.Token
}

// Credential is a certificate on a token with its CKA_ID and label.
type Credential = provision.Credential

// Person is a staff card's authentication and signing credentials.
type Person = provision.Person

// InitToken initialises the free slot's token with label and PINs, in
// this process (softhsm2-util in another process would make a token the
// loaded module never sees). Labels must be unique in the test binary.
func (h *SoftHSM) InitToken(label, soPIN, userPIN string) *Token {
	h.t.Helper()
	tk, err := provision.InitToken(h.mod, label, soPIN, userPIN)
	if err != nil {
		h.t.Fatalf("softhsm: %v", err)
	}
	return &Token{h: h, Token: tk}
}

// ProvisionPerson writes a SITHS-like card onto the token (see
// provision.Token.Person): an authentication key pair generated on the
// token with its certificate from pki, and a signing certificate.
func (tk *Token) ProvisionPerson(pki *devpki.PKI, hsaID, given, surname, alg string) Person {
	tk.h.t.Helper()
	p, err := tk.Person(pki, hsaID, given, surname, alg)
	if err != nil {
		tk.h.t.Fatalf("softhsm: %v", err)
	}
	return p
}

// GenerateAESKey makes a non-extractable AES key (bits 128 or 256)
// labelled label on the token: a key-encryption key.
func (tk *Token) GenerateAESKey(label string, bits int) {
	tk.h.t.Helper()
	if err := tk.Token.GenerateAESKey(label, bits); err != nil {
		tk.h.t.Fatalf("softhsm: %v", err)
	}
}
