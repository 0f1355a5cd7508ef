#!/bin/sh
# clinicgw pre-install: the system user and group, before rpm unpacks files owned
# by them (the same user as /usr/lib/sysusers.d/clinicgw.conf describes).
getent group clinicgw >/dev/null || groupadd -r clinicgw
getent passwd clinicgw >/dev/null ||
	useradd -r -g clinicgw -d /var/lib/clinicgw -M -s /sbin/nologin -c "clinicgw care-unit gateway" clinicgw
exit 0
