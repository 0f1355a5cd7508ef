package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"clinicgw/cardauth"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/softhsm"
	"clinicgw/cardauth/webeidtest"
)

// TestWebEIDTokenFromSoftHSM: the bridge signs a login with a key on a
// SoftHSM2 token (RSA-2048, P-256, P-384), and the token it hands the
// page is one a standard Web eID validator accepts (the hash of origin
// and nonce follows the algorithm; appVersion is a URL), and the gateway
// logs in with it.
func TestWebEIDTokenFromSoftHSM(t *testing.T) {
	p, err := devpki.New(nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := softhsm.New(t)
	for i, tc := range []struct{ key, alg string }{{devpki.KeyRSA2048, "RS256"}, {devpki.KeyECDSAP256, "ES256"}, {devpki.KeyECDSAP384, "ES384"}} {
		t.Run(tc.alg, func(t *testing.T) {
			label := fmt.Sprintf("webeid-%d-%d", i, time.Now().UnixNano()) // labels are unique per test binary
			tk := h.InitToken(label, "87654321", "246810")
			tk.ProvisionPerson(p, fmt.Sprintf("SE2321000016-W00%d", i), "Webb", "Eidsson", tc.key)

			gw := httptest.NewUnstartedServer(nil)
			gw.StartTLS()
			defer gw.Close()
			auth, err := cardauth.New(cardauth.Config{Origin: gw.URL, Certs: certChecker{p}, Staff: staff{}})
			if err != nil {
				t.Fatal(err)
			}
			gw.Config.Handler = auth.PresenceHandler(heartbeat)
			reader := &fakeReader{present: true, ready: make(chan struct{})}
			b, err := New(Config{Gateway: gw.URL, GatewayTLS: gw.Client().Transport.(*http.Transport).TLSClientConfig,
				Cards: TokenCards{Config: token.Config{Module: h.Module(), TokenLabel: label}}, Reader: reader,
				Heartbeat: heartbeat, AppVersion: "clinicgw-bridge 1.2.3", Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			r := &rig{auth: auth, gateway: gw, b: b, reader: reader}
			r.bridge = httptest.NewServer(b.Handler())
			defer r.bridge.Close()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- b.Run(ctx) }()
			defer func() { cancel(); <-done }()
			<-reader.ready

			nonce, _, err := auth.Challenge("browser")
			if err != nil {
				t.Fatal(err)
			}
			code, body := r.call(t, "POST", PathSign, gw.URL, SignRequest{Nonce: nonce, PIN: "246810"})
			if code != http.StatusOK {
				t.Fatalf("sign: %d %s", code, body)
			}
			var tok cardauth.AuthToken
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.Algorithm != tc.alg {
				t.Errorf("algorithm %s, want %s", tok.Algorithm, tc.alg)
			}
			if u, err := url.Parse(tok.AppVersion); err != nil || u.Scheme != "https" || u.Host == "" || !strings.Contains(tok.AppVersion, "1.2.3") {
				t.Errorf("appVersion %q is not a URL naming the app and its version", tok.AppVersion)
			}
			if err := webeidtest.Check(body, gw.URL, nonce); err != nil {
				t.Errorf("a Web eID validator would refuse the bridge's %s token: %v", tc.alg, err)
			}
			if _, err := auth.Login(context.Background(), "browser", body, ""); err != nil {
				t.Errorf("the gateway refused the bridge's %s token: %v", tc.alg, err)
			}
		})
	}
}
