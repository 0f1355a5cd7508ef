package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The admin listener's paths.
const (
	PathMetrics = "/metrics"
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	// PathBackup serves a consistent copy of the running store (GET, with
	// the token like /metrics): `clinicgw backup` takes it from there.
	PathBackup = "/backup"
)

// Check is one health check. Run returns StateOK, or a short
// machine-readable state saying what is wrong ("closed", "lagging", …):
// never an error's text, which could say more than a monitor needs.
type Check struct {
	Name string
	// Ready marks a check that /readyz counts too: one without which staff
	// cannot work. /healthz counts every check.
	Ready bool
	Run   func(ctx context.Context) string
}

// StateOK is a passing check's state.
const StateOK = "ok"

// Report is the JSON body of /healthz and /readyz.
type Report struct {
	Status string            `json:"status"`           // "ok" or "fail"
	Failed []string          `json:"failed,omitempty"` // the failing checks' names, in order
	Checks map[string]string `json:"checks"`           // every check's state
}

// RunChecks runs checks (only the Ready ones if ready) and reports.
func RunChecks(ctx context.Context, checks []Check, ready bool) Report {
	r := Report{Status: StateOK, Checks: make(map[string]string, len(checks))}
	for _, c := range checks {
		if ready && !c.Ready {
			continue
		}
		st := c.Run(ctx)
		r.Checks[c.Name] = st
		if st != StateOK {
			r.Status = "fail"
			r.Failed = append(r.Failed, c.Name)
		}
	}
	return r
}

// HandlerConfig is what the admin listener's handler serves.
type HandlerConfig struct {
	Gatherer prometheus.Gatherer
	Checks   []Check
	// Token, when not empty, is the bearer token /metrics requires
	// ("Authorization: Bearer TOKEN"). The health paths answer without
	// it: they carry states only, for probes that send no credentials.
	Token  string
	Logger *slog.Logger // the exposition's errors; discarded if nil
	// Backup, when not nil, serves PathBackup. It checks its own token
	// (never Token: the scrape token is not the store's): the copy is as
	// encrypted as the store, no key leaves, and it reaches no one who
	// cannot read the store file.
	Backup http.Handler
}

// Handler serves /metrics (Prometheus' text exposition), /healthz and
// /readyz (200 or 503 with a Report), GET and HEAD only.
func Handler(cfg HandlerConfig) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prom := promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             30 * time.Second,
	})
	var want [sha256.Size]byte
	if cfg.Token != "" {
		want = sha256.Sum256([]byte(cfg.Token))
	}
	mux := http.NewServeMux()
	authorized := func(h http.Handler) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if cfg.Token != "" {
				tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
				got := sha256.Sum256([]byte(tok))
				if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
					w.Header().Set("WWW-Authenticate", `Bearer realm="clinicgw metrics"`)
					http.Error(w, "a bearer token is required (admin.token_file)", http.StatusUnauthorized)
					return
				}
			}
			h.ServeHTTP(w, r)
		}
	}
	mux.HandleFunc("GET "+PathMetrics, authorized(prom))
	if cfg.Backup != nil {
		mux.Handle("GET "+PathBackup, cfg.Backup)
	}
	health := func(ready bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			defer cancel()
			rep := RunChecks(ctx, cfg.Checks, ready)
			w.Header().Set("Content-Type", "application/json")
			if rep.Status != StateOK {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			json.NewEncoder(w).Encode(rep)
		}
	}
	mux.HandleFunc("GET "+PathHealth, health(false))
	mux.HandleFunc("GET "+PathReady, health(true))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		mux.ServeHTTP(w, r)
	})
}
