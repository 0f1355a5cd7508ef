package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"clinicgw/agent/config"
	"clinicgw/sync/tlsconf"
)

// A reloadSection is one part's share of a reload, syncthing's two-phase
// Committer: it verifies what the new file names for the part, loaded as
// a start would load it (so that what waits for a restart is known to
// work too), and builds what the part will use from the keys that apply
// now (d.Eff), touching nothing of the running gateway. The commit it
// returns puts that in use and cannot fail; nil when nothing changes for
// the part. Which keys apply now is the schema's (config.Apply): a key
// added to a section is compared, applied or left for a restart without
// an edit here.
type reloadSection func(ctx context.Context, d *config.Diff) (commit func(context.Context), err error)

// reloadSections are the parts a reload verifies and commits, in order.
func (a *Agent) reloadSections() []reloadSection {
	return []reloadSection{a.reloadCentral, a.reloadLogin, a.reloadUI, a.reloadNotify, a.reloadArchive, a.reloadBackup}
}

// reloadCentral: the uplink's files are checked; central.forms_file is
// published anew while the gateway stays online.
func (a *Agent) reloadCentral(_ context.Context, d *config.Diff) (func(context.Context), error) {
	if !d.File.Central.Online() {
		return nil, nil
	}
	uc, err := uplinkConfig(d.File, Options{Clock: a.opts.Clock, Rand: a.opts.Rand, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, err
	}
	if !d.Changes(&d.Eff.Central.FormsFile) || a.forms == nil {
		return nil, nil
	}
	forms := uc.Forms
	return func(ctx context.Context) {
		if err := a.forms.setFile(ctx, forms); err != nil {
			a.log.Error("forms from central.forms_file not published; they will be at the next start", "err", err)
		}
	}, nil
}

// reloadLogin: the certificate check (trust anchors, person CAs,
// revocation) and the staff directory are replaced when their keys
// change; the sessions stay.
func (a *Agent) reloadLogin(ctx context.Context, d *config.Diff) (func(context.Context), error) {
	file, eff := d.File, d.Eff
	if !file.Login.Enabled() {
		return nil, nil
	}
	check := a.login
	if check == nil {
		check = &loginParts{unit: file.Unit.HSAID, clock: a.opts.Clock, log: a.log}
	}
	verifier, verr := newVerifier(file, a.opts.Clock, a.log)
	dir, derr := check.loadDirectory(file)
	if err := errors.Join(verr, derr); err != nil {
		return nil, err
	}
	l := &eff.Login
	if !d.Changes(&l.TrustAnchors, &l.PersonCAs, &l.SoftFail, &l.OCSPURL, &l.CRLURL) {
		verifier = nil
	}
	if verifier != nil && l.CRLURL != "" && d.Changes(&l.CRLURL, &l.PersonCAs) {
		// A new CRL proxy, or new person CAs behind it: what it serves must
		// be a fresh CRL of one of them. (Not checked when neither
		// changed, so that an unrelated edit is not refused while the
		// proxy is down.)
		if err := verifier.v.CheckCRLURL(ctx); err != nil {
			return nil, config.KeyErr("login.crl_url", fmt.Errorf("%w; expected the address of a fresh CRL of a person CA in login.person_cas", err))
		}
	}
	if !d.Changes(&l.DirectoryFile) || eff.Resolve(l.DirectoryFile) == d.Run.Resolve(d.Run.Login.DirectoryFile) {
		dir = nil
	}
	if verifier == nil && dir == nil {
		return nil, nil
	}
	return func(context.Context) {
		if verifier != nil {
			a.login.setVerifier(verifier)
		}
		if dir != nil {
			a.login.setDirectory(dir)
		}
	}, nil
}

// reloadUI: the UI's certificate and key are checked; every [ui] key
// waits for a restart.
func (a *Agent) reloadUI(_ context.Context, d *config.Diff) (func(context.Context), error) {
	f := d.File
	if !f.UI.Enabled() {
		return nil, nil
	}
	if _, err := tlsconf.LoadKeyPair(f.Resolve(f.UI.CertFile), f.Resolve(f.UI.KeyFile)); err != nil {
		return nil, config.KeyErr("ui.cert_file", err, "ui.key_file")
	}
	return nil, nil
}

// reloadNotify: the notice channels are replaced when [notify] changes.
func (a *Agent) reloadNotify(_ context.Context, d *config.Diff) (func(context.Context), error) {
	if !d.File.Notify.Enabled() {
		return nil, nil
	}
	ch, err := notifyChannels(d.File)
	if err != nil {
		return nil, err
	}
	if !d.Changes(&d.Eff.Notify) || a.notifier == nil {
		return nil, nil
	}
	return func(context.Context) { a.notifier.SetChannels(ch) }, nil
}

// reloadArchive: the export is rebuilt when [archive] changes, signed
// with the unit's key in use (a new central.cert_file waits for the
// restart, as the uplink's does).
func (a *Agent) reloadArchive(_ context.Context, d *config.Diff) (func(context.Context), error) {
	if !d.File.Archive.Enabled() {
		return nil, nil
	}
	if _, err := NewArchiver(d.File, a.db, a.opts.Clock, a.log); err != nil {
		return nil, err
	}
	if !d.Changes(&d.Eff.Archive) || a.archive == nil {
		return nil, nil
	}
	arch, err := NewArchiver(d.Eff, a.db, a.opts.Clock, a.log.With("part", "archive"))
	if err != nil {
		return nil, err
	}
	return func(context.Context) { a.archive.arch.Store(arch) }, nil
}

// reloadBackup: the nightly backup takes the new [backup] keys (not
// backup.at: the timer is set at start).
func (a *Agent) reloadBackup(_ context.Context, d *config.Diff) (func(context.Context), error) {
	if a.backup == nil || !d.Changes(&d.Eff.Backup) {
		return nil, nil
	}
	eff := d.Eff
	return func(context.Context) { a.backup.set(eff) }, nil
}
