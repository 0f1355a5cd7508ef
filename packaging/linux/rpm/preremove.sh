#!/bin/sh
# clinicgw pre-uninstall ($1 = 0 on erase, 1 on upgrade): on erase stop and
# disable the service (as the systemd_preun rpm macro does).
if [ "$1" -eq 0 ]; then
	systemctl --no-reload disable --now clinicgw.service >/dev/null 2>&1 || :
fi
exit 0
