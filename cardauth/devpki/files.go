package devpki

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

var caFiles = []struct {
	name string
	ca   func(*PKI) *ca
}{
	{"root", func(p *PKI) *ca { return &p.root }},
	{"function-ca", func(p *PKI) *ca { return &p.function }},
	{"person-ca", func(p *PKI) *ca { return &p.person }},
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, mode); err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	return os.Chmod(path, mode) // WriteFile keeps the mode of an existing file
}

func writeKey(path string, key crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

// WriteDir writes the three CA certificates and their keys to dir (created
// 0700 if missing).
func (p *PKI) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	for _, f := range caFiles {
		c := f.ca(p)
		if err := writePEM(filepath.Join(dir, f.name+".pem"), "CERTIFICATE", c.cert.Raw, 0o644); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(dir, f.name+".key"), c.key); err != nil {
			return err
		}
	}
	return nil
}

// WriteTLS writes a certificate with its chain to dir/name.pem and its key
// to dir/name.key (0600), for configurations that name files.
func WriteTLS(dir, name string, cert tls.Certificate) error {
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pem"), chain, 0o644); err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	key, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return errors.New("devpki: the certificate's key cannot be written")
	}
	return writeKey(filepath.Join(dir, name+".key"), key)
}

func readPEM(path, kind string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("devpki: %w", err)
	}
	b, _ := pem.Decode(data)
	if b == nil || b.Type != kind {
		return nil, fmt.Errorf("devpki: %s holds no PEM %s", path, kind)
	}
	return b.Bytes, nil
}

// Load reads a hierarchy written by WriteDir; it issues certificates valid
// from now.
func Load(dir string, random io.Reader, now time.Time) (*PKI, error) {
	if random == nil {
		random = rand.Reader
	}
	p := &PKI{rand: random, now: now}
	for _, f := range caFiles {
		der, err := readPEM(filepath.Join(dir, f.name+".pem"), "CERTIFICATE")
		if err != nil {
			return nil, err
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("devpki: %s.pem: %w", f.name, err)
		}
		kder, err := readPEM(filepath.Join(dir, f.name+".key"), "PRIVATE KEY")
		if err != nil {
			return nil, err
		}
		k, err := x509.ParsePKCS8PrivateKey(kder)
		if err != nil {
			return nil, fmt.Errorf("devpki: %s.key: %w", f.name, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("devpki: %s.key is not a signing key", f.name)
		}
		*f.ca(p) = ca{cert: cert, key: signer}
	}
	return p, nil
}
