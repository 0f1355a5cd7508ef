package agent

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"clinicgw/agent/archive"
	"clinicgw/agent/store"
	"clinicgw/sync/tlsconf"
)

// ArchiveConfig is the export of old cases to the region's archive. With
// no dir there is none.
type ArchiveConfig struct {
	Dir     string `toml:"dir"`      // the region archive's folder (a mounted share)
	AgeDays int    `toml:"age_days"` // answered and closed cases older than this go; 90 if 0
}

// Enabled reports whether the archive export is configured.
func (c ArchiveConfig) Enabled() bool { return c.Dir != "" }

func (c ArchiveConfig) validate(central CentralConfig) []error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if !printable(c.Dir) {
		errs = append(errs, errors.New("archive.dir: expected a folder path on one line"))
	}
	if c.AgeDays < 0 || c.AgeDays > 3650 {
		errs = append(errs, fmt.Errorf("archive.age_days: %d: expected 1 to 3650 (0 for 90)", c.AgeDays))
	}
	if central.CertFile == "" || central.KeyFile == "" {
		errs = append(errs, errors.New("archive.dir: the packages are signed with the unit's key: set central.cert_file and central.key_file"))
	}
	return errs
}

// NewArchiver builds the archive export from the configuration, on db,
// signing with the unit's certificate and key.
func NewArchiver(cfg *Config, db *store.DB, clock archive.Clock, log *slog.Logger) (*archive.Archiver, error) {
	kp, err := tlsconf.LoadKeyPair(cfg.resolve(cfg.Central.CertFile), cfg.resolve(cfg.Central.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("archive: the signing key (central.cert_file, central.key_file): %w", err)
	}
	key, ok := kp.PrivateKey.(crypto.Signer)
	if !ok || kp.Leaf == nil {
		return nil, errors.New("archive: the unit's key cannot sign")
	}
	if clock == nil {
		clock = systemClock{}
	}
	var chain []*x509.Certificate
	for _, der := range kp.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("archive: central.cert_file: %w", err)
		}
		chain = append(chain, c)
	}
	return archive.New(archive.Config{DB: db, Unit: cfg.Unit.HSAID, Dir: cfg.resolve(cfg.Archive.Dir),
		Age: time.Duration(cfg.Archive.AgeDays) * 24 * time.Hour, Signer: archive.Signer{Key: key, Cert: kp.Leaf, Chain: chain},
		Clock: clock, Logger: log, Retire: true})
}

// archiveDaily runs the export at start and every 24 hours until ctx
// ends; a failed run is logged and tried again the next day (the journal
// lets it go on where it stopped). ran, if not nil, is told of every run
// that ctx's end did not cut short.
func archiveDaily(ctx context.Context, a *archive.Archiver, log *slog.Logger, ran func(archive.Report, error)) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		rep, err := a.Run(ctx, nil)
		if ran != nil && ctx.Err() == nil {
			ran(rep, err)
		}
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("archive run failed; nothing unverified was purged", "err", err, "cases", rep.Cases)
		case err == nil:
			log.Info("archive run", "packages", rep.Packages, "cases", rep.Cases, "bytes", rep.Bytes, "retiredTerms", rep.RetiredTerms)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
