package localui

// RoutePatterns are the patterns of the UI's route table, as Handler
// registers them on its ServeMux (for the tests that walk every route).
func RoutePatterns() []string {
	var s Server
	rs := s.routes()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.pattern
	}
	return out
}
