#!/bin/sh
# clinicgw post-uninstall ($1 = 0 on erase, 1 on upgrade): after an upgrade restart
# the service if it was running (as the systemd_postun_with_restart rpm macro does).
# rpm has no purge: /var/lib/clinicgw (the store and its key) and an edited
# configuration (.rpmsave) stay after erase; remove them by hand.
systemctl daemon-reload >/dev/null 2>&1 || :
if [ "$1" -ge 1 ]; then
	systemctl try-restart clinicgw.service >/dev/null 2>&1 || :
fi
exit 0
