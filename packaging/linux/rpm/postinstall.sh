#!/bin/sh
# clinicgw post-install ($1 = 1 on first install): the store's key-encryption key,
# made once by clinicgw itself and never replaced; then the unit, enabled
# as the system's presets say (as the systemd_post rpm macro does). It is not started:
# the packaged configuration names no care unit yet.
state=/var/lib/clinicgw
if [ ! -e "$state/kek.key" ]; then
	tmp=$(mktemp -d "$state/.kek.XXXXXX")
	if clinicgw init --dir "$tmp" --unit SE0000000000-PACKAGE --name package >/dev/null 2>&1 &&
		chown clinicgw:clinicgw "$tmp/kek.key" && chmod 0600 "$tmp/kek.key"; then
		mv "$tmp/kek.key" "$state/kek.key"
	else
		echo "clinicgw: could not create $state/kek.key; create it with 'clinicgw init' and move it there" >&2
	fi
	rm -rf "$tmp"
fi
if [ "$1" -eq 1 ]; then
	systemctl --no-reload preset clinicgw.service >/dev/null 2>&1 || :
	echo "clinicgw: fill in [unit] in /etc/clinicgw/clinicgw.toml, then: systemctl enable --now clinicgw"
	echo "clinicgw: keep a copy of $state/kek.key offline; without it the store cannot be read"
fi
exit 0
