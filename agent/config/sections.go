package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"time"

	"clinicgw/agent/booking"
	"clinicgw/agent/notify"
	"clinicgw/cardauth/bridge"
	"clinicgw/localui"
)

// Login is staff login by SITHS card. With no origin there is no staff
// login. The certificates, the directory and the revocation keys apply
// while the gateway runs; the origin and the local reader's keys at the
// next start.
type Login struct {
	// Origin is the gateway's web origin, https://host:port.
	Origin string `toml:"origin" reload:"restart" want:"https://host:port" doc:"Staff log in with their SITHS card. The gateway's web origin as browsers\nsee it (https://host:port); signatures are bound to it. Empty: no staff\nlogin (the gateway still syncs)."`
	// TrustAnchors and PersonCAs are PEM files: the SITHS root(s) and the
	// person CA(s).
	TrustAnchors []string `toml:"trust_anchors" want:"PEM files" doc:"The SITHS root certificate(s) and person CA certificate(s), PEM."`
	PersonCAs    []string `toml:"person_cas" want:"PEM files"`
	// DirectoryFile is the HSA staff directory (JSON).
	DirectoryFile string `toml:"directory_file" want:"a file path" doc:"The HSA staff directory exported by region IT (JSON); reloaded on change."`
	// SoftFail accepts undetermined revocation: off by default.
	SoftFail bool   `toml:"soft_fail" doc:"Accept a card whose revocation status cannot be determined (OCSP and CRL\nboth unreachable). Keep false; true only as a documented, temporary\nexception while the region's revocation services are down."`
	OCSPURL  string `toml:"ocsp_url" want:"a URL" doc:"Addresses that replace the certificates' own OCSP responder and CRL\ndistribution point (a region's proxy); empty: the certificates' own."`
	CRLURL   string `toml:"crl_url" want:"a URL"`
	// LocalReader, on a one-workstation clinic, is the gateway's own card
	// reader: the gateway watches it instead of a bridge, and pulling the
	// card ends the sessions bound to it. PKCS11Module reads the card.
	LocalReader  string `toml:"local_reader" reload:"restart" want:"a card reader's name" doc:"A one-workstation clinic: the gateway's own card reader (its name, as\n\"clinicgw bridge --list-readers\" shows it) watched instead of a bridge, and\nthe PKCS#11 module that reads its cards. Empty: staff use the bridge."`
	PKCS11Module string `toml:"pkcs11_module" reload:"restart" want:"a file path"`
	// LocalTokenLabel selects the token by label instead of by the
	// reader's slot (a SoftHSM2 token in tests).
	LocalTokenLabel string `toml:"local_token_label" reload:"restart" want:"a token label"`
}

// Enabled reports whether staff login is configured.
func (l Login) Enabled() bool { return l.Origin != "" }

func (l Login) validate(p *problems) {
	if !l.Enabled() {
		return
	}
	bad := p.table("login")
	if u, err := url.Parse(l.Origin); err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil {
		bad("origin", "%q: expected https://host[:port] and nothing more, as browsers show the gateway", l.Origin)
	}
	if len(l.TrustAnchors) == 0 {
		bad("trust_anchors", "missing; expected the SITHS root certificate file(s)")
	}
	if len(l.PersonCAs) == 0 {
		bad("person_cas", "missing; expected the SITHS person CA certificate file(s)")
	}
	if l.DirectoryFile == "" {
		bad("directory_file", "missing; expected the HSA staff directory file region IT exports")
	}
	if l.LocalReader != "" && l.PKCS11Module == "" {
		bad("pkcs11_module", "missing; the local reader's cards are read through a PKCS#11 module (OpenSC's: /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so)")
	}
	for _, f := range []struct{ key, v string }{{"ocsp_url", l.OCSPURL}, {"crl_url", l.CRLURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(f.key, "%q is not an http(s) URL", f.v)
		}
	}
}

// UI is the web UI on the clinic LAN. With no listen address there is
// none. It needs [login]: its origin is the UI's.
type UI struct {
	Listen string `toml:"listen" want:"host:port" doc:"The web UI on the clinic LAN (HTTPS); it needs [login], whose origin is\nthe UI's. Where it listens (host:port, like \":8443\"); empty: no web UI."`
	// CertFile and KeyFile are PEM: the UI's TLS certificate, for the host
	// in login.origin, and its private key, mode 0600.
	CertFile string `toml:"cert_file" want:"a file path" doc:"Its TLS certificate and key (PEM), for the host in login.origin."`
	KeyFile  string `toml:"key_file" want:"a file path"`
	// Bridge is where the workstations' card bridge listens,
	// http://127.0.0.1:24727 unless set.
	Bridge string `toml:"bridge" want:"http://127.0.0.1:PORT" doc:"Where the workstations' card bridge listens; empty: http://127.0.0.1:24727."`
}

// Enabled reports whether the web UI is configured.
func (u UI) Enabled() bool { return u.Listen != "" }

// BridgeURL is the bridge's address as the login page calls it.
func (u UI) BridgeURL() string {
	if u.Bridge != "" {
		return u.Bridge
	}
	return "http://" + bridge.DefaultAddr
}

func (u UI) validate(p *problems, login Login) {
	if !u.Enabled() {
		return
	}
	bad := p.table("ui")
	if _, _, err := net.SplitHostPort(u.Listen); err != nil {
		bad("listen", "%q: expected host:port, like \":8443\"", u.Listen)
	}
	if !login.Enabled() {
		bad("listen", "the web UI needs staff login: set login.origin and the rest of [login]")
	}
	if u.CertFile == "" || u.KeyFile == "" {
		bad("cert_file", "the web UI needs a TLS certificate and key (ui.cert_file, ui.key_file) for the host in login.origin")
	}
	if err := localui.CheckBridge(u.BridgeURL()); err != nil {
		bad("bridge", "%v", err)
	}
}

// Notify is how notices leave the gateway: e-mail through the region's
// mail server and SMS through an HTTP gateway. Notices never carry patient
// data. With no smtp_addr and no sms_url there are none.
type Notify struct {
	SMTPAddr           string `toml:"smtp_addr" want:"host:port" doc:"The mail server (host:port); \"starttls\" (port 587) or \"tls\" (port 465)."`
	SMTPSecurity       string `toml:"smtp_security" want:"\"starttls\" or \"tls\""` // "starttls" (default) or "tls"
	SMTPUsername       string `toml:"smtp_username" doc:"AUTH PLAIN; the password in a file of mode 0600. Empty: no AUTH."`
	SMTPPasswordFile   string `toml:"smtp_password_file" want:"a file path"` // the password, in a file of mode 0600
	SMTPFrom           string `toml:"smtp_from" want:"an e-mail address"`    // e.g. "clinicgw <noreply@vc.example.se>"
	SMTPCAFile         string `toml:"smtp_ca_file" want:"a file path" doc:"The mail server's CA (PEM); empty: the system's roots."`
	SMSURL             string `toml:"sms_url" want:"https://host/path" doc:"The SMS gateway (https), the body template ({{json .To}},\n{{json .Text}}; empty: JSON with \"to\" and \"text\") and a bearer token file."`
	SMSBody            string `toml:"sms_body" want:"a template"`        // the request body template; empty: notify.DefaultSMSBody
	SMSTokenFile       string `toml:"sms_token_file" want:"a file path"` // sent as "Authorization: Bearer …"; mode 0600
	Digest             string `toml:"digest" want:"a duration, like \"15m\"" doc:"The least time between two new-case notices; empty: 15m."`
	PatientURL         string `toml:"patient_url" reload:"restart" want:"https://host" doc:"The patients' e-service (the central store's patient pages), like\nhttps://e-tjanst.example.se: booking reminders link to its /boka/<unit>. Empty: no link."`
	ReminderQuietHours string `toml:"reminder_quiet_hours" reload:"restart" want:"\"HH:MM-HH:MM\" or \"off\"" doc:"No booking reminder goes in these hours (Swedish time): one due then waits until\nthey end, or goes the evening before if they end after the visit begins. Empty: 21:00-08:00."`
}

// Enabled reports whether any notice channel is configured.
func (n Notify) Enabled() bool { return n.SMTPAddr != "" || n.SMSURL != "" }

func (n Notify) validate(p *problems) {
	bad := p.table("notify")
	if n.SMTPAddr != "" {
		if h, _, err := net.SplitHostPort(n.SMTPAddr); err != nil || h == "" {
			bad("smtp_addr", "%q: expected host:port, like \"smtp.region.example.se:587\"", n.SMTPAddr)
		}
		if s := n.SMTPSecurity; s != "" && s != notify.StartTLS && s != notify.ImplicitTLS {
			bad("smtp_security", "%q: expected %q or %q (notices never go in clear)", s, notify.StartTLS, notify.ImplicitTLS)
		}
		if _, err := mail.ParseAddress(n.SMTPFrom); err != nil {
			bad("smtp_from", "%q: expected an e-mail address, like \"clinicgw <noreply@vc.example.se>\"", n.SMTPFrom)
		}
		if n.SMTPUsername != "" && n.SMTPPasswordFile == "" {
			bad("smtp_password_file", "missing; smtp_username needs the password in a file of mode 0600")
		}
	}
	if n.SMSURL != "" {
		if u, err := url.Parse(n.SMSURL); err != nil || u.Scheme != "https" || u.Host == "" {
			bad("sms_url", "%q: expected https://host/path", n.SMSURL)
		}
	}
	if n.PatientURL != "" {
		if u, err := url.Parse(n.PatientURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			bad("patient_url", "%q: expected https://host, like \"https://e-tjanst.example.se\"", n.PatientURL)
		}
	}
	if _, err := booking.ParseQuietHours(n.ReminderQuietHours); err != nil {
		bad("reminder_quiet_hours", "%q: expected \"HH:MM-HH:MM\" (Swedish time), like \"21:00-08:00\", or \"off\"", n.ReminderQuietHours)
	}
	if n.Digest != "" {
		if d, err := time.ParseDuration(n.Digest); err != nil || d < time.Minute || d > 24*time.Hour {
			bad("digest", "%q: expected a duration from 1m to 24h, like \"15m\"", n.Digest)
		}
	}
	for _, f := range []struct{ key, value string }{{"smtp_password_file", n.SMTPPasswordFile}, {"smtp_ca_file", n.SMTPCAFile}, {"sms_token_file", n.SMSTokenFile}} {
		if f.value != "" && !printable(f.value) {
			bad(f.key, "expected a file path on one line, without control characters")
		}
	}
}

// Archive is the export of old cases to the region's archive. With no dir
// there is none.
type Archive struct {
	// Dir is the region archive's folder (a mounted share).
	Dir string `toml:"dir" want:"a folder path" doc:"Answered and closed cases older than age_days (0: 90) are exported every\nnight (at) to this folder as packages signed with the unit's key (central.cert_file,\ncentral.key_file), verified, and only then removed here. Empty: none."`
	// AgeDays: answered and closed cases older than this go; 90 if 0.
	AgeDays int `toml:"age_days" want:"days"`
	// At is the daily run's local (Stockholm) time, "HH:MM";
	// DefaultArchiveAt if empty. The timer is set at start.
	At string `toml:"at" reload:"restart" want:"a time of day, like \"02:30\"" doc:"The daily run's time of day (Stockholm), HH:MM; empty: 02:30."`
}

// DefaultArchiveAt is when the daily archive run starts: at night, when
// no one works in the UI.
const DefaultArchiveAt = "02:30"

// Daily is the daily run's hour and minute.
func (c Archive) Daily() (hour, minute int, err error) {
	return timeOfDay("archive.at", c.At, DefaultArchiveAt)
}

// Enabled reports whether the archive export is configured.
func (c Archive) Enabled() bool { return c.Dir != "" }

func (c Archive) validate(p *problems, central Central) {
	if !c.Enabled() {
		return
	}
	bad := p.table("archive")
	if !printable(c.Dir) {
		bad("dir", "expected a folder path on one line")
	}
	if _, _, err := c.Daily(); err != nil {
		*p = append(*p, err)
	}
	if c.AgeDays < 0 || c.AgeDays > 3650 {
		bad("age_days", "%d: expected 1 to 3650 (0 for 90)", c.AgeDays)
	}
	if central.CertFile == "" || central.KeyFile == "" {
		bad("dir", "the packages are signed with the unit's key: set central.cert_file and central.key_file")
	}
}

// timeOfDay parses at ("HH:MM"; def when empty) for key.
func timeOfDay(key, at, def string) (hour, minute int, err error) {
	v := at
	if v == "" {
		v = def
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		return 0, 0, &KeyError{Key: key, Err: fmt.Errorf("%q: expected a time of day as HH:MM, like %q", at, def)}
	}
	return t.Hour(), t.Minute(), nil
}

// Backup is the nightly backup of the store. With no dir there is none;
// `clinicgw backup` works without it.
type Backup struct {
	// Dir is the backups' folder (a mounted share, another disk).
	Dir string `toml:"dir" want:"a folder path" doc:"A copy of the store every night (at) into this folder, as encrypted as\nthe store (the key-encryption key is never in it: keep that apart).\nUse a folder on another disk or a mounted share. Empty: no nightly\nbackup (clinicgw backup still takes one by hand)."`
	// At is the nightly run's local (Stockholm) time, "HH:MM";
	// DefaultBackupAt if empty. The timer is set at start.
	At string `toml:"at" reload:"restart" want:"a time of day, like \"01:30\"" doc:"The nightly run's time of day (Stockholm), HH:MM; empty: 01:30."`
	// Keep is how many of the newest backups are always kept; DefaultBackupKeep if 0.
	Keep int `toml:"keep" want:"backups" doc:"The newest keep backups are always kept (0: 7); one older than keep_days\ndays that is not among them is removed (0: only keep counts)."`
	// KeepDays: a backup older than this many days that is not one of the
	// newest Keep is removed; 0: only Keep counts.
	KeepDays int `toml:"keep_days" want:"days"`
}

// Defaults of the [backup] table.
const (
	DefaultBackupAt   = "01:30" // before the archive run (02:30)
	DefaultBackupKeep = 7
)

// Enabled reports whether the nightly backup is configured.
func (c Backup) Enabled() bool { return c.Dir != "" }

// Daily is the nightly run's hour and minute.
func (c Backup) Daily() (hour, minute int, err error) {
	return timeOfDay("backup.at", c.At, DefaultBackupAt)
}

func (c Backup) validate(p *problems) {
	bad := p.table("backup")
	if c.Dir != "" && !printable(c.Dir) {
		bad("dir", "expected a folder path on one line")
	}
	if _, _, err := c.Daily(); err != nil && c.At != "" {
		*p = append(*p, err)
	}
	if c.Keep < 0 || c.Keep > 1000 {
		bad("keep", "%d: expected 1 to 1000 (0 for %d)", c.Keep, DefaultBackupKeep)
	}
	if c.KeepDays < 0 || c.KeepDays > 3650 {
		bad("keep_days", "%d: expected 0 to 3650 (0: only backup.keep counts)", c.KeepDays)
	}
}

// Admin is the admin listener for region IT's monitoring: /metrics
// (Prometheus), /healthz and /readyz. With no listen address there is
// none. Off loopback it must be HTTPS with a bearer token.
type Admin struct {
	// Listen is host:port, like "127.0.0.1:9443".
	Listen string `toml:"listen" want:"host:port" doc:"Region IT's monitoring: /metrics (Prometheus), /healthz and /readyz, no\npatient data. Where it listens (host:port); empty: no admin listener.\nOff loopback it must be HTTPS (tls = true) with a bearer token."`
	// TLS serves HTTPS with CertFile and KeyFile (PEM; the key mode 0600),
	// or with the web UI's certificate and key when both are empty.
	TLS      bool   `toml:"tls" doc:"HTTPS with cert_file and key_file (PEM), or the web UI's when both are empty."`
	CertFile string `toml:"cert_file" want:"a file path"`
	KeyFile  string `toml:"key_file" want:"a file path"`
	// TokenFile is the bearer token /metrics requires, one line, mode 0600.
	TokenFile string `toml:"token_file" want:"a file path" doc:"The bearer token /metrics requires, on one line (mode 0600); empty: none."`
	// SyncLagLimit is how long the uplink may go without a successful pull
	// before /healthz fails; DefaultSyncLagLimit if empty, at least
	// MinSyncLagLimit.
	SyncLagLimit string `toml:"sync_lag_limit" want:"a duration, like \"10m\"" doc:"How long the uplink may go without a successful pull from the central\nstore before /healthz fails (at least 6m); empty: 10m."`
}

// DefaultSyncLagLimit is admin.sync_lag_limit's default: two of the
// uplink's safety-net polls while its stream is up (every 5 minutes; every
// 30 s while it is down), so a healthy gateway never reaches it.
const DefaultSyncLagLimit = 10 * time.Minute

// MinSyncLagLimit is the least admin.sync_lag_limit: above the 5 minutes
// between pulls of a connected uplink to which nothing new arrives.
const MinSyncLagLimit = 6 * time.Minute

// Enabled reports whether the admin listener is configured.
func (c Admin) Enabled() bool { return c.Listen != "" }

// LagLimit is SyncLagLimit as a duration (validated).
func (c Admin) LagLimit() time.Duration {
	if d, err := time.ParseDuration(c.SyncLagLimit); err == nil {
		return d
	}
	return DefaultSyncLagLimit
}

// loopbackHost reports whether host names only this machine.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Admin) validate(p *problems, ui UI) {
	bad := p.table("admin")
	for _, f := range []struct{ key, value string }{{"cert_file", c.CertFile}, {"key_file", c.KeyFile}, {"token_file", c.TokenFile}} {
		if f.value != "" && !printable(f.value) {
			bad(f.key, "expected a file path on one line, without control characters")
		}
	}
	if c.SyncLagLimit != "" {
		if d, err := time.ParseDuration(c.SyncLagLimit); err != nil || d < MinSyncLagLimit || d > 24*time.Hour {
			bad("sync_lag_limit", "%q: expected a duration from 6m (the uplink pulls every 5 minutes even when nothing arrives) to 24h, like \"10m\"", c.SyncLagLimit)
		}
	}
	if !c.Enabled() {
		return
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		bad("listen", "%q: expected host:port, like \"127.0.0.1:9443\"", c.Listen)
		return
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		bad("cert_file", "set both admin.cert_file and admin.key_file, or neither (then the web UI's are used)")
	}
	if !c.TLS && (c.CertFile != "" || c.KeyFile != "") {
		bad("tls", "admin.cert_file is set but admin.tls is false: set tls = true to serve HTTPS")
	}
	if c.TLS && c.CertFile == "" && (ui.CertFile == "" || ui.KeyFile == "") {
		bad("cert_file", "admin.tls needs a certificate: set admin.cert_file and admin.key_file, or ui.cert_file and ui.key_file")
	}
	if !loopbackHost(host) && (!c.TLS || c.TokenFile == "") {
		bad("listen", "%q is reachable from the network: set admin.tls = true and admin.token_file, or listen on 127.0.0.1", c.Listen)
	}
}

// Log is the technical log's form. Records go to stderr (journald under
// systemd); their messages are static and their keys camelCase, and they
// never carry patient data.
type Log struct {
	// Format is "text" (slog's key=value lines, the default) or "json"
	// (one JSON object per line, for log shippers).
	Format string `toml:"format" want:"\"text\" or \"json\"" doc:"The technical log on stderr (journald under systemd): \"text\" or \"json\"\n(one object per line, for log shippers); empty: text. clinicgw's\n--log-format flag overrides it."`
	// Level is the least level logged: "debug", "info" (the default),
	// "warn" or "error".
	Level string `toml:"level" want:"\"debug\", \"info\", \"warn\" or \"error\"" doc:"The least level logged: \"debug\", \"info\", \"warn\" or \"error\"; empty: info."`
}

// The log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

func (l Log) validate(p *problems) {
	bad := p.table("log")
	if l.Format != "" && l.Format != LogText && l.Format != LogJSON {
		bad("format", "%q: expected %q or %q", l.Format, LogText, LogJSON)
	}
	if _, err := ParseLevel(l.Level); err != nil {
		*p = append(*p, &KeyError{Key: "log.level", Err: err})
	}
}

// ParseLevel is log.level as a slog level; "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q: expected \"debug\", \"info\", \"warn\" or \"error\"", s)
}

// Audit is the access log's nightly check of the whole log (the
// auditor's page checks only what was logged since the last check).
type Audit struct {
	// CheckAt is the nightly check's local (Stockholm) time, "HH:MM";
	// DefaultAuditCheckAt if empty. The timer is set at start.
	CheckAt string `toml:"check_at" want:"a time of day, like \"03:30\"" doc:"The whole access log is checked every night at this time (Stockholm),\nHH:MM; empty: 03:30. The auditor's page shows when and how it went;\nclinicgw audit verify checks it now."`
}

// DefaultAuditCheckAt is when the nightly check of the access log runs.
const DefaultAuditCheckAt = "03:30"

// Daily is the nightly check's hour and minute.
func (c Audit) Daily() (hour, minute int, err error) {
	return timeOfDay("audit.check_at", c.CheckAt, DefaultAuditCheckAt)
}

func (c Audit) validate(p *problems) {
	if _, _, err := c.Daily(); err != nil {
		*p = append(*p, err)
	}
}
