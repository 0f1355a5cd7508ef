// Package config is the gateway's configuration file: its schema, its
// reading and checking, the commented file `clinicgw init` writes, and
// what a changed file changes in a running gateway.
//
// The schema has one source, the structs' tags (schema.go): the key
// table that error messages and typo suggestions use (Keys), the
// commented file Write makes (Template) and the keys a reload compares
// and applies (Apply, Diff.Changes) are derived from them, and
// TestSchemaAgrees proves the three agree with what the TOML decoder
// accepts. Adding a key is a field with its tags, and its check in the
// table's validate.
//
// The file is decoded strictly: an unknown or misspelt key is an error,
// and every value is checked by Config.Validate before anything is
// opened. Every problem is a *KeyError (file, line, key, cause), also
// the ones the gateway's parts find in the files the configuration names
// (Locate places them): callers take the place from the error, never from
// its text.
//
// A reload is two-phase (syncthing's lib/config): the new file is parsed
// and checked in full, Apply says which values apply now and which wait
// for a restart, each part of the gateway verifies its section and only
// then are all committed (agent/reload_sections.go).
package config
