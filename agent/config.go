package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"

	"clinicgw/sync/atomicfile"
	"clinicgw/sync/wire/hsaid"
)

// ConfigFileName is the name `clinicgw init` gives the configuration file.
const ConfigFileName = "clinicgw.toml"

// Defaults for keys that may be left out of the file.
const (
	DefaultStorePath = "store.db"
	DefaultKeyFile   = "kek.key"
)

// Config is the gateway's configuration, as read from its TOML file.
// Relative paths in it are relative to the folder of the file it was
// loaded from (or last written to); use StorePath and KeyFilePath.
type Config struct {
	Unit    UnitConfig    `toml:"unit"`
	Store   StoreConfig   `toml:"store"`
	Central CentralConfig `toml:"central"`
	Login   LoginConfig   `toml:"login"`
	UI      UIConfig      `toml:"ui"`
	Notify  NotifyConfig  `toml:"notify"`
	Archive ArchiveConfig `toml:"archive"`
	Backup  BackupConfig  `toml:"backup"`
	Admin   AdminConfig   `toml:"admin"`
	Log     LogConfig     `toml:"log"`

	path string // absolute path of the file, "" if never loaded or written
}

// UnitConfig names the care unit the gateway serves.
type UnitConfig struct {
	HSAID string `toml:"hsa_id"` // the care unit's HSA-ID
	Name  string `toml:"name"`   // its name, as staff know it
}

// StoreConfig says where the encrypted store and its key live.
type StoreConfig struct {
	Path    string `toml:"path"`     // the bbolt file
	KeyFile string `toml:"key_file"` // the key-encryption key, mode 0600; "" when Token holds it
	// Token, when its module is set, holds the key-encryption key instead
	// of a key file: an AES key on a PKCS#11 token (an HSM, a TPM through
	// tpm2-pkcs11, SoftHSM2) that never leaves it.
	Token TokenKEKConfig `toml:"token"`
}

// TokenKEKConfig names the key-encryption key on a PKCS#11 token.
type TokenKEKConfig struct {
	Module     string `toml:"module"`      // the PKCS#11 library
	TokenLabel string `toml:"token_label"` // the token, by its label
	KeyLabel   string `toml:"key_label"`   // the AES key, by its label
	PINFile    string `toml:"pin_file"`    // the token's user PIN, mode 0600
}

// OnToken reports whether the key-encryption key is on a token.
func (t TokenKEKConfig) OnToken() bool { return t.Module != "" }

// CentralConfig says how the gateway reaches the central patient-side
// store. With no URL the gateway runs offline: staff work on, and changes
// wait in the outbox until a URL is configured.
type CentralConfig struct {
	URL        string `toml:"url"`         // the sync API, "https://host:port"
	CAFile     string `toml:"ca_file"`     // PEM: the CA that issued the central store's server certificate (pinned: nothing else is trusted)
	CertFile   string `toml:"cert_file"`   // PEM: the unit's client certificate (HSA-ID in subject serialNumber)
	KeyFile    string `toml:"key_file"`    // PEM: its private key, mode 0600
	ServerName string `toml:"server_name"` // the name the server certificate must carry; the URL's host if empty
	FormsFile  string `toml:"forms_file"`  // JSON: the unit's forms, published to the central store; none published if empty
	// Retention is how long central events applied here and answers the
	// central store confirmed are kept for a reconciliation after the
	// central store went back in time (a duration, 24h–8760h); 720h if
	// empty.
	Retention string `toml:"retention"`
}

// DefaultSyncRetention is central.retention's default: 30 days.
const DefaultSyncRetention = 720 * time.Hour

// syncRetention is how long the case service keeps applied central events
// and confirmed outbox items: central.retention, but no longer than the
// archive keeps cases (archive.age_days, with [archive]), so that nothing
// of an exported and purged case outlives it in the store.
func (c *Config) syncRetention() time.Duration {
	r := c.Central.retention()
	if c.Archive.Enabled() {
		days := c.Archive.AgeDays
		if days == 0 {
			days = 90
		}
		r = min(r, time.Duration(days)*24*time.Hour)
	}
	return r
}

// retention is Retention as a duration (validated).
func (c CentralConfig) retention() time.Duration {
	if d, err := time.ParseDuration(c.Retention); err == nil {
		return d
	}
	return DefaultSyncRetention
}

// Online reports whether a central store is configured.
func (c CentralConfig) Online() bool { return c.URL != "" }

// DefaultConfig returns a configuration for the given care unit with
// every other key at its default.
func DefaultConfig(unitHSAID, unitName string) *Config {
	return &Config{
		Unit:  UnitConfig{HSAID: unitHSAID, Name: unitName},
		Store: StoreConfig{Path: DefaultStorePath, KeyFile: DefaultKeyFile},
	}
}

// LoadConfig reads and validates the configuration file at path. Keys left
// out take their defaults; an unknown key, a value of the wrong type or a
// value that fails Validate is an error naming the file, and where known
// the line and the key.
func LoadConfig(path string) (*Config, error) {
	c, _, err := loadConfig(path)
	return c, err
}

// loadConfig is LoadConfig, also returning the file's content (a reload
// compares it with the content in use).
func loadConfig(path string) (*Config, []byte, error) {
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
	c, err := parseConfig(path, abs, data)
	return c, data, err
}

// parseConfig decodes and validates data, the content of the file at
// path (abs, absolute). Every error names the file, the line where the
// key is (or its table, for a key left out) and the key.
func parseConfig(path, abs string, data []byte) (*Config, error) {
	c := DefaultConfig("", "")
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, decodeError(path, err)
	}
	c.path = abs
	if err := c.Validate(); err != nil {
		return nil, locateKeys(path, data, err)
	}
	return c, nil
}

// locateKeys prefixes each of the errors joined in err that begins with a
// configuration key ("login.trust_anchors: …", as Validate and the loading
// of the files the configuration names make them) with "config FILE:LINE:",
// LINE being where the key is set in data, or where its table begins when
// the key is left out; "config FILE:" alone when neither is in the file.
func locateKeys(path string, data []byte, err error) error {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	lines := keyLines(data)
	out := make([]error, len(list))
	for i, e := range list {
		key, _, _ := strings.Cut(e.Error(), ":")
		key, _, _ = strings.Cut(key, ",") // "central.cert_file, central.key_file: …"
		line := lines[key]
		for table := key; line == 0 && strings.Contains(table, "."); {
			table = table[:strings.LastIndexByte(table, '.')]
			line = lines[table] // the nearest table that is in the file
		}
		if errors.Is(e, fs.ErrNotExist) {
			e = fmt.Errorf("%w; expected an existing file (a relative path is relative to the configuration file's folder)", e)
		}
		if line > 0 {
			out[i] = fmt.Errorf("config %s:%d: %w", path, line, e)
		} else {
			out[i] = fmt.Errorf("config %s: %w", path, e)
		}
	}
	return errors.Join(out...)
}

// locate is locateKeys for an error about c's keys, with the file c was
// loaded from; err as it is when c has no file or it cannot be read.
func (c *Config) locate(err error) error {
	if c.path == "" {
		return err
	}
	data, rerr := os.ReadFile(c.path)
	if rerr != nil {
		return err
	}
	return locateKeys(c.path, data, err)
}

// keyLines maps each key set in a TOML file ("table.key", and "table"
// for a table's header) to its line, 1-based. It reads the plain shapes
// the configuration uses — [table] headers, [table.sub] headers and
// key = value lines, dotted keys included — and ignores what it does not
// recognise (a value spread over lines, say), which then has no line.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	table := ""
	for i, raw := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(raw)
		switch {
		case l == "" || l[0] == '#':
			continue
		case strings.HasPrefix(l, "[") && !strings.HasPrefix(l, "[["):
			end := strings.IndexByte(l, ']')
			if end < 0 {
				continue
			}
			table = normKey(l[1:end])
			if _, seen := out[table]; !seen {
				out[table] = i + 1
			}
		default:
			k, _, ok := strings.Cut(l, "=")
			if !ok {
				continue
			}
			k = normKey(k)
			if table != "" {
				k = table + "." + k
			}
			if _, seen := out[k]; !seen {
				out[k] = i + 1
			}
		}
	}
	return out
}

// normKey writes a TOML key (bare, quoted or dotted, with spaces around
// the dots) as the dotted form the error messages use.
func normKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return strings.Join(parts, ".")
}

// Path is the absolute path of the file the configuration was loaded from
// or last written to; "" if neither.
func (c *Config) Path() string { return c.path }

// StorePath is store.path, resolved against the configuration file's folder.
func (c *Config) StorePath() string { return c.resolve(c.Store.Path) }

// KeyFilePath is store.key_file, resolved against the configuration file's
// folder.
func (c *Config) KeyFilePath() string { return c.resolve(c.Store.KeyFile) }

// CentralFile resolves one of the [central] file paths against the
// configuration file's folder.
func (c *Config) CentralFile(p string) string { return c.resolve(p) }

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.path), p)
}

// Validate checks every value. The error names each key that is wrong and
// says what is expected; several problems are joined into one error.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}

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
		if tk != (TokenKEKConfig{}) {
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
	errs = append(errs, c.Central.validate()...)
	errs = append(errs, c.Login.validate()...)
	errs = append(errs, c.UI.validate(c.Login)...)
	errs = append(errs, c.Notify.validate()...)
	errs = append(errs, c.Archive.validate(c.Central)...)
	errs = append(errs, c.Backup.validate()...)
	errs = append(errs, c.Admin.validate(c.UI)...)
	errs = append(errs, c.Log.validate()...)
	return errors.Join(errs...)
}

// validate checks the [central] table.
func (c CentralConfig) validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("central.%s: "+format, append([]any{key}, args...)...))
	}
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
		return errs
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
	return errs
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

// configKeys describes every key the file may hold, for error messages.
var configKeys = map[string]string{
	"unit":                      "a table",
	"unit.hsa_id":               "a quoted string (the care unit's HSA-ID)",
	"unit.name":                 "a quoted string (the care unit's name)",
	"store":                     "a table",
	"store.path":                "a quoted string (a file path)",
	"store.key_file":            "a quoted string (a file path)",
	"central":                   "a table",
	"central.url":               "a quoted string (https://host:port)",
	"central.ca_file":           "a quoted string (a file path)",
	"central.cert_file":         "a quoted string (a file path)",
	"central.key_file":          "a quoted string (a file path)",
	"central.server_name":       "a quoted string (a host name)",
	"central.forms_file":        "a quoted string (a file path)",
	"central.retention":         "a quoted string (a duration, like \"720h\")",
	"login":                     "a table",
	"login.origin":              "a quoted string (https://host:port)",
	"login.trust_anchors":       "a list of quoted strings (PEM files)",
	"login.person_cas":          "a list of quoted strings (PEM files)",
	"login.directory_file":      "a quoted string (a file path)",
	"login.soft_fail":           "true or false",
	"login.ocsp_url":            "a quoted string (a URL)",
	"login.crl_url":             "a quoted string (a URL)",
	"login.local_reader":        "a quoted string (a card reader's name)",
	"login.pkcs11_module":       "a quoted string (a file path)",
	"login.local_token_label":   "a quoted string (a token label)",
	"ui":                        "a table",
	"ui.listen":                 "a quoted string (host:port)",
	"ui.cert_file":              "a quoted string (a file path)",
	"ui.key_file":               "a quoted string (a file path)",
	"ui.bridge":                 "a quoted string (http://127.0.0.1:PORT)",
	"notify":                    "a table",
	"notify.smtp_addr":          "a quoted string (host:port)",
	"notify.smtp_security":      "a quoted string (\"starttls\" or \"tls\")",
	"notify.smtp_username":      "a quoted string",
	"notify.smtp_password_file": "a quoted string (a file path)",
	"notify.smtp_from":          "a quoted string (an e-mail address)",
	"notify.smtp_ca_file":       "a quoted string (a file path)",
	"notify.sms_url":            "a quoted string (https://host/path)",
	"notify.sms_body":           "a quoted string (a template)",
	"notify.sms_token_file":     "a quoted string (a file path)",
	"notify.digest":             "a quoted string (a duration, like \"15m\")",
	"archive":                   "a table",
	"archive.dir":               "a quoted string (a folder path)",
	"archive.age_days":          "a whole number of days",
	"archive.at":                "a quoted string (a time of day, like \"02:30\")",
	"backup":                    "a table",
	"backup.dir":                "a quoted string (a folder path)",
	"backup.at":                 "a quoted string (a time of day, like \"01:30\")",
	"backup.keep":               "a whole number of backups",
	"backup.keep_days":          "a whole number of days",
	"admin":                     "a table",
	"admin.listen":              "a quoted string (host:port)",
	"admin.tls":                 "true or false",
	"admin.cert_file":           "a quoted string (a file path)",
	"admin.key_file":            "a quoted string (a file path)",
	"admin.token_file":          "a quoted string (a file path)",
	"admin.sync_lag_limit":      "a quoted string (a duration, like \"10m\")",
	"log":                       "a table",
	"log.format":                "a quoted string (\"text\" or \"json\")",
	"log.level":                 "a quoted string (\"debug\", \"info\", \"warn\" or \"error\")",
}

// decodeError turns the TOML library's errors into ones that name the
// file, line, column and key in words an administrator can act on.
func decodeError(path string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, 0, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			key := strings.Join(de.Key(), ".")
			msg := fmt.Sprintf("config %s:%d:%d: unknown key %q", path, line, col, key)
			if s := closestKey(key); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, errors.New(msg))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if found, ok := strings.CutPrefix(msg, "cannot decode TOML "); ok {
			found, _, _ = strings.Cut(found, " ")
			if want, known := configKeys[key]; known {
				msg = fmt.Sprintf("expected %s, found %s %s", want, article(found), found)
			}
		}
		if key != "" {
			return fmt.Errorf("config %s:%d:%d: %s: %s", path, line, col, key, msg)
		}
		return fmt.Errorf("config %s:%d:%d: %s", path, line, col, msg)
	}
	return fmt.Errorf("config %s: %w", path, err)
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// closestKey returns the known key nearest to key by edit distance, if it
// is near enough to be a likely typo.
func closestKey(key string) string {
	best, bestDist := "", 3
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if d := editDistance(key, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var configTemplate = template.Must(template.New("config").Funcs(template.FuncMap{"q": tomlString}).Parse(
	`# clinicgw configuration
# TOML (https://toml.io). An unknown key is an error; relative paths are
# relative to this file's folder.

[unit]
# The care unit's HSA-ID, like SE2321000016-15ZM.
hsa_id = {{q .Unit.HSAID}}
# The care unit's name, as staff know it.
name = {{q .Unit.Name}}

[store]
# The encrypted store (a bbolt file).
path = {{q .Store.Path}}
# The key-encryption key that wraps the store's keys; mode 0600, readable
# only by the service. Keep a copy offline: without it the store is unreadable.
# Empty when [store.token] holds the key instead.
key_file = {{q .Store.KeyFile}}
{{- with .Store.Token}}{{if .Module}}

[store.token]
# The key-encryption key on a PKCS#11 token (an HSM, a TPM through
# tpm2-pkcs11, SoftHSM2): an AES key that never leaves it.
module = {{q .Module}}
token_label = {{q .TokenLabel}}
key_label = {{q .KeyLabel}}
# The token's user PIN, in a file of mode 0600.
pin_file = {{q .PINFile}}
{{- end}}{{end}}

[central]
# The central patient-side store's sync API, like https://central.example.se:8443.
# Empty: the gateway runs offline; answers wait in the outbox until it is set.
url = {{q .Central.URL}}
# The CA that issued the central store's server certificate (PEM). Only it
# is trusted for the central store.
ca_file = {{q .Central.CAFile}}
# The unit's client certificate (PEM, the unit's HSA-ID in subject
# serialNumber) and its private key (PEM, mode 0600).
cert_file = {{q .Central.CertFile}}
key_file = {{q .Central.KeyFile}}
# The name the central store's certificate must carry; empty: the URL's host.
server_name = {{q .Central.ServerName}}
# The unit's forms (JSON), published to the central store at every connect.
# Empty: none are published and the central store keeps what it has.
forms_file = {{q .Central.FormsFile}}
# How long central events applied here and answers the central store
# confirmed are kept, sealed, to give back to a central store restored
# from an older copy; empty: 720h (30 days).
retention = {{q .Central.Retention}}

[login]
# Staff log in with their SITHS card. The gateway's web origin as browsers
# see it (https://host:port); signatures are bound to it. Empty: no staff
# login (the gateway still syncs).
origin = {{q .Login.Origin}}
# The SITHS root certificate(s) and person CA certificate(s), PEM.
trust_anchors = [{{range $i, $f := .Login.TrustAnchors}}{{if $i}}, {{end}}{{q $f}}{{end}}]
person_cas = [{{range $i, $f := .Login.PersonCAs}}{{if $i}}, {{end}}{{q $f}}{{end}}]
# The HSA staff directory exported by region IT (JSON); reloaded on change.
directory_file = {{q .Login.DirectoryFile}}
# Accept a card whose revocation status cannot be determined (OCSP and CRL
# both unreachable). Keep false; true only as a documented, temporary
# exception while the region's revocation services are down.
soft_fail = {{.Login.SoftFail}}
# Addresses that replace the certificates' own OCSP responder and CRL
# distribution point (a region's proxy); empty: the certificates' own.
ocsp_url = {{q .Login.OCSPURL}}
crl_url = {{q .Login.CRLURL}}
# A one-workstation clinic: the gateway's own card reader (its name, as
# "clinicgw bridge --list-readers" shows it) watched instead of a bridge, and
# the PKCS#11 module that reads its cards. Empty: staff use the bridge.
local_reader = {{q .Login.LocalReader}}
pkcs11_module = {{q .Login.PKCS11Module}}
local_token_label = {{q .Login.LocalTokenLabel}}

[ui]
# The web UI on the clinic LAN (HTTPS); it needs [login], whose origin is
# the UI's. Where it listens (host:port, like ":8443"); empty: no web UI.
listen = {{q .UI.Listen}}
# Its TLS certificate and key (PEM), for the host in login.origin.
cert_file = {{q .UI.CertFile}}
key_file = {{q .UI.KeyFile}}
# Where the workstations' card bridge listens; empty: http://127.0.0.1:24727.
bridge = {{q .UI.Bridge}}

[notify]
# Notices say only that there is something to read: never a name, a
# personnummer, a case type or message text. New cases go to the unit's
# notice address (set in the web UI), assignments to each clinician as
# they chose. Empty smtp_addr and sms_url: no notices.
# The mail server (host:port); "starttls" (port 587) or "tls" (port 465).
smtp_addr = {{q .Notify.SMTPAddr}}
smtp_security = {{q .Notify.SMTPSecurity}}
# AUTH PLAIN; the password in a file of mode 0600. Empty: no AUTH.
smtp_username = {{q .Notify.SMTPUsername}}
smtp_password_file = {{q .Notify.SMTPPasswordFile}}
smtp_from = {{q .Notify.SMTPFrom}}
# The mail server's CA (PEM); empty: the system's roots.
smtp_ca_file = {{q .Notify.SMTPCAFile}}
# The SMS gateway (https), the body template ({{"{{"}}json .To{{"}}"}},
# {{"{{"}}json .Text{{"}}"}}; empty: JSON with "to" and "text") and a bearer token file.
sms_url = {{q .Notify.SMSURL}}
sms_body = {{q .Notify.SMSBody}}
sms_token_file = {{q .Notify.SMSTokenFile}}
# The least time between two new-case notices; empty: 15m.
digest = {{q .Notify.Digest}}

[archive]
# Answered and closed cases older than age_days (0: 90) are exported every
# night (at) to this folder as packages signed with the unit's key (central.cert_file,
# central.key_file), verified, and only then removed here. Empty: none.
dir = {{q .Archive.Dir}}
age_days = {{.Archive.AgeDays}}
# The daily run's time of day (Stockholm), HH:MM; empty: 02:30.
at = {{q .Archive.At}}

[backup]
# A copy of the store every night (at) into this folder, as encrypted as
# the store (the key-encryption key is never in it: keep that apart).
# Use a folder on another disk or a mounted share. Empty: no nightly
# backup (clinicgw backup still takes one by hand).
dir = {{q .Backup.Dir}}
# The nightly run's time of day (Stockholm), HH:MM; empty: 01:30.
at = {{q .Backup.At}}
# The newest keep backups are always kept (0: 7); one older than keep_days
# days that is not among them is removed (0: only keep counts).
keep = {{.Backup.Keep}}
keep_days = {{.Backup.KeepDays}}

[admin]
# Region IT's monitoring: /metrics (Prometheus), /healthz and /readyz, no
# patient data. Where it listens (host:port); empty: no admin listener.
# Off loopback it must be HTTPS (tls = true) with a bearer token.
listen = {{q .Admin.Listen}}
# HTTPS with cert_file and key_file (PEM), or the web UI's when both are empty.
tls = {{.Admin.TLS}}
cert_file = {{q .Admin.CertFile}}
key_file = {{q .Admin.KeyFile}}
# The bearer token /metrics requires, on one line (mode 0600); empty: none.
token_file = {{q .Admin.TokenFile}}
# How long the uplink may go without a successful pull from the central
# store before /healthz fails (at least 6m); empty: 10m.
sync_lag_limit = {{q .Admin.SyncLagLimit}}

[log]
# The technical log on stderr (journald under systemd): "text" or "json"
# (one object per line, for log shippers); empty: text. clinicgw's
# --log-format flag overrides it.
format = {{q .Log.Format}}
# The least level logged: "debug", "info", "warn" or "error"; empty: info.
level = {{q .Log.Level}}
`))

// Write validates the configuration and writes it, with comments, to path
// with mode 0640. The write is atomic: a temporary file in the same folder
// is written, synced and renamed over path, so a crash leaves either the
// old file or the new one. Afterwards relative paths resolve against path's
// folder.
func (c *Config) Write(path string) (err error) {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	var buf bytes.Buffer
	if err := configTemplate.Execute(&buf, c); err != nil {
		return fmt.Errorf("write config %s: %w", path, err)
	}
	if err := atomicfile.Write(abs, buf.Bytes(), 0o640); err != nil {
		return fmt.Errorf("write config: %w", err)
	}
	c.path = abs
	return nil
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
