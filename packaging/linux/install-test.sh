#!/usr/bin/env bash
# Installs the .deb from OUTDIR in a Debian 12 (bookworm) chroot made by
# debootstrap and checks what the package promises: the system user, the
# files and their modes, the key-encryption key; the gateway starts as the
# user clinicgw with the packaged configuration filled in; the service runs
# under its hardened unit with systemd as PID 1 (systemd-nspawn --boot);
# an upgrade keeps an edited configuration (and the administrator's
# dpkg-statoverride); remove keeps the data; purge deletes it.
# `make package-test` runs it after `make package-linux`.
#
# Usage: packaging/linux/install-test.sh OUTDIR
# Needs root, debootstrap and (for the service run) systemd-nspawn; the
# first run downloads a minbase bookworm with systemd, pcscd and the
# package's dependencies (~1.5 min) and keeps it in CACHE
# (default /var/cache/clinicgw-install-test; remove it to start afresh).
# MIRROR (default http://deb.debian.org/debian) is where it comes from.
set -euo pipefail

if (($# != 1)); then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$(cd "$1" && pwd)
cache=${CACHE:-/var/cache/clinicgw-install-test}
mirror=${MIRROR:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "install-test: $*" >&2
	exit 1
}
((EUID == 0)) || die "needs root (debootstrap, chroot, systemd-nspawn)"
command -v debootstrap >/dev/null || die "debootstrap is missing (make deps installs it)"
shopt -s nullglob
debs=("$out"/clinicgw_*_amd64.deb)
((${#debs[@]} == 1)) || die "expected one clinicgw_*_amd64.deb in $out (run make package-linux), found ${#debs[@]}"
deb=${debs[0]}

t0=$(date +%s)
failures=0
pass() { echo "  ok    $*"; }
fail() {
	echo "  FAIL  $*"
	failures=$((failures + 1))
}
# expect DESCRIPTION WANT GOT
expect() {
	if [[ $3 == "$2" ]]; then pass "$1: $3"; else fail "$1: got '$3', want '$2'"; fi
}

# --- the chroot ----------------------------------------------------------------
# The cached system is named after what it was made with: a change to the
# list below makes a new one.
include=systemd,systemd-sysv,dbus,adduser,libpcsclite1,pcscd,opensc-pkcs11
base=$cache/bookworm-minbase-$(sha256sum <<<"$include" | cut -c1-12).tar
if [[ ! -s $base ]]; then
	echo "install-test: debootstrap bookworm (minbase, systemd, pcscd, the package's dependencies) into $cache"
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
	chmod 0755 "$tmp"
	ds=$(date +%s)
	debootstrap --variant=minbase \
		--include="$include" \
		bookworm "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $cache/debootstrap.log"
	tar -C "$tmp" -cf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf "$tmp"
	echo "install-test: debootstrap took $(($(date +%s) - ds)) s"
fi

work=$(mktemp -d /var/tmp/clinicgw-install-test.XXXXXX)
root=$work/root
cleanup() {
	umount -l "$root/proc" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$root"
tar -C "$root" -xf "$base"
# debootstrap's folder came from mktemp -d (0700); / must be 0755 for the
# service's user to reach anything.
chmod 0755 "$root"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" "$@"; }
# mode owner:group of a path in the chroot, with the chroot's names.
modeof() { in_root stat -c '%a %U:%G' "$1" 2>/dev/null || echo missing; }

cp "$deb" "$root/tmp/clinicgw.deb"
ver=$(dpkg-deb -f "$deb" Version)
echo "install-test: $deb ($ver)"

# --- what the package may run ---------------------------------------------------
# Everything the unit's Exec* lines and the maintainer scripts run must come
# from the package itself, an Essential package, or a package it depends on
# (with their own dependencies): the chroot holds more (systemd and pcscd,
# for the service runs below), so install, upgrade, remove and purge run
# with a PATH of only those packages' commands (in /declared-bin), and the
# unit's commands must belong to them. systemd counts as declared: the
# unit runs only where systemd is, and its tools are used only there
# (the scripts check for /run/systemd/system, deb-systemd-helper for
# systemctl).
essential=$(in_root dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" { print $1 }')
queue=($essential systemd $({ dpkg-deb -f "$deb" Depends && dpkg-deb -f "$deb" Pre-Depends; } | sed -e 's/([^)]*)//g' -e 's/[,|]/\n/g' | awk 'NF { print $1 }'))
declare -A declared=()
while ((${#queue[@]})); do
	p=${queue[0]%%:*}
	queue=("${queue[@]:1}")
	[[ -z $p || -n ${declared[$p]:-} ]] && continue
	# A name that is not an installed package (a virtual one) adds nothing.
	d=$(in_root dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$p" 2>/dev/null) || continue
	declared[$p]=1
	queue+=($(sed -e 's/([^)]*)//g' -e 's/[,|]/\n/g' <<<"$d" | awk 'NF { print $1 }'))
done
mkdir "$root/declared-bin"
ln -s /usr/bin/clinicgw "$root/declared-bin/clinicgw"
while read -r f; do
	if [[ $f =~ ^(/usr)?/s?bin/[^/]+$ && -x $root$f && ! -d $root$f ]]; then
		ln -sfn "$f" "$root/declared-bin/${f##*/}"
	fi
done < <(in_root dpkg -L "${!declared[@]}" 2>/dev/null)
# Every other command the chroot has becomes, in /undeclared-bin (after
# /declared-bin on PATH), a stand-in that records its use and fails: a
# script that runs one is caught even when it hides the failure
# (`>/dev/null 2>&1 || true`).
mkdir "$root/undeclared-bin"
for f in "$root"/usr/bin/* "$root"/usr/sbin/*; do
	name=${f##*/}
	if [[ -x $f && ! -d $f && ! -e $root/declared-bin/$name && ! -e $root/undeclared-bin/$name ]]; then
		printf '#!/bin/sh\necho "%s $*" >>/undeclared.log\nexit 127\n' "${f#"$root"}" >"$root/undeclared-bin/$name"
		chmod 0755 "$root/undeclared-bin/$name"
	fi
done
echo "install-test: the package may run the commands of ${#declared[@]} packages (Essential, systemd, its dependencies, theirs):" \
	"$(ls "$root/declared-bin" | wc -l) commands; $(ls "$root/undeclared-bin" | wc -l) others in the chroot are refused"
# declared_run CMD...: CMD in the chroot with only those commands on PATH;
# a maintainer script's "not found", or its use of an undeclared command,
# fails it even where the script goes on.
declared_run() {
	local log=$work/declared.log
	local rc=0
	rm -f "$root/undeclared.log"
	in_root env PATH=/declared-bin:/undeclared-bin DEBIAN_FRONTEND=noninteractive "$@" >"$log" 2>&1 || rc=$?
	cat "$log"
	if [[ -s $root/undeclared.log ]]; then
		echo "ran commands clinicgw does not depend on:"
		sed 's/^/    /' "$root/undeclared.log"
		return 126
	fi
	if grep -q 'not found' "$log"; then return 127; fi
	return $rc
}

# --- install -------------------------------------------------------------------
echo "install:"
# apt runs dpkg with its own PATH (DPkg::Path): give it the same one.
if declared_run /usr/bin/apt-get -o DPkg::Path=/declared-bin:/undeclared-bin install -y -q --no-install-recommends /tmp/clinicgw.deb >"$work/install.log"; then
	pass "apt-get install ./clinicgw.deb"
else
	cat "$work/install.log"
	die "install failed"
fi
expect "dpkg status" "install ok installed $ver" "$(in_root dpkg-query -W -f='${Status} ${Version}' clinicgw)"
IFS=: read -r _ _ uid gid _ home shell < <(in_root getent passwd clinicgw || echo "x:x:x:x:x:x:x")
if [[ $uid =~ ^[0-9]+$ ]] && ((uid > 0 && uid < 1000)); then pass "system user clinicgw (uid $uid)"; else fail "no system user clinicgw (uid '$uid')"; fi
expect "clinicgw's group" "clinicgw" "$(in_root id -gn clinicgw 2>/dev/null)"
expect "clinicgw's home and shell" "/var/lib/clinicgw /usr/sbin/nologin" "$home $shell"
expect "/etc/clinicgw" "750 root:clinicgw" "$(modeof /etc/clinicgw)"
expect "/etc/clinicgw/clinicgw.toml" "640 root:clinicgw" "$(modeof /etc/clinicgw/clinicgw.toml)"
expect "/etc/clinicgw/forms.json" "640 root:clinicgw" "$(modeof /etc/clinicgw/forms.json)"
expect "/var/lib/clinicgw" "700 clinicgw:clinicgw" "$(modeof /var/lib/clinicgw)"
expect "/var/lib/clinicgw/kek.key" "600 clinicgw:clinicgw" "$(modeof /var/lib/clinicgw/kek.key)"
expect "/usr/bin/clinicgw" "755 root:root" "$(modeof /usr/bin/clinicgw)"
for f in /usr/lib/systemd/system/clinicgw.service /usr/lib/sysusers.d/clinicgw.conf /usr/lib/tmpfiles.d/clinicgw.conf \
	/usr/share/doc/clinicgw/copyright /usr/share/doc/clinicgw/changelog.Debian.gz /usr/share/doc/clinicgw/README.md /usr/share/man/man1/clinicgw.1.gz; do
	[[ -f $root$f ]] && pass "$f" || fail "$f missing"
done
[[ -L $root/etc/systemd/system/multi-user.target.wants/clinicgw.service ]] &&
	pass "enabled (deb-systemd-helper: multi-user.target.wants)" || fail "clinicgw.service not enabled"
# The unit's commands, and the service user's shell, from those packages.
while read -r cmd; do
	owner=$(in_root dpkg -S "$cmd" 2>/dev/null | cut -d: -f1)
	if [[ $owner == clinicgw || -n ${declared[$owner]:-} ]]; then
		pass "unit's $cmd: from ${owner}"
	else
		fail "unit's $cmd: from '${owner:-no package}', which clinicgw neither is nor depends on (nor is it Essential)"
	fi
done < <(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$root/usr/lib/systemd/system/clinicgw.service" | sort -u)
shell=$(awk '$1 == "u" { print $NF }' "$root/usr/lib/sysusers.d/clinicgw.conf")
owner=$(in_root dpkg -S "$shell" 2>/dev/null | cut -d: -f1)
[[ -n ${declared[$owner]:-} ]] && pass "the user's shell $shell: from $owner" || fail "the user's shell $shell: from '${owner:-no package}', not a declared one"
in_root systemd-analyze verify clinicgw.service >"$work/verify.log" 2>&1 && [[ ! -s $work/verify.log ]] &&
	pass "systemd-analyze verify in the chroot: clean" || fail "systemd-analyze verify: $(cat "$work/verify.log")"

# boot_probe: boots the chroot with systemd as PID 1 (systemd-nspawn
# --boot) and a oneshot probe unit ordered after clinicgw.service (with
# Type=notify it runs once clinicgw has sent READY=1, or has failed); the
# probe writes KEY=VALUE lines to /root/probe.txt and powers off. Returns 1
# when systemd-nspawn is missing.
boot_probe() {
	command -v systemd-nspawn >/dev/null || return 1
	rm -f "$root/root/probe.txt"
	cp "$here/nspawn-probe.sh" "$root/usr/local/sbin/clinicgw-probe"
	chmod 0755 "$root/usr/local/sbin/clinicgw-probe"
	cat >"$root/etc/systemd/system/clinicgw-probe.service" <<'EOF'
[Unit]
Description=install-test probe of clinicgw.service
After=clinicgw.service multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/clinicgw-probe
ExecStartPost=/bin/systemctl --no-block poweroff
[Install]
WantedBy=multi-user.target
EOF
	ln -sf /etc/systemd/system/clinicgw-probe.service "$root/etc/systemd/system/multi-user.target.wants/clinicgw-probe.service"
	umount "$root/proc"
	timeout 180 systemd-nspawn -q -D "$root" --boot --register=no --keep-unit --private-network >"$work/nspawn.log" 2>&1 || true
	mount -t proc proc "$root/proc"
	rm -rf "$root/etc/systemd/system/clinicgw-probe.service" \
		"$root/etc/systemd/system/multi-user.target.wants/clinicgw-probe.service" "$root/usr/local/sbin/clinicgw-probe"
	if [[ ! -s $root/root/probe.txt ]]; then
		echo "  the probe wrote nothing; the container's console:"
		tail -40 "$work/nspawn.log"
		touch "$root/root/probe.txt"
	fi
	sed 's/^/        /' "$root/root/probe.txt"
}
probe() { sed -n "s/^$1=//p" "$root/root/probe.txt" | head -1; }

# --- the unconfigured service ----------------------------------------------------
# As installed, before anyone names the care unit: the service must stop
# with a message that says what to fix, and give up after a few tries.
echo "service unconfigured (systemd-nspawn --boot):"
if boot_probe; then
	grep -q 'unit.hsa_id: missing' "$root/root/probe.txt" &&
		pass "the journal says: $(grep -o 'unit.hsa_id: missing[^;]*' "$root/root/probe.txt" | head -1)" ||
		fail "no 'unit.hsa_id: missing' in the service's journal"
	expect "exit" "exit-code" "$(probe Result)"
	expect "bounded restarts (StartLimitBurst, RestartUSec)" "3 10s" "$(probe StartLimitBurst) $(probe RestartUSec)"
else
	echo "  skip  systemd-nspawn is missing (Debian package systemd-container): the unit was not run under systemd"
fi

# --- the gateway runs as clinicgw ------------------------------------------------
echo "run as clinicgw:"
conf=$root/etc/clinicgw/clinicgw.toml
msg=$(in_root setpriv --reuid=clinicgw --regid=clinicgw --init-groups /usr/bin/clinicgw run --config /etc/clinicgw/clinicgw.toml 2>&1 || true)
if grep -q 'unit.hsa_id: missing' <<<"$msg"; then pass "unconfigured: stops with \"$(grep -o 'unit.hsa_id: missing[^;]*' <<<"$msg")\""; else fail "unconfigured run said: $msg"; fi
# What an administrator does first: name the care unit.
sed -i -e 's|^hsa_id = ""|hsa_id = "SE2321000016-15ZM"|' -e 's|^name = ""|name = "Vårdcentralen Installtest"|' "$conf"
conf_sum=$(sha256sum <"$conf")
key_sum=$(sha256sum <"$root/var/lib/clinicgw/kek.key")
# Runs until it says it is running, then SIGTERM.
# (chroot and setpriv exec, so $! is clinicgw itself.)
chroot "$root" setpriv --reuid=clinicgw --regid=clinicgw --init-groups /usr/bin/clinicgw run --config /etc/clinicgw/clinicgw.toml >"$work/run.out" 2>&1 &
runpid=$!
for _ in $(seq 300); do
	grep -q 'running for' "$work/run.out" && break
	kill -0 "$runpid" 2>/dev/null || break
	sleep 0.1
done
if grep -q 'running for' "$work/run.out"; then pass "clinicgw run as clinicgw: $(grep -o 'running for.*' "$work/run.out")"; else fail "clinicgw run did not start: $(cat "$work/run.out")"; fi
kill -TERM "$runpid" 2>/dev/null || true
wait "$runpid" && pass "stopped by SIGTERM, exit 0" || fail "exit status $? after SIGTERM: $(tail -3 "$work/run.out")"
expect "store made by the service user" "600 clinicgw:clinicgw" "$(modeof /var/lib/clinicgw/store.db)"
in_root setpriv --reuid=clinicgw --regid=clinicgw --init-groups /usr/bin/clinicgw keys list --config /etc/clinicgw/clinicgw.toml >"$work/keys.out" 2>&1 &&
	pass "keys list opens the store with postinst's kek.key" || fail "keys list: $(cat "$work/keys.out")"

# --- the service under systemd ---------------------------------------------------
echo "service configured (systemd-nspawn --boot):"
nstart=$(date +%s)
if boot_probe; then
	expect "ActiveState" "active" "$(probe ActiveState)"
	expect "runs as" "clinicgw" "$(probe User)"
	expect "effective capabilities" "0000000000000000" "$(probe CapEff)"
	expect "NoNewPrivs" "1" "$(probe NoNewPrivs)"
	expect "Seccomp (2 = filter)" "2" "$(probe Seccomp)"
	expect "/usr read-only for the service" "read-only" "$(probe usr)"
	expect "/etc/clinicgw read-only for the service" "read-only" "$(probe etc)"
	expect "/var/lib/clinicgw writable" "writable" "$(probe state)"
	expect "pcscd's socket reachable (AF_UNIX, PrivateDevices)" "connected" "$(probe pcscd)"
	expect "systemctl reload (ExecReload=clinicgw reload \$MAINPID)" "ok" "$(probe reload)"
	expect "the service read its configuration again" "signal" "$(probe reloaded)"
	echo "  ($(($(date +%s) - nstart)) s with boot and poweroff)"
else
	echo "  skip  systemd-nspawn is missing (Debian package systemd-container): the service was not run under systemd"
fi

# --- upgrade ---------------------------------------------------------------------
# The same package with a higher revision, whose packaged configuration
# changed too: dpkg must keep the administrator's file (the packaged one
# goes beside it as .dpkg-dist) and the key and store.
echo "upgrade:"
in_root dpkg-statoverride --update --add root clinicgw 0644 /etc/clinicgw/forms.json
up=$work/up
dpkg-deb -R "$deb" "$up"
upver="${ver%-*}-$((${ver##*-} + 1))"
sed -i "s/^Version: .*/Version: $upver/" "$up/DEBIAN/control"
echo "# changed in $upver" >>"$up/etc/clinicgw/clinicgw.toml"
dpkg-deb --root-owner-group -Zxz --build "$up" "$root/tmp/clinicgw-up.deb" >/dev/null
if declared_run dpkg --force-confdef --force-confold -i /tmp/clinicgw-up.deb >"$work/upgrade.log"; then
	pass "dpkg -i $upver over $ver"
else
	cat "$work/upgrade.log"
	fail "upgrade failed"
fi
expect "version" "$upver" "$(in_root dpkg-query -W -f='${Version}' clinicgw)"
expect "edited configuration kept" "$conf_sum" "$(sha256sum <"$conf")"
[[ -f $conf.dpkg-dist ]] && pass "the new packaged configuration beside it: clinicgw.toml.dpkg-dist" || fail "no clinicgw.toml.dpkg-dist"
expect "kek.key kept" "$key_sum" "$(sha256sum <"$root/var/lib/clinicgw/kek.key")"
expect "clinicgw.toml mode" "640 root:clinicgw" "$(modeof /etc/clinicgw/clinicgw.toml)"
expect "forms.json keeps its dpkg-statoverride" "644 root:clinicgw" "$(modeof /etc/clinicgw/forms.json)"
[[ -f $root/var/lib/clinicgw/store.db ]] && pass "store kept" || fail "store.db gone after upgrade"

# --- remove, purge ---------------------------------------------------------------
echo "remove and purge:"
in_root dpkg-statoverride --remove /etc/clinicgw/forms.json
declared_run dpkg -r clinicgw >"$work/remove.log" && pass "dpkg -r" || fail "dpkg -r: $(cat "$work/remove.log")"
[[ ! -e $root/usr/bin/clinicgw ]] && pass "binary removed" || fail "/usr/bin/clinicgw left after remove"
[[ -f $conf && -f $root/var/lib/clinicgw/store.db && -f $root/var/lib/clinicgw/kek.key ]] &&
	pass "remove keeps the configuration, the store and its key" || fail "remove deleted the configuration or the store"
declared_run dpkg -P clinicgw >"$work/purge.log" && pass "dpkg -P" || fail "dpkg -P: $(cat "$work/purge.log")"
for p in /etc/clinicgw /var/lib/clinicgw /etc/systemd/system/multi-user.target.wants/clinicgw.service /usr/lib/systemd/system/clinicgw.service; do
	[[ ! -e $root$p && ! -L $root$p ]] && pass "purged: $p gone" || fail "$p left after purge"
done
expect "dpkg knows nothing of it" "" "$(in_root dpkg-query -W -f='${Status}' clinicgw 2>/dev/null || true)"
in_root getent passwd clinicgw >/dev/null && pass "the system user clinicgw stays (Debian practice for system users)" || pass "the system user is gone"

echo "install-test: $failures failure(s) in $(($(date +%s) - t0)) s"
((failures == 0))
