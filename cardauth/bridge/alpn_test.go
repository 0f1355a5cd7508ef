package bridge

import (
	"context"
	"crypto/tls"
	"slices"
	"testing"
)

// The presence websocket offers only HTTP/1.1, whatever the gateway TLS
// configuration it was given offers (tlsconf.Client offers h2 too, which
// a gateway serving HTTP/2 would pick and then refuse the upgrade), and
// the caller's configuration is left as it was.
func TestPresenceDialerOffersHTTP1Only(t *testing.T) {
	given := &tls.Config{NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12}
	b, err := New(Config{Gateway: "https://127.0.0.1:8443", GatewayTLS: given, Cards: emptyReaderCards{}, Reader: idleReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.dialer.TLSClientConfig.NextProtos; !slices.Equal(got, []string{"http/1.1"}) {
		t.Errorf("presence dialer offers %q, want only http/1.1", got)
	}
	if !slices.Equal(given.NextProtos, []string{"h2", "http/1.1"}) {
		t.Errorf("the caller's TLS configuration was changed: %q", given.NextProtos)
	}
}

type emptyReaderCards struct{}

func (emptyReaderCards) Open(context.Context) (Card, error) { return nil, ErrNoCard }

type idleReader struct{}

func (idleReader) Watch(ctx context.Context, fn func(bool)) error {
	fn(false)
	<-ctx.Done()
	return nil
}
