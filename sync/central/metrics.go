package central

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// MetricsHandler returns a handler of the Prometheus text exposition of
// the store's figures for region IT: for each unit the store serves,
// clinicgw_central_unhandled_events, the events its gateway acknowledged
// and reported it could not handle (its last quarantine report's total).
// It names units by HSA-ID only and carries no patient data. Serve it on
// a listener of its own, not on the patient pages (clinicgw central
// --metrics).
func (s *Store) MetricsHandler() http.Handler {
	return http.HandlerFunc(s.serveMetrics)
}

// unitsSorted is the units the store serves, in order.
func (s *Store) unitsSorted() []string {
	units := make([]string, 0, len(s.unitSet))
	for u := range s.unitSet {
		units = append(units, u)
	}
	slices.Sort(units)
	return units
}

func (s *Store) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var buf bytes.Buffer
	buf.WriteString("# HELP clinicgw_central_unhandled_events Events the unit's gateway acknowledged and reported it could not handle (its quarantine).\n")
	buf.WriteString("# TYPE clinicgw_central_unhandled_events gauge\n")
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, u := range s.unitsSorted() {
			rep, err := quarantineOf(unitBucket(tx, u))
			if err != nil {
				return err
			}
			fmt.Fprintf(&buf, "clinicgw_central_unhandled_events{unit=%s} %d\n", strconv.Quote(u), rep.Total)
		}
		s.writeOutboundMetrics(&buf, tx) // outmetrics.go
		return nil
	})
	if err != nil {
		s.log.Error("metrics failed", "err", err)
		http.Error(w, "the central store could not be read", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
