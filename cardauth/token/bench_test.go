package token_test

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
)

// BenchmarkSignSoftHSM signs on SoftHSM2 through the Signer and, in the
// same loop, with raw miekg/pkcs11 calls on a second session of the same
// token (C_SignInit + C_Sign, no goroutine, no deadline, no DER), and
// reports both times and their ratio: the wrapper's overhead.
func BenchmarkSignSoftHSM(b *testing.B) {
	for _, alg := range []string{devpki.KeyRSA2048, devpki.KeyECDSAP256} {
		b.Run(alg, func(b *testing.B) {
			h := softhsm.New(b)
			label := fmt.Sprintf("bench-%d", labelN.Add(1))
			tk := h.InitToken(label, soPIN, userPIN)
			tk.ProvisionPerson(testPKI(b), hsaID, "Bench", "Person", alg)
			tok, err := token.Open(b.Context(), token.Config{Module: softhsm.ModulePath, TokenLabel: label})
			if err != nil {
				b.Fatal(err)
			}
			defer tok.Close()
			if err := tok.Login(b.Context(), userPIN); err != nil {
				b.Fatal(err)
			}
			s, err := tok.AuthCert(b.Context())
			if err != nil {
				b.Fatal(err)
			}

			mod, err := token.OpenModule(softhsm.ModulePath)
			if err != nil {
				b.Fatal(err)
			}
			defer mod.Close()
			c := mod.Ctx()
			sess, err := c.OpenSession(tok.Slot(), pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				b.Fatal(err)
			}
			defer c.CloseSession(sess)
			if err := c.FindObjectsInit(sess, []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
				pkcs11.NewAttribute(pkcs11.CKA_ID, s.ID()),
			}); err != nil {
				b.Fatal(err)
			}
			keys, _, err := c.FindObjects(sess, 1)
			_ = c.FindObjectsFinal(sess)
			if err != nil || len(keys) != 1 {
				b.Fatalf("raw key lookup: %v (%d keys)", err, len(keys))
			}
			d := sha256.Sum256([]byte("challenge"))
			mech, data := uint(pkcs11.CKM_ECDSA), d[:]
			if alg == devpki.KeyRSA2048 {
				prefix := []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
				mech, data = pkcs11.CKM_RSA_PKCS, append(prefix, d[:]...)
			}

			var raw, wrapped time.Duration
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				if err := c.SignInit(sess, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, keys[0]); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Sign(sess, data); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.Sign(rand.Reader, d[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				raw += t1.Sub(t0)
				wrapped += t2.Sub(t1)
			}
			b.StopTimer()
			b.ReportMetric(float64(raw.Nanoseconds())/float64(b.N), "raw-ns/sign")
			b.ReportMetric(float64(wrapped.Nanoseconds())/float64(b.N), "wrapped-ns/sign")
			b.ReportMetric(float64(wrapped)/float64(raw), "wrapped/raw")
		})
	}
}
