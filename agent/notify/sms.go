package notify

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"

	"clinicgw/sync/tlsconf"
)

// DefaultSMSBody is the gateway request's body unless configured: JSON
// with the number and the text.
const DefaultSMSBody = `{"to":{{json .To}},"text":{{json .Text}}}`

// SMSConfig is the HTTP SMS gateway notices are sent through.
type SMSConfig struct {
	URL string // https://…; POSTed to
	// Body is a text/template of the request body with .To and .Text;
	// {{json .X}} writes a JSON string. DefaultSMSBody if "".
	Body        string
	ContentType string            // "application/json" if ""
	Header      map[string]string // e.g. Authorization
	// RootCAs is the CA the gateway's certificate must chain to; the
	// system's roots if nil. The TLS configuration itself comes from
	// tlsconf.PublicClient.
	RootCAs *x509.CertPool
	Timeout time.Duration // for one request; 30 s if 0
}

// Texter sends notices by SMS.
type Texter struct {
	cfg    SMSConfig
	body   *template.Template
	client *http.Client
}

// ErrBodyTemplate is NewTexter's error for a Body that is not a template.
var ErrBodyTemplate = errors.New("sms: body template")

// NewTexter checks cfg and returns a Texter.
func NewTexter(cfg SMSConfig) (*Texter, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("sms: url %q: expected https://host/path", cfg.URL)
	}
	if cfg.Body == "" {
		cfg.Body = DefaultSMSBody
	}
	if cfg.ContentType == "" {
		cfg.ContentType = "application/json"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	body, err := template.New("sms").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(s string) (string, error) { b, err := json.Marshal(s); return string(b), err },
	}).Parse(cfg.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBodyTemplate, err)
	}
	// No connection is kept after a send: notices are minutes apart, and
	// an idle one would outlive the gateway's stop (the Texter has no Close).
	tr := tlsconf.NewTransport(tlsconf.PublicClient(cfg.RootCAs, ""))
	tr.DisableKeepAlives = true
	client := &http.Client{Timeout: cfg.Timeout, Transport: tr}
	return &Texter{cfg: cfg, body: body, client: client}, nil
}

// Send delivers text to the mobile number to; any 2xx answer is success.
func (s *Texter) Send(ctx context.Context, to, text string) error {
	if strings.Trim(to, "+0123456789- ") != "" || len(to) < 5 || len(to) > 20 {
		return fmt.Errorf("recipient: %q is not a mobile number", to)
	}
	var body bytes.Buffer
	if err := s.body.Execute(&body, struct{ To, Text string }{to, text}); err != nil {
		return fmt.Errorf("sms body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", s.cfg.ContentType)
	for k, v := range s.cfg.Header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("sms gateway answered %s", resp.Status)
	}
	return nil
}
