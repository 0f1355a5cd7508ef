package agent

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"clinicgw/agent/metrics"
	"clinicgw/agent/store"
	"clinicgw/sync/tlsconf"
)

// The commands' side of the admin listener: `clinicgw backup` takes the
// running gateway's copy from it, `clinicgw restore` refuses while it
// answers.

// ErrAdminNotAnswering means nothing listens at admin.listen: the
// gateway is not running (or runs without [admin]).
var ErrAdminNotAnswering = errors.New("the admin listener does not answer")

// adminDialAddr is where a command on this machine reaches the admin
// listener: admin.listen, with a wildcard host made loopback.
func adminDialAddr(c AdminConfig) (string, error) {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", fmt.Errorf("admin.listen: %w", err)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return net.JoinHostPort(host, port), nil
}

// AdminAnswers reports whether something accepts connections at the
// admin listener's address, and the address; false without [admin].
func AdminAnswers(ctx context.Context, cfg *Config) (string, bool) {
	if !cfg.Admin.Enabled() {
		return "", false
	}
	addr, err := adminDialAddr(cfg.Admin)
	if err != nil {
		return "", false
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return addr, false
	}
	conn.Close()
	return addr, true
}

// adminClient is an HTTP client for the admin listener, the base URL and
// the bearer token ("" without admin.token_file). Over TLS it trusts only
// the certificate the listener is configured with (admin.cert_file, else
// ui.cert_file), for that certificate's own name.
func adminClient(cfg *Config) (*http.Client, string, string, error) {
	c := cfg.Admin
	addr, err := adminDialAddr(c)
	if err != nil {
		return nil, "", "", err
	}
	var token string
	if c.TokenFile != "" {
		if token, err = readSecret(cfg.Resolve(c.TokenFile)); err != nil {
			return nil, "", "", fmt.Errorf("admin.token_file: %w", err)
		}
	}
	tr := tlsconf.NewTransport(nil) // plain http: an https URL fails
	scheme := "http"
	if c.TLS {
		scheme = "https"
		certFile, key := c.CertFile, "admin.cert_file"
		if certFile == "" {
			certFile, key = cfg.UI.CertFile, "ui.cert_file"
		}
		pool, name, err := pinnedCert(cfg.Resolve(certFile))
		if err != nil {
			return nil, "", "", fmt.Errorf("%s: %w", key, err)
		}
		tr.TLSClientConfig = tlsconf.Client(tls.Certificate{}, pool, name, nil)
	}
	return &http.Client{Transport: tr}, scheme + "://" + addr, token, nil
}

// pinnedCert makes a pool of the certificates in the PEM file the
// listener serves (its own certificate first, as x509 verification trusts
// a certificate found in the pool itself) and a name the first is valid
// for: the command trusts exactly the certificate the listener is
// configured with.
func pinnedCert(file string) (*x509.CertPool, string, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, "", err
	}
	pool := x509.NewCertPool()
	var leaf *x509.Certificate
	for {
		var b *pem.Block
		if b, raw = pem.Decode(raw); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, "", err
		}
		if leaf == nil {
			leaf = cert
		}
		pool.AddCert(cert)
	}
	switch {
	case leaf == nil:
		return nil, "", errors.New("no PEM certificate in it")
	case len(leaf.DNSNames) > 0:
		return pool, leaf.DNSNames[0], nil
	case len(leaf.IPAddresses) > 0:
		return pool, leaf.IPAddresses[0].String(), nil
	}
	return nil, "", errors.New("the certificate names no host")
}

// BackupFromAdmin takes a consistent copy of the running gateway's store
// from its admin listener (/backup) and writes it to w, with progress (if
// not nil) now and then. Nothing listening there is ErrAdminNotAnswering,
// before anything is written.
func BackupFromAdmin(ctx context.Context, cfg *Config, w io.Writer, progress func(done, total int64)) (store.Manifest, error) {
	if !cfg.Admin.Enabled() {
		return store.Manifest{}, ErrAdminNotAnswering
	}
	client, base, _, err := adminClient(cfg)
	if err != nil {
		return store.Manifest{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+metrics.PathBackup, nil)
	if err != nil {
		return store.Manifest{}, err
	}
	// The running gateway's one-run backup token, beside the store. None
	// there (nothing running, or a folder this user cannot read): the
	// request goes without it, to tell which.
	token, tokErr := readSecret(BackupTokenPath(cfg))
	if tokErr == nil {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return store.Manifest{}, fmt.Errorf("%w at %s", ErrAdminNotAnswering, base)
		}
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: %w", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized && tokErr != nil {
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: the backup token beside the store cannot be read (%w): run clinicgw backup as the user the gateway runs as", base, tokErr)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: %s: %s", base, resp.Status, strings.TrimSpace(string(msg)))
	}
	var m store.Manifest
	if err := json.Unmarshal([]byte(resp.Header.Get(HeaderBackupManifest)), &m); err != nil {
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: its manifest header: %w", base, err)
	}
	if m.Unit != cfg.Unit.HSAID {
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: the gateway there serves care unit %q, this configuration %q", base, m.Unit, cfg.Unit.HSAID)
	}
	h := sha256.New()
	var n int64
	buf := make([]byte, 1<<20)
	last := int64(0)
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return store.Manifest{}, err
			}
			h.Write(buf[:k])
			n += int64(k)
			if progress != nil && n-last >= 4<<20 {
				last = n
				progress(n, m.Size)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: the copy broke off after %d of %d bytes: %w", base, n, m.Size, rerr)
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want := resp.Trailer.Get(HeaderBackupSHA256); n != m.Size || want != sum {
		return store.Manifest{}, fmt.Errorf("backup from the admin listener %s: the copy arrived incomplete (%d of %d bytes, SHA-256 %s, the gateway's %q)", base, n, m.Size, sum, want)
	}
	if progress != nil {
		progress(n, m.Size)
	}
	m.SHA256 = sum
	return m, nil
}
