package provision

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/miekg/pkcs11"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
)

// SoftHSMModule is where Debian's softhsm2 package installs the module.
const SoftHSMModule = "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

// SoftHSMConfEnv is the variable SoftHSM2 reads its configuration file's
// path from, when the module is initialised.
const SoftHSMConfEnv = "SOFTHSM2_CONF"

// SoftHSMConfig makes dir/tokens and writes dir/softhsm2.conf keeping
// SoftHSM2's tokens there, and returns the configuration's path. Point
// SoftHSMConfEnv at it before the module is first loaded in a process.
func SoftHSMConfig(dir string) (string, error) {
	tokens := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return "", fmt.Errorf("softhsm: make the token folder: %w", err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	text := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return "", fmt.Errorf("softhsm: write the configuration: %w", err)
	}
	return conf, nil
}

// Token is a token made by InitToken.
type Token struct {
	mod     *token.Module
	Label   string
	SOPIN   string
	UserPIN string
	Slot    uint
}

// ErrLabelTaken is returned by InitToken when a token with the label is
// initialised already.
var ErrLabelTaken = errors.New("a token with this label exists already")

// InitToken initialises the first free slot's token of mod with label
// and PINs. It must run in the process that uses the token: SoftHSM2
// does not see tokens another process makes after it was loaded.
func InitToken(mod *token.Module, label, soPIN, userPIN string) (*Token, error) {
	c := mod.Ctx()
	slots, err := c.GetSlotList(true)
	if err != nil {
		return nil, fmt.Errorf("list slots: %w", err)
	}
	free, ok := uint(0), false
	for _, s := range slots {
		ti, err := c.GetTokenInfo(s)
		if err != nil {
			return nil, fmt.Errorf("token info: %w", err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free, ok = s, true
		} else if strings.TrimRight(ti.Label, " \x00") == label {
			return nil, fmt.Errorf("init token %q: %w", label, ErrLabelTaken)
		}
	}
	if !ok {
		return nil, errors.New("init token: no free slot")
	}
	if err := c.InitToken(free, soPIN, label); err != nil {
		return nil, fmt.Errorf("init token %q: %w", label, err)
	}
	tk := &Token{mod: mod, Label: label, SOPIN: soPIN, UserPIN: userPIN, Slot: free}
	err = tk.session(pkcs11.CKU_SO, soPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
		return c.InitPIN(s, userPIN)
	})
	if err != nil {
		return nil, err
	}
	return tk, nil
}

// session runs fn in a read-write session logged in as user with pin,
// then logs out and closes it, so that later logins start afresh (login
// state is shared by every session on a slot).
func (tk *Token) session(user uint, pin string, fn func(*pkcs11.Ctx, pkcs11.SessionHandle) error) error {
	c := tk.mod.Ctx()
	s, err := c.OpenSession(tk.Slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("open session on %q: %w", tk.Label, err)
	}
	defer c.CloseSession(s)
	if err := c.Login(s, user, pin); err != nil {
		return fmt.Errorf("login on %q: %w", tk.Label, err)
	}
	defer c.Logout(s)
	if err := fn(c, s); err != nil {
		return fmt.Errorf("token %q: %w", tk.Label, err)
	}
	return nil
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

// Person writes a SITHS-like card onto the token: an authentication key
// pair generated on the token (alg devpki.KeyECDSAP256, KeyECDSAP384 or
// KeyRSA2048), its certificate from pki (HSA-ID in the subject
// serialNumber) stored with the same CKA_ID (01) and label "auth", and a
// signing certificate with its key (CKA_ID 02, label "sign"). devpki
// issues signing certificates only with a key of its own, so that key is
// made outside the token and imported.
func (tk *Token) Person(pki *devpki.PKI, hsaID, given, surname, alg string) (Person, error) {
	var p Person
	err := tk.session(pkcs11.CKU_USER, tk.UserPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
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
	return p, err
}

// GenerateAESKey makes an AES key (bits 128 or 256) labelled label on the
// token, not extractable: a key-encryption key.
func (tk *Token) GenerateAESKey(label string, bits int) error {
	return tk.session(pkcs11.CKU_USER, tk.UserPIN, func(c *pkcs11.Ctx, s pkcs11.SessionHandle) error {
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
