//go:build !linux

package main

// sdNotify does nothing: only systemd (Linux) has the notify socket.
func sdNotify(string) error { return nil }
