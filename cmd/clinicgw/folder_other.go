//go:build !windows

package main

// restrictFolder does nothing here: init makes the folder with mode 0700
// and its files 0600 and 0640.
func restrictFolder(string) error { return nil }
