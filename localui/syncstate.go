package localui

import (
	"time"

	"clinicgw/sync/wire/workday"
)

// SyncState is the sync with the central store as staff see it, on every
// page of a session:
//
//   - the header badge: connected to the central store, or "no contact
//     since HH:MM — N answers waiting to be sent", updated live over the
//     page's websocket (badge, hub.go);
//   - a banner while the central store's event chain is broken (it went
//     back in time: restored from an older copy, rebuilt, or another
//     store) until the gateway has reconciled with it, and while the last
//     reconciliation could not give everything back.
//
// It carries no patient data: a time and a count.
type SyncState struct {
	// Broken is "behind" or "diverged" from when the uplink found it
	// until the reconciliation completes; "" otherwise.
	Broken string
	// Since is when it broke.
	Since time.Time
	// Incomplete says the last reconciliation could not give everything
	// back to the central store (region IT must look at the log).
	Incomplete bool

	// Online says the gateway syncs with a central store at all (an
	// uplink runs); without one there is no badge.
	Online bool
	// Reached says the last exchange with the central store got through.
	Reached bool
	// LastContact is when the central store was last heard from; zero:
	// not since the gateway started.
	LastContact time.Time
	// Waiting counts the changes in the outbox: answers and status changes
	// not yet confirmed by the central store.
	Waiting int
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

// badge is the header badge: whether the gateway is in contact with the
// central store, and the words for it in the page's language.
type badge struct {
	OK   bool
	Text string
}

// syncBadge returns the badge for a page of a session, nil when there is
// no session or the gateway runs without a central store.
func (s *Server) syncBadge(l lang, staff bool) *badge {
	if s.cfg.Sync == nil || !staff {
		return nil
	}
	st := s.cfg.Sync()
	if !st.Online {
		return nil
	}
	b := badgeOf(l, st, s.clock.Now())
	return &b
}

// badgeOf words st at now: "connected", or since when there has been no
// contact (HH:MM in Swedish time; the date too when it was not today) and
// how many changes wait to be sent.
func badgeOf(l lang, st SyncState, now time.Time) badge {
	if st.Reached {
		return badge{OK: true, Text: l.T("sync.connected")}
	}
	since := l.T("sync.sinceStart")
	if !st.LastContact.IsZero() {
		at, today := st.LastContact.In(workday.Stockholm()), now.In(workday.Stockholm())
		if at.Year() == today.Year() && at.YearDay() == today.YearDay() {
			since = at.Format("15:04")
		} else {
			since = at.Format("2006-01-02 15:04")
		}
	}
	if st.Waiting == 0 {
		return badge{Text: l.T("sync.noContact", since)}
	}
	return badge{Text: l.T("sync.noContactWaiting", since, st.Waiting)}
}
