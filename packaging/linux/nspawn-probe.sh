#!/bin/sh
# Runs inside install-test.sh's systemd-nspawn container, after
# clinicgw.service has started: writes what the service runs as, and what
# its sandbox lets it do, to /root/probe.txt as KEY=VALUE lines.
out=/root/probe.txt
{
	systemctl show clinicgw.service -p ActiveState -p SubState -p Type -p MainPID -p Result -p NRestarts -p StartLimitBurst -p RestartUSec
	pid=$(systemctl show clinicgw.service -p MainPID --value)
	if [ -n "$pid" ] && [ "$pid" != 0 ]; then
		echo "User=$(stat -c %U /proc/$pid)"
		grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/$pid/status | tr -d '\t ' | tr : =
		# The mount the service sees at a path: the longest mount point
		# that is a prefix of it, read-only or writable.
		mode() {
			awk -v p="$1" '{ m = $5; if ((p == m || index(p, m == "/" ? "/" : m "/") == 1) && length(m) >= best) { best = length(m); o = $6 } }
				END { print (o ~ /(^|,)ro(,|$)/) ? "read-only" : "writable" }' /proc/$pid/mountinfo
		}
		echo "usr=$(mode /usr/bin)"
		echo "etc=$(mode /etc/clinicgw)"
		echo "state=$(mode /var/lib/clinicgw)"
		# `systemctl reload` runs the unit's ExecReload= (clinicgw reload
		# $MAINPID) in the service's sandbox; the service logs the signal.
		if systemctl reload clinicgw.service; then echo "reload=ok"; else echo "reload=failed"; fi
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			journalctl -b -u clinicgw.service -o cat --no-pager | grep -q 'config reload asked for by signal' && break
			sleep 0.5
		done
		journalctl -b -u clinicgw.service -o cat --no-pager | grep -q 'config reload asked for by signal' &&
			echo "reloaded=signal" || echo "reloaded=no"
	fi
	# pcscd through its socket, from a unit with clinicgw.service's exact
	# sandbox: `clinicgw bridge --list-readers` reaches pcscd (which has no
	# readers here) or says it cannot.
	sed -e 's|^ExecStart=.*|ExecStart=/usr/bin/clinicgw bridge --list-readers|' -e 's/^Type=notify/Type=oneshot/' \
		-e '/^NotifyAccess=/d' -e '/^Restart/d' -e '/^\[Install\]/,$d' \
		/usr/lib/systemd/system/clinicgw.service >/run/systemd/system/clinicgw-readers.service
	systemctl daemon-reload
	systemctl start clinicgw-readers.service
	readers=$(journalctl -b -u clinicgw-readers.service -o cat --no-pager | grep -v '^\(Starting\|Started\|Finished\|Failed\|clinicgw-readers\)' | tail -3 | tr '\n' ' ')
	echo "readers=$readers"
	case $readers in
	*"no card reader is connected"*) echo "pcscd=connected" ;;
	*) echo "pcscd=unreachable" ;;
	esac
	echo "journal:"
	journalctl -b -u clinicgw.service -o cat --no-pager | tail -8
} >$out 2>&1
exit 0
