package siths

import (
	"bufio"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"clinicgw/cardauth/devpki"
	"clinicgw/sync/clock/clocktest"
)

// TestOpenSSL checks the profile against revocation services it was not
// written with: OpenSSL's OCSP responder (`openssl ocsp -index`, a real
// server answering over HTTP, signing as the CA itself or as a delegated
// responder) and a CRL made by `openssl ca -gencrl` with an
// issuingDistributionPoint, for the dev PKI's person CA.
func TestOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("the openssl command is not installed (Debian: apt-get install openssl); this test runs OpenSSL's OCSP responder and CA")
	}
	now := time.Now().UTC().Truncate(time.Second)
	clock := clocktest.New(now)
	p, err := devpki.New(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := p.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	crlSrv := newResponder(t)
	leaf := func(alg string) *x509.Certificate {
		c, _, err := p.Person(hsaID, "Sigrid", "Sithsson", alg, devpki.CRL(crlSrv.url("/person.crl")))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	good, revoked, unknown := leaf(devpki.KeyECDSAP256), leaf(devpki.KeyRSA2048), leaf(devpki.KeyECDSAP256)
	revokedAt := now.Add(-time.Hour)
	index := indexLine("V", good, time.Time{}) + indexLine("R", revoked, revokedAt)
	write(t, filepath.Join(dir, "index.txt"), index)
	write(t, filepath.Join(dir, "crlnumber"), "01\n")
	for _, r := range []struct {
		name    string
		signing bool
	}{{"responder", true}, {"not-responder", false}} {
		cert, key, err := p.OCSPResponder(r.signing)
		if err != nil {
			t.Fatal(err)
		}
		writeCertKey(t, dir, r.name, cert, key)
	}

	// The CRL, by OpenSSL's CA from the same index, served as DER.
	write(t, filepath.Join(dir, "ca.cnf"), fmt.Sprintf(`[ca]
default_ca = dev
[dev]
database = %[1]s/index.txt
crlnumber = %[1]s/crlnumber
default_md = sha256
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
issuingDistributionPoint = critical, @idp
[idp]
fullname = URI:%[2]s
onlyuser = TRUE
`, dir, crlSrv.url("/person.crl")))
	run(t, bin, "ca", "-gencrl", "-config", filepath.Join(dir, "ca.cnf"), "-cert", filepath.Join(dir, "person-ca.pem"),
		"-keyfile", filepath.Join(dir, "person-ca.key"), "-crlhours", "24", "-out", filepath.Join(dir, "crl.pem"))
	run(t, bin, "crl", "-in", filepath.Join(dir, "crl.pem"), "-outform", "DER", "-out", filepath.Join(dir, "crl.der"))
	crlDER, err := os.ReadFile(filepath.Join(dir, "crl.der"))
	if err != nil {
		t.Fatal(err)
	}

	if list, err := x509.ParseRevocationList(crlDER); err != nil || !slices.ContainsFunc(list.Extensions, func(e pkix.Extension) bool {
		return e.Id.Equal(oidIssuingDP) && e.Critical
	}) {
		t.Fatalf("OpenSSL's CRL: %v; want one with a critical issuingDistributionPoint", err)
	}

	asCA := startOCSP(t, bin, dir, "person-ca", "-nmin", "60")
	// OpenSSL puts the signer's certificate in the response even when that
	// is the CA itself, which ocsp.ParseResponseForCert with the issuer
	// given refuses (it wants the issuer to have signed that certificate).
	req, err := ocsp.CreateRequest(good, p.PersonCA(), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := (&Verifier{cfg: Config{HTTP: http.DefaultClient, FetchTimeout: 10 * time.Second}}).fetch(context.Background(), http.MethodPost, asCA, req, "application/ocsp-request", maxOCSPBody)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := ocsp.ParseResponse(raw, nil); err != nil || resp.Certificate == nil || !resp.Certificate.Equal(p.PersonCA()) {
		t.Fatalf("OpenSSL's CA-signed response: %v; want it to carry the CA's certificate", err)
	}
	if _, err := ocsp.ParseResponseForCert(raw, good, p.PersonCA()); err == nil {
		t.Log("ocsp.ParseResponseForCert now accepts a response carrying the issuer's own certificate")
	}

	delegated := startOCSP(t, bin, dir, "responder", "-nmin", "60")
	notResponder := startOCSP(t, bin, dir, "not-responder", "-nmin", "60")
	noNextUpdate := startOCSP(t, bin, dir, "person-ca")
	down := closedURL(t)

	for _, tc := range []struct {
		name    string
		ocsp    string
		crl     bool // the CRL is served
		cert    *x509.Certificate
		advance time.Duration
		want    Revocation
		err     error
		revoked string
	}{
		{name: "CA-signed, good", ocsp: asCA, cert: good, want: GoodOCSP},
		{name: "CA-signed, revoked", ocsp: asCA, cert: revoked, revoked: "ocsp"},
		{name: "CA-signed, unknown, CRL without it", ocsp: asCA, crl: true, cert: unknown, want: GoodCRL},
		{name: "CA-signed, unknown, no CRL", ocsp: asCA, cert: unknown, err: errUnknown},
		{name: "delegated, good", ocsp: delegated, cert: good, want: GoodOCSP},
		{name: "delegated, revoked", ocsp: delegated, cert: revoked, revoked: "ocsp"},
		{name: "delegated without OCSPSigning, good", ocsp: notResponder, cert: good, err: errNotAuthorized},
		{name: "delegated without OCSPSigning, revoked, CRL", ocsp: notResponder, crl: true, cert: revoked, revoked: "crl"},
		{name: "no nextUpdate, just made", ocsp: noNextUpdate, cert: good, want: GoodOCSP},
		{name: "no nextUpdate, our clock 10 min on", ocsp: noNextUpdate, cert: good, advance: 10 * time.Minute, err: errStale},
		{name: "no nextUpdate, our clock 10 min on, CRL", ocsp: noNextUpdate, crl: true, cert: good, advance: 10 * time.Minute, want: GoodCRL},
		{name: "responder down, CRL, good", ocsp: down, crl: true, cert: good, want: GoodCRL},
		{name: "responder down, CRL, revoked", ocsp: down, crl: true, cert: revoked, revoked: "crl"},
		{name: "responder down, no CRL", ocsp: down, cert: good, err: ErrUndetermined},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := clocktest.New(clock.Now().Add(tc.advance))
			var body []byte
			if tc.crl {
				body = crlDER
			}
			crlSrv.serve(nil, body)
			v, err := New(Config{Roots: p.Roots(), Intermediates: []*x509.Certificate{p.PersonCA()}, Clock: c, OCSPURL: tc.ocsp})
			if err != nil {
				t.Fatal(err)
			}
			id, err := v.Verify(context.Background(), tc.cert, nil)
			var rev *RevokedError
			switch {
			case tc.revoked != "":
				if !errors.As(err, &rev) || rev.Source != tc.revoked || rev.Reason != 1 || !rev.At.Equal(revokedAt) {
					t.Fatalf("Verify = %v, want revoked (keyCompromise, at %v) per %s", err, revokedAt, tc.revoked)
				}
			case tc.err != nil:
				if !errors.Is(err, ErrUndetermined) || !errors.Is(err, tc.err) {
					t.Fatalf("Verify = %v, want ErrUndetermined with %v", err, tc.err)
				}
			default:
				if err != nil || id.Revocation != tc.want {
					t.Fatalf("Verify = %+v, %v; want %s", id, err, tc.want)
				}
			}
		})
	}
}

// indexLine is an OpenSSL CA database line about c: status V or R.
func indexLine(status string, c *x509.Certificate, revokedAt time.Time) string {
	rev := ""
	if status == "R" {
		rev = revokedAt.UTC().Format("060102150405Z") + ",keyCompromise"
	}
	sn := fmt.Sprintf("%X", c.SerialNumber)
	if len(sn)%2 == 1 {
		sn = "0" + sn
	}
	return strings.Join([]string{status, c.NotAfter.UTC().Format("060102150405Z"), rev, sn, "unknown", "/CN=" + c.Subject.CommonName}, "\t") + "\n"
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeCertKey(t *testing.T, dir, name string, cert *x509.Certificate, key crypto.Signer) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, name+".pem"), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})))
	write(t, filepath.Join(dir, name+".key"), string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v\n%s", args[0], err, out)
	}
}

// startOCSP runs OpenSSL's OCSP responder for the person CA, signing with
// dir/signer.pem and .key, on a port the system picks, and returns its
// URL. The process is killed and waited for when the test ends.
func startOCSP(t *testing.T, bin, dir, signer string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"ocsp", "-index", filepath.Join(dir, "index.txt"), "-CA", filepath.Join(dir, "person-ca.pem"),
		"-rsigner", filepath.Join(dir, signer+".pem"), "-rkey", filepath.Join(dir, signer+".key"), "-port", "0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-drained
		cmd.Wait()
	})
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n') // "ACCEPT [::]:PORT PID=N"
	go func() { io.Copy(io.Discard, rd); close(drained) }()
	if err != nil || !strings.HasPrefix(line, "ACCEPT ") {
		t.Fatalf("openssl ocsp did not start: %q, %v", line, err)
	}
	addr, _, _ := strings.Cut(strings.TrimPrefix(line, "ACCEPT "), " ")
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	if _, ok := new(big.Int).SetString(port, 10); !ok {
		t.Fatalf("openssl ocsp: no port in %q", line)
	}
	return "http://127.0.0.1:" + port + "/"
}
