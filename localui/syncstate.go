package localui

import "time"

// SyncState is the sync's continuity with the central store as staff see
// it: a banner on every page of a session while the central store's event
// chain is broken (it went back in time: restored from an older copy,
// rebuilt, or another store) until the gateway has reconciled with it,
// and while the last reconciliation could not give everything back.
type SyncState struct {
	// Broken is "behind" or "diverged" from when the uplink found it
	// until the reconciliation completes; "" otherwise.
	Broken string
	// Since is when it broke.
	Since time.Time
	// Incomplete says the last reconciliation could not give everything
	// back to the central store (region IT must look at the log).
	Incomplete bool
}

// syncBanner returns the sync state to show, nil when there is nothing
// to say or no session (the login page says nothing about the sync).
func (s *Server) syncBanner(staff bool) *SyncState {
	if s.cfg.Sync == nil || !staff {
		return nil
	}
	st := s.cfg.Sync()
	if st.Broken == "" && !st.Incomplete {
		return nil
	}
	return &st
}
