package localui

// The diary pages are live on every change of the diary, not only those
// made through them: a patient's booking, rebooking or cancellation
// decided through the sync, a generation, another page's change. A diary
// that tells of its changes (agent/booking's OnChange) is watched from
// New; with one that does not, the pages refresh on the UI's own changes
// only (diaryAction).

// diaryWatcher is a diary that tells of its committed changes.
type diaryWatcher interface {
	OnChange(fn func())
}

// watchDiary subscribes the open diary pages to the diary's changes.
func (s *Server) watchDiary() {
	if d, ok := s.cfg.Diary.(diaryWatcher); ok {
		d.OnChange(s.hub.notifyDiary)
	}
}

// diaryChangedHere is diaryAction's change: the pages are told unless the
// diary tells them itself.
func (s *Server) diaryChangedHere() {
	if _, ok := s.cfg.Diary.(diaryWatcher); !ok {
		s.hub.notifyDiary()
	}
}
