package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"clinicgw/agent/store"
	"clinicgw/cardauth"
	"clinicgw/cardauth/bridge"
	"clinicgw/localui"
	"clinicgw/sync/tlsconf"
)

// UIConfig is the web UI on the clinic LAN. With no listen address there
// is none. It needs [login]: its origin is the UI's.
type UIConfig struct {
	Listen   string `toml:"listen"`    // host:port, like ":8443"
	CertFile string `toml:"cert_file"` // PEM: the UI's TLS certificate, for the host in login.origin
	KeyFile  string `toml:"key_file"`  // PEM: its private key, mode 0600
	// Bridge is where the workstations' card bridge listens,
	// http://127.0.0.1:24727 unless set.
	Bridge string `toml:"bridge"`
}

// Enabled reports whether the web UI is configured.
func (u UIConfig) Enabled() bool { return u.Listen != "" }

// BridgeURL is the bridge's address as the login page calls it.
func (u UIConfig) BridgeURL() string {
	if u.Bridge != "" {
		return u.Bridge
	}
	return "http://" + bridge.DefaultAddr
}

func (u UIConfig) validate(login LoginConfig) []error {
	if !u.Enabled() {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	if _, _, err := net.SplitHostPort(u.Listen); err != nil {
		bad("ui.listen", "%q: expected host:port, like \":8443\"", u.Listen)
	}
	if !login.Enabled() {
		bad("ui.listen", "the web UI needs staff login: set login.origin and the rest of [login]")
	}
	if u.CertFile == "" || u.KeyFile == "" {
		bad("ui.cert_file", "the web UI needs a TLS certificate and key (ui.cert_file, ui.key_file) for the host in login.origin")
	}
	if err := localui.CheckBridge(u.BridgeURL()); err != nil {
		bad("ui.bridge", "%v", err)
	}
	return errs
}

// uiServer is the running web UI.
type uiServer struct {
	srv  *http.Server
	ln   net.Listener
	ui   *localui.Server
	done chan error
}

// startUI serves the web UI and the bridges' card-presence websocket on
// one HTTPS listener until ctx ends.
func (a *Agent) startUI(ctx context.Context, db *store.DB) (*uiServer, error) {
	u := a.cfg.UI
	cert, err := tlsconf.LoadKeyPair(a.cfg.resolve(u.CertFile), a.cfg.resolve(u.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("ui.cert_file, ui.key_file: %w", err)
	}
	ui, err := localui.New(localui.Config{
		Origin: a.cfg.Login.Origin, Bridge: u.BridgeURL(), Unit: a.cfg.Unit.HSAID, UnitName: a.cfg.Unit.Name,
		Cases: a.svc, Login: a.login.auth, Directory: uiDirectory{a.login, a.cfg.Unit.HSAID},
		Settings: uiSettings{db}, Notices: a.noticeStates(), Archive: a.archiveState(), Forms: a.forms, Config: a.configState,
		Sync: a.syncState,
		Audit: func(ctx context.Context) (int, error) {
			// From the last signed checkpoint on: a view costs what was
			// logged since the last check (issue 18); the whole log is
			// `clinicgw audit verify`'s and the nightly job's.
			rep, err := db.VerifyAuditRecent(ctx)
			return int(rep.Head.Seq), err
		},
		Clock: a.opts.Clock, Rand: a.opts.Rand, Logger: a.log.With("part", "ui"),
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(cardauth.PathPresence, a.login.auth.PresenceHandler(0))
	mux.Handle("/", ui.Handler())
	ln := a.opts.UIListener
	if ln == nil {
		if ln, err = net.Listen("tcp", u.Listen); err != nil {
			return nil, fmt.Errorf("ui.listen: %w", err)
		}
	}
	tcfg := tlsconf.ServerNoClientCert(cert)
	tcfg.NextProtos = []string{"h2", "http/1.1"}
	srv := tlsconf.NewHTTPServer(mux, tcfg, tlsconf.DefaultLimits)
	srv.ErrorLog = slog.NewLogLogger(a.log.With("part", "ui-http").Handler(), slog.LevelWarn)
	srv.BaseContext = func(net.Listener) context.Context { return ctx }
	s := &uiServer{srv: srv, ln: ln, ui: ui, done: make(chan error, 1)}
	go func() {
		err := srv.Serve(tls.NewListener(ln, tcfg))
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	a.log.Info("web UI listening", "addr", ln.Addr().String(), "origin", a.cfg.Login.Origin)
	return s, nil
}

// uiDirectory answers the UI from the directory in use.
type uiDirectory struct {
	lp   *loginParts
	unit string
}

func (d uiDirectory) Clinicians(now time.Time) []localui.Member {
	var out []localui.Member
	for _, c := range d.lp.directory().Current().Clinicians(d.unit, now) {
		out = append(out, localui.Member{HSAID: c.Person.HSAID, Name: c.Person.Name(), Title: c.Person.Title,
			OnLeave: c.OnLeave, LeaveUntil: c.LeaveUntil.Time})
	}
	return out
}

func (d uiDirectory) Name(hsaID string) string {
	if p, ok := d.lp.directory().Current().Lookup(hsaID); ok {
		return p.Name()
	}
	return ""
}

// uiSettings keeps the UI's settings in the store's sealed settings area.
type uiSettings struct{ db *store.DB }

func (s uiSettings) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.db.Setting(ctx, key)
	if errors.Is(err, store.ErrNoSetting) {
		return nil, nil
	}
	return b, err
}

func (s uiSettings) Put(ctx context.Context, key string, value []byte) error {
	return s.db.PutSetting(ctx, key, value)
}

// syncState is the sync's continuity for the staff UI's banner.
func (a *Agent) syncState() localui.SyncState {
	st, ok := a.Uplink()
	if !ok {
		return localui.SyncState{}
	}
	return localui.SyncState{Broken: string(st.Continuity), Since: st.ContinuitySince,
		Incomplete: st.LastReconcile.Incomplete()}
}
