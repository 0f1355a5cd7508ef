package localui

// DiaryChanged tells the open diary pages that the diary changed outside
// them: a patient's booking, rebooking or cancellation decided through the
// sync, or another page's change. Each refreshes its times, as the inbox
// does on a case's change. It does not block.
func (s *Server) DiaryChanged() { s.hub.notifyDiary() }
