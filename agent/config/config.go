package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"clinicgw/sync/wire/hsaid"
)

// FileName is the name `clinicgw init` gives the configuration file.
const FileName = "clinicgw.toml"

// Defaults for keys that may be left out of the file.
const (
	DefaultStorePath = "store.db"
	DefaultKeyFile   = "kek.key"
)

// Config is the gateway's configuration, as read from its TOML file.
// Relative paths in it are relative to the folder of the file it was
// loaded from (or last written to); use StorePath and KeyFilePath.
//
// Its struct tags are the schema (schema.go): toml names the key, want
// says what an error expects there, doc is the comment Write puts above
// it, and reload says whether a changed value applies while the gateway
// runs (see Apply).
type Config struct {
	Unit    Unit    `toml:"unit"`
	Store   Store   `toml:"store"`
	Central Central `toml:"central" reload:"live"`
	Login   Login   `toml:"login" reload:"live"`
	UI      UI      `toml:"ui"`
	Notify  Notify  `toml:"notify" reload:"live" doc:"Notices say only that there is something to read: never a name, a\npersonnummer, a case type or message text. New cases go to the unit's\nnotice address (set in the web UI), assignments to each clinician as\nthey chose. Empty smtp_addr and sms_url: no notices."`
	Archive Archive `toml:"archive" reload:"live"`
	Backup  Backup  `toml:"backup" reload:"live"`
	Audit   Audit   `toml:"audit"`
	Admin   Admin   `toml:"admin"`
	API     API     `toml:"api"`
	Log     Log     `toml:"log"`
	Runtime Runtime `toml:"runtime"`

	path string // absolute path of the file, "" if never loaded or written
}

// Unit names the care unit the gateway serves.
type Unit struct {
	HSAID string `toml:"hsa_id" want:"the care unit's HSA-ID" doc:"The care unit's HSA-ID, like SE2321000016-15ZM."` // the care unit's HSA-ID
	Name  string `toml:"name" want:"the care unit's name" doc:"The care unit's name, as staff know it."`             // its name, as staff know it
}

// Store says where the encrypted store and its key live.
type Store struct {
	Path    string `toml:"path" want:"a file path" doc:"The encrypted store (a bbolt file)."`                                                                                                                                                                         // the bbolt file
	KeyFile string `toml:"key_file" want:"a file path" doc:"The key-encryption key that wraps the store's keys; mode 0600, readable\nonly by the service. Keep a copy offline: without it the store is unreadable.\nEmpty when [store.token] holds the key instead."` // the key-encryption key, mode 0600; "" when Token holds it
	// Token, when its module is set, holds the key-encryption key instead
	// of a key file: an AES key on a PKCS#11 token (an HSM, a TPM through
	// tpm2-pkcs11, SoftHSM2) that never leaves it. Write leaves the table
	// out when it is empty.
	Token TokenKEK `toml:"token" doc:"The key-encryption key on a PKCS#11 token (an HSM, a TPM through\ntpm2-pkcs11, SoftHSM2): an AES key that never leaves it."`
}

// TokenKEK names the key-encryption key on a PKCS#11 token.
type TokenKEK struct {
	Module     string `toml:"module" want:"a file path"`                                                       // the PKCS#11 library
	TokenLabel string `toml:"token_label" want:"a token label"`                                                // the token, by its label
	KeyLabel   string `toml:"key_label" want:"a key label"`                                                    // the AES key, by its label
	PINFile    string `toml:"pin_file" want:"a file path" doc:"The token's user PIN, in a file of mode 0600."` // the token's user PIN, mode 0600
}

// OnToken reports whether the key-encryption key is on a token.
func (t TokenKEK) OnToken() bool { return t.Module != "" }

// Central says how the gateway reaches the central patient-side
// store. With no URL the gateway runs offline: staff work on, and changes
// wait in the outbox until a URL is configured. Only forms_file applies
// while the gateway runs (the uplink's connection and identity are set at
// start).
type Central struct {
	URL        string `toml:"url" reload:"restart" want:"https://host:port" doc:"The central patient-side store's sync API, like https://central.example.se:8443.\nEmpty: the gateway runs offline; answers wait in the outbox until it is set."` // the sync API, "https://host:port"
	CAFile     string `toml:"ca_file" reload:"restart" want:"a file path" doc:"The CA that issued the central store's server certificate (PEM). Only it\nis trusted for the central store."`                                                      // PEM: the CA that issued the central store's server certificate (pinned: nothing else is trusted)
	CertFile   string `toml:"cert_file" reload:"restart" want:"a file path" doc:"The unit's client certificate (PEM, the unit's HSA-ID in subject\nserialNumber) and its private key (PEM, mode 0600)."`                                          // PEM: the unit's client certificate (HSA-ID in subject serialNumber)
	KeyFile    string `toml:"key_file" reload:"restart" want:"a file path"`                                                                                                                                                                       // PEM: its private key, mode 0600
	ServerName string `toml:"server_name" reload:"restart" want:"a host name" doc:"The name the central store's certificate must carry; empty: the URL's host."`                                                                                  // the name the server certificate must carry; the URL's host if empty
	FormsFile  string `toml:"forms_file" want:"a file path" doc:"The unit's forms (JSON), published to the central store at every connect.\nEmpty: none are published and the central store keeps what it has."`                                  // JSON: the unit's forms, published to the central store; none published if empty
	// Sealing switches the unit's sealing on at the central store: what
	// patients write is sealed to the unit's key when they submit it.
	Sealing bool `toml:"sealing" reload:"restart" doc:"true: the central store seals what patients write to this unit's sealing\nkey the moment they submit it, and keeps only what routing needs readable;\nonly this gateway opens it. Needs a central store of this release (an\nolder one ignores it and the sync stays plain). Default false."`
	// Retention is how long central events applied here and answers the
	// central store confirmed are kept for a reconciliation after the
	// central store went back in time (a duration, 24h–8760h); 720h if
	// empty.
	Retention string `toml:"retention" reload:"restart" want:"a duration, like \"720h\"" doc:"How long central events applied here and answers the central store\nconfirmed are kept, sealed, to give back to a central store restored\nfrom an older copy; empty: 720h (30 days)."`
}

// DefaultSyncRetention is central.retention's default: 30 days.
const DefaultSyncRetention = 720 * time.Hour

// SyncRetention is how long the case service keeps applied central events
// and confirmed outbox items: central.retention, but no longer than the
// archive keeps cases (archive.age_days, with [archive]), so that nothing
// of an exported and purged case outlives it in the store.
func (c *Config) SyncRetention() time.Duration {
	r := c.Central.RetentionOrDefault()
	if c.Archive.Enabled() {
		days := c.Archive.AgeDays
		if days == 0 {
			days = 90
		}
		r = min(r, time.Duration(days)*24*time.Hour)
	}
	return r
}

// RetentionOrDefault is Retention as a duration (validated), or its default.
func (c Central) RetentionOrDefault() time.Duration {
	if d, err := time.ParseDuration(c.Retention); err == nil {
		return d
	}
	return DefaultSyncRetention
}

// Online reports whether a central store is configured.
func (c Central) Online() bool { return c.URL != "" }

// Enabled is Online: the table is in use.
func (c Central) Enabled() bool { return c.Online() }

// Default returns a configuration for the given care unit with every
// other key at its default.
func Default(unitHSAID, unitName string) *Config {
	return &Config{
		Unit:  Unit{HSAID: unitHSAID, Name: unitName},
		Store: Store{Path: DefaultStorePath, KeyFile: DefaultKeyFile},
	}
}

// Load reads and validates the configuration file at path. Keys left out
// take their defaults; an unknown key, a value of the wrong type or a
// value that fails Validate is an error naming the file, and where known
// the line and the key (a *KeyError each, joined).
func Load(path string) (*Config, error) {
	c, _, err := Read(path)
	return c, err
}

// Read is Load, also returning the file's content (a reload compares it
// with the content in use); the content is nil when the file could not
// be read.
func Read(path string) (*Config, []byte, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("config %s: no such file (create one with `clinicgw init`)", path)
		}
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(path, data)
	return c, data, err
}

// Parse decodes and validates data, the content of the file at path.
// Every error names the file, the line where the key is (or its table,
// for a key left out) and the key.
func Parse(path string, data []byte) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c := Default("", "")
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, decodeError(path, err)
	}
	c.path = abs
	if err := c.Validate(); err != nil {
		return nil, Locate(path, data, err)
	}
	return c, nil
}

// Path is the absolute path of the file the configuration was loaded from
// or last written to; "" if neither.
func (c *Config) Path() string { return c.path }

// StorePath is store.path, resolved against the configuration file's folder.
func (c *Config) StorePath() string { return c.Resolve(c.Store.Path) }

// KeyFilePath is store.key_file, resolved against the configuration file's
// folder.
func (c *Config) KeyFilePath() string { return c.Resolve(c.Store.KeyFile) }

// CentralFile resolves one of the [central] file paths against the
// configuration file's folder.
func (c *Config) CentralFile(p string) string { return c.Resolve(p) }

// Resolve resolves a path from the configuration against the
// configuration file's folder: an absolute path, "", or any path when the
// configuration has no file, as it is.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.path), p)
}

// Validate checks every value. The error names each key that is wrong and
// says what is expected; several problems are joined into one error.
func (c *Config) Validate() error {
	var p problems
	bad := p.table("")

	switch id := c.Unit.HSAID; {
	case id == "":
		bad("unit.hsa_id", "missing; expected the care unit's HSA-ID, like SE2321000016-15ZM")
	case !hsaid.Valid(id):
		bad("unit.hsa_id", "%q is not an HSA-ID; expected SE, the 10-digit organisation number, a hyphen and letters or digits (at most %d characters in all), like SE2321000016-15ZM", id, hsaid.MaxLen)
	}

	switch name := c.Unit.Name; {
	case strings.TrimSpace(name) == "":
		bad("unit.name", "missing; expected the care unit's name, like \"Vårdcentralen Exempel\"")
	case !printable(name):
		bad("unit.name", "expected printable text on one line")
	case utf8.RuneCountInString(name) > 200:
		bad("unit.name", "too long; expected at most 200 characters")
	}

	storeFiles := []struct{ key, value string }{{"store.path", c.Store.Path}}
	if tk := c.Store.Token; tk.OnToken() {
		if c.Store.KeyFile != "" {
			bad("store.key_file", "set it to \"\" when store.token holds the key-encryption key (one key, one place)")
		}
		storeFiles = append(storeFiles, struct{ key, value string }{"store.token.module", tk.Module},
			struct{ key, value string }{"store.token.pin_file", tk.PINFile})
		for _, f := range []struct{ key, value string }{{"store.token.token_label", tk.TokenLabel}, {"store.token.key_label", tk.KeyLabel}} {
			if strings.TrimSpace(f.value) == "" || !printable(f.value) {
				bad(f.key, "missing; expected the label on the token (pkcs11-tool -L and -O list them)")
			}
		}
	} else {
		storeFiles = append(storeFiles, struct{ key, value string }{"store.key_file", c.Store.KeyFile})
		if tk != (TokenKEK{}) {
			bad("store.token.module", "missing; the other store.token keys need the PKCS#11 library's path")
		}
	}
	for _, f := range storeFiles {
		switch {
		case strings.TrimSpace(f.value) == "":
			bad(f.key, "missing; expected a file path (relative paths are relative to the configuration file's folder)")
		case !printable(f.value):
			bad(f.key, "expected a file path on one line, without control characters")
		case strings.HasSuffix(f.value, "/") || strings.HasSuffix(f.value, string(filepath.Separator)):
			bad(f.key, "%q is a folder; expected a file path", f.value)
		}
	}
	if c.Store.Path != "" && c.Store.KeyFile != "" && c.StorePath() == c.KeyFilePath() {
		bad("store.key_file", "is the same file as store.path; expected a separate file")
	}
	c.Central.validate(&p)
	c.Login.validate(&p)
	c.UI.validate(&p, c.Login)
	c.Notify.validate(&p)
	c.Archive.validate(&p, c.Central)
	c.Backup.validate(&p)
	c.Audit.validate(&p)
	c.Admin.validate(&p, c.UI)
	c.API.validate(&p, c.UI, c.Login)
	c.Log.validate(&p)
	c.Runtime.validate(&p)
	return errors.Join(p...)
}

// validate checks the [central] table.
func (c Central) validate(p *problems) {
	bad := p.table("central")
	files := []struct{ key, value string }{
		{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile}, {"forms_file", c.FormsFile},
	}
	for _, f := range files {
		if f.value != "" && !printable(f.value) {
			bad(f.key, "expected a file path on one line, without control characters")
		}
	}
	if c.ServerName != "" && (!printable(c.ServerName) || strings.ContainsAny(c.ServerName, " /:")) {
		bad("server_name", "%q is not a host name", c.ServerName)
	}
	if c.Retention != "" {
		if d, err := time.ParseDuration(c.Retention); err != nil || d < 24*time.Hour || d > 8760*time.Hour {
			bad("retention", "%q: expected a duration from 24h to 8760h (a year), like \"720h\" (30 days)", c.Retention)
		}
	}
	if c.URL == "" {
		return
	}
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		bad("url", "%q is not a URL like https://central.example.se:8443", c.URL)
	case u.Scheme != "https":
		bad("url", "%q: expected https (the sync runs over mutual TLS only)", c.URL)
	}
	for _, f := range files[:3] {
		if f.value == "" {
			bad(f.key, "missing; a central store needs the unit's certificate, its key and the central store's CA (as `clinicgw pki dev` makes them for development)")
		}
	}
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// problems collects the mistakes Validate finds, each a *KeyError.
type problems []error

// table returns a function adding a problem with a key of the named table
// ("" for keys given in full).
func (p *problems) table(name string) func(key, format string, args ...any) {
	return func(key, format string, args ...any) {
		if name != "" {
			key = name + "." + key
		}
		*p = append(*p, &KeyError{Key: key, Err: fmt.Errorf(format, args...)})
	}
}
