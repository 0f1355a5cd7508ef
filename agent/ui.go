package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"clinicgw/agent/store"
	"clinicgw/cardauth"
	"clinicgw/localui"
	"clinicgw/sync/tlsconf"
)

// uiServer is the running web UI.
type uiServer struct {
	ln net.Listener
	ui *localui.Server
}

// startUI serves the web UI and the bridges' card-presence websocket on
// one HTTPS listener until the gateway stops; at the stop, the UI's page
// websockets are closed and its handlers waited for before the store
// closes (lifecycle.go).
func (a *Agent) startUI(db *store.DB) (*uiServer, error) {
	u := a.cfg.UI
	cert, err := tlsconf.LoadKeyPair(a.cfg.Resolve(u.CertFile), a.cfg.Resolve(u.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("ui.cert_file, ui.key_file: %w", err)
	}
	ui, err := localui.New(localui.Config{
		Origin: a.cfg.Login.Origin, Bridge: u.BridgeURL(), Unit: a.cfg.Unit.HSAID, UnitName: a.cfg.Unit.Name,
		Cases: a.svc, Login: a.login.auth, Directory: uiDirectory{a.login, a.cfg.Unit.HSAID},
		Settings: uiSettings{db}, Notices: a.noticeStates(), Archive: a.archiveState(), Forms: a.forms, Contact: a.contact, Services: a.forms, Config: a.configState,
		Sync: a.syncState, Groups: a.groups, Diary: a.diary, DiaryLog: diaryAccessLog(db),
		Audit: func(ctx context.Context) (int, error) {
			// From the last signed checkpoint on: a view costs what was
			// logged since the last check (issue 18); the whole log is
			// `clinicgw audit verify`'s and the nightly job's.
			rep, err := db.VerifyAuditRecent(ctx)
			return int(rep.Head.Seq), err
		},
		AuditFull: func(ctx context.Context) (localui.AuditFullCheck, bool, error) {
			c, ok, err := db.LastFullAuditCheck(ctx)
			return localui.AuditFullCheck{At: c.At, Entries: int(c.Entries), Broken: c.Error}, ok, err
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
	a.serve("web UI", ln, tcfg, mux, ui.Shutdown)
	a.log.Info("web UI listening", "addr", ln.Addr().String(), "origin", a.cfg.Login.Origin)
	return &uiServer{ln: ln, ui: ui}, nil
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
	if s, ok := d.lp.directory().Current().System(hsaID); ok {
		return s.Name // a system of the unit's (its messages, its references)
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

// syncState is the sync with the central store for the staff UI: the
// continuity for its banner, the contact for its header badge.
func (a *Agent) syncState() localui.SyncState {
	st, ok := a.Uplink()
	if !ok {
		return localui.SyncState{}
	}
	ct := a.up.Contact()
	return localui.SyncState{Broken: string(st.Continuity), Since: st.ContinuitySince,
		Incomplete: st.LastReconcile.Incomplete(),
		Online:     true, Reached: ct.Reached, LastContact: ct.Last, Waiting: ct.Waiting}
}
