#!/usr/bin/env bash
# Builds the Linux release into OUTDIR: clinicgw for linux/amd64 (cgo, PIE,
# full RELRO, stripped), a .deb checked with lintian (--fail-on
# error,warning) and an .rpm made with rpmbuild (checked with rpmlint when
# it is installed). `make package-linux` runs it.
#
# Usage: packaging/linux/build.sh OUTDIR VERSION
#   VERSION is what `git describe --tags --always --dirty` printed (or
#   "dev"); the binary reports it as it is, the packages carry a version
#   Debian and RPM can order (see package_version).
# Environment: PKG_REVISION (default 1), PKG_MAINTAINER (default: git's
#   user.name and user.email, else the last commit's author), GO (default go), SKIP_LINT=1 to skip lintian
#   and rpmlint.
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 OUTDIR VERSION" >&2
	exit 2
fi
out=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
GO=${GO:-go}
revision=${PKG_REVISION:-1}

die() {
	echo "linux/build.sh: $*" >&2
	exit 1
}

for tool in dpkg-deb objcopy readelf gzip rpmbuild; do
	command -v "$tool" >/dev/null || die "$tool is missing (make deps installs what the build needs)"
done

# package_version maps git describe's output to a version dpkg and rpm
# order the way the history goes:
#   v1.2.3            -> 1.2.3
#   v1.2.3-4-gabc1234 -> 1.2.3+git4.abc1234   (after 1.2.3)
#   abc1234           -> 0.0.0~git20261123085959.abc1234 (commit time: later
#                        commits sort later; before any release)
#   dev               -> 0.0.0~dev
# and "-dirty" (uncommitted changes) becomes ".dirty".
package_version() {
	local v=$1 dirty=""
	if [[ $v == *-dirty ]]; then
		v=${v%-dirty}
		dirty=.dirty
	fi
	# A bare commit first: an abbreviated hash can be all digits (2295059).
	if [[ $v =~ ^[0-9a-f]{7,40}$ ]]; then
		local when
		when=$(TZ=UTC git -C "$repo" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S "$v" 2>/dev/null || true)
		echo "0.0.0~git${when:+$when.}$v$dirty"
		return
	fi
	v=${v#v}
	if [[ $v =~ ^[0-9]+(\.[0-9]+)*$ ]]; then
		echo "$v${dirty:++dirty}"
	elif [[ $v =~ ^([0-9]+(\.[0-9]+)*)-([0-9]+)-g([0-9a-f]+)$ ]]; then
		echo "${BASH_REMATCH[1]}+git${BASH_REMATCH[3]}.${BASH_REMATCH[4]}$dirty"
	else
		# Anything else ("dev", a branch name): keep letters, digits and dots.
		local clean
		clean=$(printf '%s' "$v" | tr -c 'A-Za-z0-9.' '.')
		echo "0.0.0~${clean:-unknown}$dirty"
	fi
}

# script_commands FILE: the commands a maintainer script runs, one a
# line: the first word of every simple command (after ;, &&, ||, |, $( and
# the shell's keywords, assignments skipped). For this repository's short
# /bin/sh scripts, not for shell in general; quoted text is dropped first.
script_commands() {
	perl -0777 -ne '
		s/\\\n//g; s/^#!.*//; s/(^|\s)#[^\n]*/$1/gm;
		s/"((?:[^"\\]|\\.)*)"/index($1, q{$(}) >= 0 ? qq{"$1"} : q{""}/ge; s/\x27[^\x27]*\x27/\x27\x27/g;
		s/\$\(/\n/g; s/&&|\|\||[;|()`]/\n/g;
		for my $part (split /\n/) {
			for my $w (split " ", $part) {
				next if $w =~ /^["\x27]/ || $w =~ /^(if|then|else|elif|fi|do|done|while|until|case|esac|!|\{|\})$/ || $w =~ /^[A-Za-z_][A-Za-z0-9_]*=/;
				print "$w\n"; last;
			}
		}' "$1" | sort -u
}
shell_builtins="[ test echo printf exit set : true false command cd read return shift local export unset trap wait eval exec break continue"

pkgver=$(package_version "$version")
[[ $pkgver =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "cannot make a package version from $version (got $pkgver)"
debver=$pkgver-$revision
# The maintainer: PKG_MAINTAINER, else git's user, else the last commit's
# author (a CI clone may have no git user; lintian refuses a made-up address).
maintainer=${PKG_MAINTAINER:-}
if [[ -z $maintainer ]] && name=$(git -C "$repo" config user.name) && email=$(git -C "$repo" config user.email); then
	maintainer="$name <$email>"
fi
[[ -n $maintainer ]] || maintainer=$(git -C "$repo" log -1 --format='%an <%ae>' 2>/dev/null || true)
[[ $maintainer =~ ^[^\<]+\ \<[^@\>]+@[^\>]+\>$ ]] || die "no maintainer name and address (got '$maintainer'): set PKG_MAINTAINER=\"Name <address>\""
# File dates and the changelog's date: the commit's, so two builds of one
# commit give the same files.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# mktemp -d makes 0700; the package root's mode becomes /'s in the archive.
chmod 0755 "$work"

echo "linux: building clinicgw $version (package version $debver)"
start=$(date +%s)

# --- the binary --------------------------------------------------------------
# cgo (miekg/pkcs11, ebfe/scard link libpcsclite), position-independent,
# linked by the system linker with full RELRO (-z relro -z now), stripped;
# the C parts with the fortified, stack-protected flags Debian builds with.
(
	cd "$repo"
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 \
		CGO_CFLAGS="-O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection -fcf-protection" \
		CGO_CPPFLAGS="-D_FORTIFY_SOURCE=2" \
		"$GO" build -trimpath -buildmode=pie \
		-ldflags="-s -w -linkmode=external -extldflags=-Wl,-z,relro,-z,now -X main.version=$version" \
		-o "$work/clinicgw" ./cmd/clinicgw
)
# The compiler's .comment section is noise lintian flags.
objcopy --remove-section=.comment "$work/clinicgw"
bin=$work/clinicgw

# What the issue asks of the binary, checked rather than trusted.
readelf -h "$bin" | grep -q 'Type:.*DYN' || die "clinicgw is not position-independent"
readelf -l "$bin" | grep -q GNU_RELRO || die "clinicgw has no RELRO segment"
readelf -d "$bin" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || die "clinicgw is not linked with -z now (partial RELRO only)"
readelf -d "$bin" | grep -q 'libpcsclite.so.1' || die "clinicgw does not link libpcsclite (cgo off?)"
if readelf -S "$bin" | grep -q '\.comment'; then die "clinicgw still has a .comment section"; fi
# The newest glibc symbol version it uses is the libc6 it depends on.
glibc=$(readelf -V "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
[[ -n $glibc ]] || die "no glibc symbol versions found in clinicgw"
"$bin" version | grep -qF "$version" || die "clinicgw version does not report $version"

# --- the packaged configuration ------------------------------------------------
# `clinicgw init` writes the configuration with every key and its comment;
# the packaged one is that file with the care unit left empty (the service
# refuses to start until it is filled in) and the store and key in the
# unit's state folder, the only place the service may write. The forms
# init writes are shipped beside it.
"$bin" init --dir "$work/init" --unit SE0000000000-PACKAGE --name package >"$work/init.log" 2>&1 ||
	die "clinicgw init failed: $(cat "$work/init.log")"
{
	cat <<'EOF'
# /etc/clinicgw/clinicgw.toml: the configuration the clinicgw service runs
# with (systemd unit clinicgw.service). Fill in [unit] first; until then the
# service stops at once and `journalctl -u clinicgw` says
# "unit.hsa_id: missing". Then set [central], and [login] and [ui] for the
# staff web UI, and run `systemctl restart clinicgw`.
#
# The service runs as the user clinicgw: files named here must be readable
# by it (certificates: root:clinicgw 0640; private keys and password files:
# clinicgw 0600). It may write only in /var/lib/clinicgw, which holds the
# encrypted store and its key-encryption key (made when the package was
# installed; keep a copy of kek.key offline). Every key is described in
# /usr/share/doc/clinicgw/README.md.

EOF
	sed -e 's|^hsa_id = .*|hsa_id = ""|' \
		-e 's|^name = .*|name = ""|' \
		-e 's|^path = "store.db"|path = "/var/lib/clinicgw/store.db"|' \
		-e 's|^key_file = "kek.key"|key_file = "/var/lib/clinicgw/kek.key"|' \
		"$work/init/clinicgw.toml"
} >"$work/clinicgw.toml"
for want in '^hsa_id = ""$' '^name = ""$' '^path = "/var/lib/clinicgw/store.db"$' '^key_file = "/var/lib/clinicgw/kek.key"$' '^forms_file = "forms.json"$'; do
	grep -q "$want" "$work/clinicgw.toml" || die "the packaged configuration has no line matching $want (has clinicgw init's template changed?)"
done
# Unconfigured, it must fail on the care unit and nothing else.
cfgcheck=$("$bin" run --config "$work/clinicgw.toml" 2>&1 || true)
grep -q 'unit.hsa_id: missing' <<<"$cfgcheck" || die "the packaged configuration does not fail on the empty unit.hsa_id: $cfgcheck"

# --- the tree both packages install -------------------------------------------
root=$work/root
install -d -m 0755 "$root/usr/bin" "$root/usr/lib/systemd/system" "$root/usr/lib/sysusers.d" \
	"$root/usr/lib/tmpfiles.d" "$root/etc/clinicgw" "$root/usr/share/doc/clinicgw"
install -m 0755 "$bin" "$root/usr/bin/clinicgw"
install -m 0644 "$repo/systemd/clinicgw.service" "$root/usr/lib/systemd/system/clinicgw.service"
install -m 0644 "$repo/systemd/clinicgw.sysusers" "$root/usr/lib/sysusers.d/clinicgw.conf"
install -m 0644 "$repo/systemd/clinicgw.tmpfiles" "$root/usr/lib/tmpfiles.d/clinicgw.conf"
# Shipped 0644 root:root (the group does not exist yet when they are
# unpacked); postinst makes them 0640 root:clinicgw. They hold no secret.
install -m 0644 "$work/clinicgw.toml" "$root/etc/clinicgw/clinicgw.toml"
install -m 0644 "$work/init/forms.json" "$root/etc/clinicgw/forms.json"
install -m 0644 "$repo/README.md" "$root/usr/share/doc/clinicgw/README.md"
install -d -m 0755 "$root/usr/share/man/man1"
"$here/manpage.sh" "$bin" "$version" "$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)" >"$work/clinicgw.1"
grep -q '^.B run$' "$work/clinicgw.1" || die "the manual page lists no commands (has clinicgw help changed?)"
gzip -9n -c "$work/clinicgw.1" >"$root/usr/share/man/man1/clinicgw.1.gz"
chmod 0644 "$root/usr/share/man/man1/clinicgw.1.gz"

# copyright: clinicgw's, then each Go module linked into the binary with
# its licence (Apache-2.0 and MPL-2.0 by reference to Debian's copies).
{
	cat <<EOF
clinicgw: care-unit gateway for secure patient messaging
Copyright: the clinicgw authors. All rights reserved; no licence has been
chosen for clinicgw itself yet.

The binary /usr/bin/clinicgw also contains the Go standard library and
runtime and the Go modules below, each under its own licence.

EOF
	echo "Go standard library ($("$GO" env GOVERSION))"
	echo "----------------------------------------------------------------------"
	cat "$("$GO" env GOROOT)/LICENSE"
	echo
	(cd "$repo" && "$GO" list -deps -f '{{if .Module}}{{if not .Module.Main}}{{.Module.Path}} {{.Module.Version}} {{.Module.Dir}}{{end}}{{end}}' ./cmd/clinicgw) |
		sort -u | while read -r mod ver dir; do
		lic=$(find "$dir" -maxdepth 1 -iname 'LICENSE*' -o -maxdepth 1 -iname 'COPYING*' | sort | head -1)
		[[ -n $lic ]] || die "Go module $mod has no licence file"
		echo "$mod $ver"
		echo "----------------------------------------------------------------------"
		if grep -q 'Apache License' "$lic" && grep -q 'Version 2.0' "$lic"; then
			echo "Licensed under the Apache License, Version 2.0. On Debian systems the"
			echo "full text is in /usr/share/common-licenses/Apache-2.0."
			grep -i '^ *copyright ' "$lic" | grep -v '\[yyyy\]' || true
		elif grep -q 'Mozilla Public License' "$lic"; then
			echo "Licensed under the Mozilla Public License, Version 2.0. On Debian"
			echo "systems the full text is in /usr/share/common-licenses/MPL-2.0."
		else
			cat "$lic"
		fi
		echo
	done
} >"$work/copyright"
grep -q '^go.etcd.io/bbolt' "$work/copyright" || die "copyright lists no Go modules"
install -m 0644 "$work/copyright" "$root/usr/share/doc/clinicgw/copyright"

# --- .deb ----------------------------------------------------------------------
deb=$work/deb
cp -a "$root" "$deb"
install -d -m 0755 "$deb/DEBIAN"
changes_date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
cat >"$work/changelog.Debian" <<EOF
clinicgw ($debver) stable; urgency=medium

  * Release build of clinicgw $version (commit $commit).

 -- $maintainer  $changes_date
EOF
gzip -9n -c "$work/changelog.Debian" >"$deb/usr/share/doc/clinicgw/changelog.Debian.gz"
chmod 0644 "$deb/usr/share/doc/clinicgw/changelog.Debian.gz"
touch -d "@$SOURCE_DATE_EPOCH" "$deb/usr/share/doc/clinicgw/changelog.Debian.gz"
for s in postinst prerm postrm; do
	install -m 0755 "$here/deb/$s" "$deb/DEBIAN/$s"
done
# Not a Debian upload: there is no bug for the first entry to close.
install -d -m 0755 "$deb/usr/share/lintian/overrides"
printf '%s\n' '# A package built from the clinicgw repository, not a Debian upload.' \
	'clinicgw: initial-upload-closes-no-bugs' >"$deb/usr/share/lintian/overrides/clinicgw"
chmod 0644 "$deb/usr/share/lintian/overrides/clinicgw"
printf '%s\n' /etc/clinicgw/clinicgw.toml /etc/clinicgw/forms.json >"$deb/DEBIAN/conffiles"
chmod 0644 "$deb/DEBIAN/conffiles"
installed_size=$(du -sk --exclude=DEBIAN "$deb" | cut -f1)
cat >"$deb/DEBIAN/control" <<EOF
Package: clinicgw
Version: $debver
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: adduser, libc6 (>= $glibc), libpcsclite1
Recommends: opensc-pkcs11, pcscd
Section: net
Priority: optional
Description: care-unit gateway for secure patient messaging
 clinicgw is the care unit's side of a secure patient and clinic
 messaging service: an on-premises gateway that pulls the patients' cases
 from the central patient-side store over mutual TLS into an encrypted
 local store, and serves the staff web UI on the clinic LAN, where staff
 log in with their SITHS card.
 .
 This package runs it as the hardened systemd service clinicgw.service,
 as the system user clinicgw, configured in /etc/clinicgw/clinicgw.toml.
 Purging the package deletes the store in /var/lib/clinicgw.
EOF
chmod 0644 "$deb/DEBIAN/control"
(cd "$deb" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | grep -v '^etc/' | LC_ALL=C sort | xargs md5sum) >"$deb/DEBIAN/md5sums"
chmod 0644 "$deb/DEBIAN/md5sums"
find "$deb" -newermt "@$SOURCE_DATE_EPOCH" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
debfile=$out/clinicgw_${debver}_amd64.deb
rm -f "$out"/clinicgw_*_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$deb" "$debfile" >/dev/null
echo "linux: $debfile ($(stat -c %s "$debfile") bytes)"

if [[ ${SKIP_LINT:-} != 1 ]]; then
	command -v lintian >/dev/null || die "lintian is missing (make deps installs it)"
	lintstart=$(date +%s)
	# Informational tags are shown; an error or warning fails the build.
	lintian --fail-on error,warning --display-info "$debfile" || die "lintian found errors or warnings in $debfile"
	echo "linux: lintian clean (errors, warnings) in $(($(date +%s) - lintstart)) s"
fi

# --- .rpm ----------------------------------------------------------------------
# rpmbuild from the same tree. rpm creates the user before it unpacks
# (%pre), so the files carry their owners and modes directly; the
# configuration is %config(noreplace). rpmbuild's generator adds the
# library dependencies it finds in the binary (libpcsclite.so.1, glibc's
# symbol versions). (nfpm's rpms were tried first: their payload names are
# absolute, and rpmlint, like any `rpm2cpio | cpio -id` run as root,
# unpacked them onto the build machine's own /etc and /usr.)
command -v rpmbuild >/dev/null || die "rpmbuild is missing (Debian package rpm; make deps installs it)"
rpmtop=$work/rpmbuild
mkdir -p "$rpmtop"/{BUILD,RPMS,SOURCES,SPECS,SRPMS,BUILDROOT}
spec=$rpmtop/SPECS/clinicgw.spec
{
	cat <<EOF
# Written by packaging/linux/build.sh; the files come from its staging tree.
%global debug_package %{nil}
%global __os_install_post %{nil}
%global _build_id_links none
Name: clinicgw
Version: $pkgver
Release: $revision
Summary: Care-unit gateway for secure patient messaging
Group: Applications/Internet
License: Proprietary
Packager: $maintainer
# Every command the scriptlets run (rpm/*.sh), by path, so that any RPM
# distribution resolves them; checked below against the scripts.
Requires(pre): /usr/bin/getent
Requires(pre): /usr/sbin/groupadd
Requires(pre): /usr/sbin/useradd
Requires(post): /usr/bin/mktemp
Requires(post): /usr/bin/chown
Requires(post): /usr/bin/chmod
Requires(post): /usr/bin/mv
Requires(post): /usr/bin/rm
Requires(post): /usr/bin/systemctl
Requires(preun): /usr/bin/systemctl
Requires(postun): /usr/bin/systemctl
Recommends: pcsc-lite
Recommends: opensc

%description
clinicgw is the care unit's side of a secure patient and clinic messaging
service: an on-premises gateway that pulls the patients' cases from the
central patient-side store over mutual TLS into an encrypted local store,
and serves the staff web UI on the clinic LAN, where staff log in with
their SITHS card. It runs as the hardened systemd service clinicgw.service
as the system user clinicgw, configured in /etc/clinicgw/clinicgw.toml.

%install
cp -a $root/. %{buildroot}/
install -d -m 0755 %{buildroot}/usr/share/licenses/clinicgw %{buildroot}/var/lib/clinicgw
mv %{buildroot}/usr/share/doc/clinicgw/copyright %{buildroot}/usr/share/licenses/clinicgw/copyright

%files
%attr(0755,root,root) /usr/bin/clinicgw
%attr(0644,root,root) /usr/lib/systemd/system/clinicgw.service
%attr(0644,root,root) /usr/lib/sysusers.d/clinicgw.conf
%attr(0644,root,root) /usr/lib/tmpfiles.d/clinicgw.conf
%dir %attr(0750,root,clinicgw) /etc/clinicgw
%config(noreplace) %attr(0640,root,clinicgw) /etc/clinicgw/clinicgw.toml
%config(noreplace) %attr(0640,root,clinicgw) /etc/clinicgw/forms.json
%dir %attr(0700,clinicgw,clinicgw) /var/lib/clinicgw
%dir /usr/share/doc/clinicgw
%doc %attr(0644,root,root) /usr/share/doc/clinicgw/README.md
%dir /usr/share/licenses/clinicgw
%license %attr(0644,root,root) /usr/share/licenses/clinicgw/copyright
%doc %attr(0644,root,root) /usr/share/man/man1/clinicgw.1.gz

EOF
	for s in pre:preinstall post:postinstall preun:preremove postun:postremove; do
		echo "%${s%%:*}"
		grep -v '^#!' "$here/rpm/${s#*:}.sh"
		echo
	done
	echo "%changelog"
	echo "* $(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %d %Y') $maintainer - $pkgver-$revision"
	echo "- Release build of clinicgw $version (commit $commit)."
} >"$spec"
rm -f "$out"/clinicgw-*.x86_64.rpm
rpmbuild -bb --quiet --nodeps --target x86_64-linux \
	--define "_topdir $rpmtop" \
	--define "_binary_payload w6.xzdio" \
	--define "use_source_date_epoch_as_buildtime 1" \
	--define "clamp_mtime_to_source_date_epoch 1" \
	--define "_buildhost reproducible" \
	"$spec" >"$work/rpmbuild.log" 2>&1 || die "rpmbuild failed: $(cat "$work/rpmbuild.log")"
rpmfile=$out/clinicgw-$pkgver-$revision.x86_64.rpm
cp "$rpmtop"/RPMS/x86_64/clinicgw-*.x86_64.rpm "$rpmfile"
rpm -qp --requires "$rpmfile" | grep -q 'libpcsclite.so.1' || die "the rpm does not require libpcsclite.so.1"
# No RPM distribution is at hand to install on (the .deb's scripts run in
# install-test.sh's chroot with only what it declares), so the rpm's
# scriptlets are read: each command they run must be a shell builtin,
# clinicgw itself, or a file the rpm requires for that scriptlet.
for s in pre:preinstall post:postinstall preun:preremove postun:postremove; do
	reqs=$(rpm -qp --qf '[%{REQUIRENAME} %{REQUIREFLAGS:deptype}\n]' "$rpmfile" | awk -v p="${s%%:*}" '$2 ~ "(^|,)" p "(,|$)" { print $1 }')
	for cmd in $(script_commands "$here/rpm/${s#*:}.sh"); do
		case " $shell_builtins clinicgw " in *" $cmd "*) continue ;; esac
		grep -qx "/usr/s\?bin/$cmd" <<<"$reqs" ||
			die "rpm/${s#*:}.sh runs $cmd, which the rpm does not require for %${s%%:*} (add Requires(${s%%:*}): /usr/bin/$cmd to the spec)"
	done
done
echo "linux: $rpmfile ($(stat -c %s "$rpmfile") bytes)"
if [[ ${SKIP_LINT:-} != 1 ]] && command -v rpmlint >/dev/null; then
	# rpmlint knows Fedora's and openSUSE's policies: rpm/rpmlintrc says
	# which of its findings are clinicgw's intent; a remaining error fails
	# the build, warnings are shown.
	rpmlint -c "$here/rpm/rpmlint.toml" -r "$here/rpm/rpmlintrc" "$rpmfile" || die "rpmlint found errors in $rpmfile"
fi

echo "linux: done in $(($(date +%s) - start)) s"
ls -l "$debfile" "$rpmfile"
