package democlinic

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/cardauth"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/atomicfile"
	"clinicgw/sync/tlsconf"
)

// Member is one member of the demo staff.
type Member struct {
	HSAID   string
	Given   string
	Surname string
	Title   string
	Roles   []cases.Role
	OnLeave bool // on leave from yesterday for a week
}

// Name is the member's full name.
func (m Member) Name() string { return m.Given + " " + m.Surname }

// The demo staff: a message administrator, three clinicians (one on
// leave), a unit administrator and an auditor.
var Staff = []Member{
	{HSAID: "SE2321000016-DEMOADM", Given: "Maja", Surname: "Mottagare", Title: "Medicinsk sekreterare", Roles: []cases.Role{cases.Distributor}},
	{HSAID: "SE2321000016-DEMO1", Given: "Lars", Surname: "Läkarsson", Title: "Läkare", Roles: []cases.Role{cases.Clinician}},
	{HSAID: "SE2321000016-DEMO2", Given: "Sara", Surname: "Sjöberg", Title: "Sjuksköterska", Roles: []cases.Role{cases.Clinician}},
	{HSAID: "SE2321000016-DEMO3", Given: "Per", Surname: "Psykologsson", Title: "Psykolog", Roles: []cases.Role{cases.Clinician}, OnLeave: true},
	{HSAID: "SE2321000016-DEMOENH", Given: "Eva", Surname: "Enhetschef", Title: "Enhetschef", Roles: []cases.Role{cases.UnitAdmin}},
	{HSAID: "SE2321000016-DEMOLOG", Given: "Gustav", Surname: "Granskare", Title: "Säkerhetssamordnare", Roles: []cases.Role{cases.Auditor}},
}

// Options shape a clinic.
type Options struct {
	Unit, UnitName string
	// Origin is the web UI's origin, https://127.0.0.1:PORT; the UI's
	// certificate names its host.
	Origin string
	// Listen is the UI's listen address; a test that listens itself passes
	// agent.Options.UIListener and any value here.
	Listen string
	Bridge string   // the card bridge, http://127.0.0.1:PORT; the default if ""
	Staff  []Member // Staff if nil
	Now    time.Time
	// Clock is the time the revocation list is made for (tests move a
	// fake clock over days); time.Now if nil.
	Clock func() time.Time
}

// Card is a demo member's card in software: their authentication
// certificate and key.
type Card struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Clinic is a built demo clinic. Close stops its revocation server.
type Clinic struct {
	Dir    string
	Config *agent.Config
	PKI    *devpki.PKI
	Cards  map[string]Card // by HSA-ID
	Origin string

	clock  func() time.Time
	crlMu  sync.Mutex
	crl    []byte
	crlSrv *http.Server
	CRLURL string
}

// Build makes the clinic in dir (which must exist and be empty of a
// previous clinic): PKI under pki/, the directory in hsa.json, the store's
// key file and clinicgw.toml.
func Build(dir string, o Options) (*Clinic, error) {
	if o.Staff == nil {
		o.Staff = Staff
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	// Certificates valid from a day before the earlier of the clinic's time
	// and the real time: TLS clients judge by the real clock, card login by
	// the clinic's.
	from := o.Now
	if real := time.Now(); real.Before(from) {
		from = real
	}
	p, err := devpki.New(nil, from.AddDate(0, 0, -1))
	if err != nil {
		return nil, err
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	c := &Clinic{Dir: dir, PKI: p, Cards: map[string]Card{}, Origin: o.Origin, clock: o.Clock}
	if err := c.serveCRL(); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			c.Close()
		}
	}()
	if err := store.GenerateKeyFile(filepath.Join(dir, agent.DefaultKeyFile), rand.Reader, false); err != nil {
		return nil, err
	}
	pkiDir := filepath.Join(dir, "pki")
	if err := p.WriteDir(pkiDir); err != nil {
		return nil, err
	}
	host, err := originHost(o.Origin)
	if err != nil {
		return nil, err
	}
	uiCert, err := p.Server(host)
	if err != nil {
		return nil, err
	}
	if err := devpki.WriteTLS(pkiDir, "ui", uiCert); err != nil {
		return nil, err
	}
	for _, m := range o.Staff {
		cert, key, err := p.Person(m.HSAID, m.Given, m.Surname, devpki.KeyECDSAP256)
		if err != nil {
			return nil, err
		}
		c.Cards[m.HSAID] = Card{Cert: cert, Key: key}
	}
	if err := WriteDirectory(filepath.Join(dir, "hsa.json"), o.Unit, o.Staff, o.Now); err != nil {
		return nil, err
	}
	cfg := agent.DefaultConfig(o.Unit, o.UnitName)
	cfg.Login = agent.LoginConfig{Origin: o.Origin, TrustAnchors: []string{"pki/root.pem"},
		PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json", CRLURL: c.CRLURL}
	cfg.UI = agent.UIConfig{Listen: o.Listen, CertFile: "pki/ui.pem", KeyFile: "pki/ui.key", Bridge: o.Bridge}
	path := filepath.Join(dir, agent.ConfigFileName)
	if err := cfg.Write(path); err != nil {
		return nil, err
	}
	if c.Config, err = agent.LoadConfig(path); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// Sign answers a login challenge with hsaID's card, as the bridge would.
func (c *Clinic) Sign(hsaID, nonce string) ([]byte, error) {
	card, ok := c.Cards[hsaID]
	if !ok {
		return nil, fmt.Errorf("no demo card for %s", hsaID)
	}
	tok, err := cardauth.NewAuthToken(card.Key, card.Cert, c.Origin, nonce, "democlinic", false)
	if err != nil {
		return nil, err
	}
	return json.Marshal(tok)
}

// Close stops the revocation server.
func (c *Clinic) Close() error {
	if c.crlSrv != nil {
		return c.crlSrv.Close()
	}
	return nil
}

// serveCRL serves a fresh person-CA CRL on loopback, re-signed when it
// nears its next update.
func (c *Clinic) serveCRL() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	c.CRLURL = "http://" + ln.Addr().String() + "/person.crl"
	var next time.Time
	c.crlSrv = tlsconf.NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c.crlMu.Lock()
		defer c.crlMu.Unlock()
		now := c.clock()
		if c.crl == nil || now.After(next.Add(-time.Hour)) || now.Before(next.Add(-7*time.Hour)) {
			next = now.Add(6 * time.Hour)
			b, err := c.PKI.PersonCRL(nil, now.Unix(), now.Add(-time.Minute), next)
			if err != nil {
				http.Error(w, "crl", http.StatusInternalServerError)
				return
			}
			c.crl = b
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(c.crl)
	}), nil, tlsconf.DefaultLimits)
	go c.crlSrv.Serve(ln)
	return nil
}

// WriteDirectory writes the HSA directory file for unit with staff.
func WriteDirectory(path, unit string, staff []Member, now time.Time) error {
	type period struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	type commission struct {
		Unit      string `json:"unit"`
		Purpose   string `json:"purpose"`
		ValidFrom string `json:"validFrom"`
	}
	type person struct {
		HSAID       string       `json:"hsaId"`
		GivenName   string       `json:"givenName"`
		Surname     string       `json:"surname"`
		Title       string       `json:"title"`
		Roles       []cases.Role `json:"roles"`
		Commissions []commission `json:"commissions"`
		Leave       []period     `json:"leave,omitempty"`
	}
	doc := struct {
		Version int      `json:"version"`
		People  []person `json:"people"`
	}{Version: 1}
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, m := range staff {
		p := person{HSAID: m.HSAID, GivenName: m.Given, Surname: m.Surname, Title: m.Title, Roles: m.Roles,
			Commissions: []commission{{Unit: unit, Purpose: "Vård och behandling", ValidFrom: day(-365)}}}
		if m.OnLeave {
			p.Leave = []period{{From: day(-1), To: day(6)}}
		}
		doc.People = append(doc.People, p)
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}

func originHost(origin string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", errors.New("democlinic: origin: expected https://host:port")
	}
	return u.Hostname(), nil
}
