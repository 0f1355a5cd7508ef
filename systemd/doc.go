// Package systemd holds the gateway's Linux service definition: the
// hardened systemd unit, its sysusers.d and tmpfiles.d snippets. The files
// beside this one are the source of truth; the deb and rpm packages ship
// them and `clinicgw install` on Linux writes these same bytes, so there is
// never a second unit.
package systemd
