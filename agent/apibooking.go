package agent

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/fhirapi"
	"clinicgw/agent/store"
	"clinicgw/cardauth/siths"
)

// apiParts are what startAPI adds for the diary and revocation.
type apiParts struct {
	diary      fhirapi.Diary
	log        fhirapi.DiaryLog
	idKey      []byte
	revocation fhirapi.Revocation
}

// apiBooking makes the API's diary parts and its certificate check: the
// staff login's revocation policy (cardauth/siths: OCSP, then a fresh
// CRL, cached to nextUpdate, login.soft_fail) on the systems' function
// certificates: OCSP at login.ocsp_url when the region proxies it (an
// OCSP request names its issuer, so one responder answers for every
// CA), else at the certificate's own responder; the CRL always at the
// certificate's own distribution point (login.crl_url is the person
// CA's list).
func (a *Agent) apiBooking(fcas []*x509.Certificate) (apiParts, error) {
	roots, err := readCerts(a.cfg, a.cfg.API.TrustAnchors, "api.trust_anchors")
	if err != nil {
		return apiParts{}, err
	}
	v, err := siths.New(siths.Config{Roots: roots, Intermediates: fcas, Clock: a.opts.Clock, SoftFail: a.cfg.Login.SoftFail,
		OCSPURL: a.cfg.Login.OCSPURL, Logger: a.log.With("part", "api-siths")})
	if err != nil {
		return apiParts{}, fmt.Errorf("api.trust_anchors: %w", err)
	}
	p := apiParts{revocation: v}
	if a.diary == nil || a.db == nil {
		return p, nil
	}
	if p.idKey, err = apiIDKey(context.Background(), a.db, a.opts.Rand); err != nil {
		return apiParts{}, err
	}
	p.diary, p.log = a.diary, apiDiaryLog(a.db)
	return p, nil
}

// The booking diary in the integration API: its access log (every entry
// of a request in one transaction) and the key of its Schedule ids, kept
// sealed in the store so that the ids a record system saved stay valid
// across restarts.

// apiIDKeySetting is the store setting that holds the key.
const apiIDKeySetting = "api/schedule-id-key"

// apiIDKey returns the key of the API's Schedule ids, made on first use.
func apiIDKey(ctx context.Context, db *store.DB, random io.Reader) ([]byte, error) {
	key, err := db.Setting(ctx, apiIDKeySetting)
	if err == nil && len(key) == 32 {
		return key, nil
	}
	if err != nil && !errors.Is(err, store.ErrNoSetting) {
		return nil, fmt.Errorf("read the API's id key: %w", err)
	}
	key = make([]byte, 32)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("make the API's id key: %w", err)
	}
	if err := db.PutSetting(ctx, apiIDKeySetting, key); err != nil {
		return nil, fmt.Errorf("keep the API's id key: %w", err)
	}
	return key, nil
}

// apiDiaryLog writes the API's diary access-log entries in one
// transaction of the access log the case service keeps.
func apiDiaryLog(db *store.DB) fhirapi.DiaryLog {
	return func(ctx context.Context, es ...audit.Entry) error {
		return db.Update(ctx, func(tx cases.Tx) error {
			for _, e := range es {
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			return nil
		})
	}
}
