// Package jsontext holds the byte loops over the text of a JSON string,
// written once for the whole sync path: the scan for the next byte that
// needs attention, eight bytes at a time (a word loaded little-endian and
// tested with the "has a byte less than n" and "has a zero byte" tricks,
// so a run of ordinary ASCII costs a few instructions per eight bytes),
// with UTF-8 checked only where a byte is not ASCII. On it are built the
// encoder of a string as encoding/json writes it (AppendQuoted, with or
// without its HTML escaping), the comparison of encoded bytes with a
// string in place (MatchQuoted), what the encoder writes for one byte or
// character (Escape: agent/cases' slim journal record matches checked
// texts with it), the decoder of a quoted string that takes only what
// the protocol's strict decoder takes (Unquote), and the scan over
// printable ASCII the text rule runs (Printable).
//
// It is a leaf package under sync/wire: the standard library only. Each
// function is held to the loop it replaced and to encoding/json by table
// tests and fuzz targets (jsontext_test.go, escape_test.go).
package jsontext
