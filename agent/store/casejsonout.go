package store

import "clinicgw/agent/cases"

// AppendCaseJSON appends to dst the JSON encoding of c that json.Marshal
// writes — the bytes the store seals as a case's record — without
// reflection (appendCase, held to json.Marshal by this package's tests
// and fuzz targets). It reports false, and what it appended is to be
// discarded, when c holds a time json.Marshal refuses; json.Marshal then
// says why.
func AppendCaseJSON(dst []byte, c *cases.Case) ([]byte, bool) { return appendCase(dst, c) }
