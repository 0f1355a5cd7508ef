package devpki

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"clinicgw/sync/atomicfile"
)

// File modes: certificates are public, keys readable by their owner only.
const (
	certMode os.FileMode = 0o644
	keyMode  os.FileMode = 0o600
	dirMode  os.FileMode = 0o700
)

// caFiles names the three CAs' files in a WriteDir folder (name.pem,
// name.key) and says where each lives in a PKI.
var caFiles = []struct {
	name string
	ca   func(*PKI) *ca
}{
	{"root", func(p *PKI) *ca { return &p.root }},
	{"function-ca", func(p *PKI) *ca { return &p.function }},
	{"person-ca", func(p *PKI) *ca { return &p.person }},
}

// writeFile replaces path with data (see atomicfile: a key is never
// readable by others, not even for a moment).
func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := atomicfile.Write(path, data, mode); err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	return nil
}

func certPEM(ders ...[]byte) []byte {
	var out []byte
	for _, der := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return out
}

func writeKey(path string, key crypto.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("devpki: encode key for %s: %w", path, err)
	}
	return writeFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), keyMode)
}

// WriteDir writes the three CA certificates and their keys to dir (created
// 0700 if missing), so that Load can issue more later: root.pem,
// function-ca.pem and person-ca.pem (mode 0644), root.key, function-ca.key
// and person-ca.key (PKCS#8 PEM, mode 0600). Existing files are replaced.
func (p *PKI) WriteDir(dir string) error {
	if err := atomicfile.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("devpki: %w", err)
	}
	for _, f := range caFiles {
		c := f.ca(p)
		if err := writeFile(filepath.Join(dir, f.name+".pem"), certPEM(c.cert.Raw), certMode); err != nil {
			return err
		}
		if err := writeKey(filepath.Join(dir, f.name+".key"), c.key); err != nil {
			return err
		}
	}
	return nil
}

// WriteTLS writes a certificate with its chain to dir/name.pem (0644) and
// its key to dir/name.key (PKCS#8 PEM, 0600), for configurations that name
// files (tlsconf.LoadKeyPair reads them).
func WriteTLS(dir, name string, cert tls.Certificate) error {
	if len(cert.Certificate) == 0 {
		return fmt.Errorf("devpki: %s: no certificate to write", name)
	}
	if cert.PrivateKey == nil {
		return fmt.Errorf("devpki: %s: the certificate has no private key to write", name)
	}
	if err := writeFile(filepath.Join(dir, name+".pem"), certPEM(cert.Certificate...), certMode); err != nil {
		return err
	}
	return writeKey(filepath.Join(dir, name+".key"), cert.PrivateKey)
}

// readPEM returns the first PEM block of path, which must be of type kind.
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

// readCA reads dir/name.pem and dir/name.key and checks that they belong
// together and make a CA valid at now.
func readCA(dir, name string, now time.Time) (ca, error) {
	certFile, keyFile := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	der, err := readPEM(certFile, "CERTIFICATE")
	if err != nil {
		return ca{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return ca{}, fmt.Errorf("devpki: %s: %w", certFile, err)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return ca{}, fmt.Errorf("devpki: %s is not a CA certificate", certFile)
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return ca{}, fmt.Errorf("devpki: %s is valid from %s to %s, not now (%s); remove %s to make a new development PKI",
			certFile, cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), dir)
	}
	kder, err := readPEM(keyFile, "PRIVATE KEY")
	if err != nil {
		return ca{}, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kder)
	if err != nil {
		return ca{}, fmt.Errorf("devpki: %s: %w", keyFile, err)
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return ca{}, fmt.Errorf("devpki: %s is not a signing key", keyFile)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return ca{}, fmt.Errorf("devpki: %s is not the key of %s", keyFile, certFile)
	}
	return ca{cert: cert, key: signer}, nil
}

// Load reads a hierarchy written by WriteDir and checks it: each key
// belongs to its certificate, the function and person CAs are issued by
// the root, and all three are valid at now. Certificates it issues are
// valid from now. A nil random means crypto/rand. A missing file is an
// error that matches fs.ErrNotExist (errors.Is).
func Load(dir string, random io.Reader, now time.Time) (*PKI, error) {
	if random == nil {
		random = rand.Reader
	}
	p := &PKI{rand: random, now: now}
	for _, f := range caFiles {
		c, err := readCA(dir, f.name, now)
		if err != nil {
			return nil, err
		}
		*f.ca(p) = c
	}
	if err := p.root.cert.CheckSignatureFrom(p.root.cert); err != nil {
		return nil, fmt.Errorf("devpki: %s is not a self-signed root: %w", filepath.Join(dir, "root.pem"), err)
	}
	for _, c := range []struct {
		name string
		ca   ca
	}{{"function-ca", p.function}, {"person-ca", p.person}} {
		if err := c.ca.cert.CheckSignatureFrom(p.root.cert); err != nil {
			return nil, fmt.Errorf("devpki: %s is not issued by %s: %w",
				filepath.Join(dir, c.name+".pem"), filepath.Join(dir, "root.pem"), err)
		}
	}
	return p, nil
}
