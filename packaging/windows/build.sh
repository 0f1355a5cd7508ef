#!/usr/bin/env bash
# Builds the Windows release into OUTDIR:
#   clinicgw-VERSION-windows-amd64.exe  windows/amd64, cgo through mingw-w64
#                                       (miekg/pkcs11), a version resource
#   clinicgw-VERSION-x64.msi            wixl: the exe, the service
#                                       (ServiceInstall/ServiceControl), the
#                                       configuration template, never overwritten
# Both are Authenticode-signed with osslsigncode and verified: with SIGN_CERT
# and SIGN_KEY (PEM files) when they name a real certificate (SIGN_CA: its
# CA, for the verification; SIGN_CERT itself if unset), else with a
# throwaway self-signed test certificate made here, which nobody trusts.
# No timestamp: that needs the network.
#
# Usage: packaging/windows/build.sh OUTDIR VERSION
# Needs (make deps): gcc-mingw-w64-x86-64, wixl, wixl-data, msitools,
# osslsigncode, openssl, go.
set -euo pipefail

if (($# != 2)); then
	echo "usage: $0 OUTDIR VERSION" >&2
	exit 2
fi
out=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

for tool in go x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres wixl msibuild msiinfo osslsigncode openssl; do
	if ! command -v "$tool" >/dev/null; then
		echo "windows/build.sh: $tool not found; run 'make deps' (it installs gcc-mingw-w64-x86-64, wixl, msitools, osslsigncode)" >&2
		exit 1
	fi
done

# The MSI's ProductVersion and the resource's FILEVERSION are numbers:
# MAJOR.MINOR.PATCH from a tag like v1.2.3 or 1.2.3-4-gabcdef; for an
# untagged build 0.0.N, N the commit count, so that each later build still
# upgrades the one before (Windows Installer compares these three fields
# only: release from tags).
if [[ $version =~ ^v?([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
	major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}
else
	major=0 minor=0 patch=$(git -C "$repo" rev-list --count HEAD 2>/dev/null || echo 0)
	patch=$((patch > 65535 ? 65535 : patch))
fi
numeric="$major.$minor.$patch"

start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# A copy of the source, so that the generated .syso never lands in the
# work tree (a test or build running beside this one would see it).
src="$work/src"
mkdir "$src"
tar -C "$repo" --exclude=./.git --exclude=./testdata/screenshots -cf - . | tar -C "$src" -xf -

# The version resource, compiled into the exe by the go tool (.syso).
sed -e "s/@MAJOR@/$major/g" -e "s/@MINOR@/$minor/g" -e "s/@PATCH@/$patch/g" -e "s/@VERSION@/$version/g" \
	"$here/versioninfo.rc.in" >"$work/versioninfo.rc"
x86_64-w64-mingw32-windres -O coff -i "$work/versioninfo.rc" -o "$src/cmd/clinicgw/versioninfo_windows_amd64.syso"

echo "windows: building clinicgw.exe $version"
(
	cd "$src"
	CC=x86_64-w64-mingw32-gcc CGO_ENABLED=1 GOOS=windows GOARCH=amd64 \
		go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/clinicgw-unsigned.exe" ./cmd/clinicgw
)

# The signing certificate.
if [[ -n "${SIGN_CERT:-}" || -n "${SIGN_KEY:-}" ]]; then
	if [[ -z "${SIGN_CERT:-}" || -z "${SIGN_KEY:-}" ]]; then
		echo "windows/build.sh: set both SIGN_CERT and SIGN_KEY, or neither (for a throwaway test certificate)" >&2
		exit 1
	fi
	cert=$SIGN_CERT key=$SIGN_KEY ca=${SIGN_CA:-$SIGN_CERT}
	echo "windows: signing with $cert"
else
	cert="$work/test-sign.pem" key="$work/test-sign.key" ca="$work/test-sign.pem"
	openssl req -x509 -newkey rsa:3072 -sha256 -days 30 -nodes -subj "/CN=clinicgw TEST code signing (untrusted)/O=clinicgw" \
		-addext "keyUsage=critical,digitalSignature" -addext "extendedKeyUsage=codeSigning" \
		-keyout "$key" -out "$cert" 2>/dev/null
	echo "windows: signing with a throwaway test certificate (set SIGN_CERT and SIGN_KEY for a real one)"
fi

sign() { # IN OUT
	osslsigncode sign -certs "$cert" -key "$key" -h sha256 -n "clinicgw care-unit gateway" -in "$1" -out "$2" >/dev/null
	osslsigncode verify -CAfile "$ca" -in "$2" >"$work/verify.txt" 2>&1 || {
		cat "$work/verify.txt" >&2
		echo "windows/build.sh: the signature on $(basename "$2") does not verify" >&2
		exit 1
	}
	echo "windows: $(basename "$2") signed and verified: $(grep -E "^Signature verification" "$work/verify.txt")"
}

# Sign the exe first: the MSI carries the signed one.
stage="$work/stage"
mkdir "$stage"
sign "$work/clinicgw-unsigned.exe" "$stage/clinicgw.exe"
cp "$here/clinicgw.wxs" "$here/clinicgw.toml" "$stage/"
cp "$repo/README.md" "$stage/README.md"

# wixl wants its sources beside the .wxs (an absolute File/@Source fails).
(cd "$stage" && wixl -a x64 -D Version="$numeric" -o "$work/clinicgw-unsigned.msi" clinicgw.wxs)

# wixl drops NeverOverwrite and Permanent: set the Config component's bits
# (msidbComponentAttributesNeverOverwrite 128, ...Permanent 16) before
# signing.
attrs=$(msiinfo export "$work/clinicgw-unsigned.msi" Component | tr -d '\r' | awk -F'\t' '$1 == "Config" { print $4 }')
if [[ -z "$attrs" ]]; then
	echo "windows/build.sh: no Config component in the MSI" >&2
	exit 1
fi
msibuild "$work/clinicgw-unsigned.msi" -q "UPDATE \`Component\` SET \`Attributes\` = $((attrs | 128 | 16)) WHERE \`Component\` = 'Config'"
# ... and the condition that starts the service again after an upgrade
# only.
msibuild "$work/clinicgw-unsigned.msi" -q "UPDATE \`Component\` SET \`Condition\` = 'WIX_UPGRADE_DETECTED' WHERE \`Component\` = 'RestartAfterUpgrade'"

# A major upgrade removes the older version inside the install's own
# transaction (WiX's Schedule="afterInstallInitialize", which wixl lacks):
# if the new version fails — say its service does not start — the old one
# comes back instead of leaving none.
init=$(msiinfo export "$work/clinicgw-unsigned.msi" InstallExecuteSequence | tr -d '\r' | awk -F'\t' '$1 == "InstallInitialize" { print $3 }')
msibuild "$work/clinicgw-unsigned.msi" -q "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = $((init + 1)) WHERE \`Action\` = 'RemoveExistingProducts'"

"$here/check-msi.sh" "$work/clinicgw-unsigned.msi"

exe="clinicgw-$version-windows-amd64.exe"
msi="clinicgw-$version-x64.msi"
sign "$work/clinicgw-unsigned.msi" "$work/$msi"
cp "$stage/clinicgw.exe" "$out/$exe"
cp "$work/$msi" "$out/$msi"

end=$(date +%s)
echo "windows: $out/$exe ($(stat -c %s "$out/$exe") bytes), $out/$msi ($(stat -c %s "$out/$msi") bytes) in $((end - start)) s"
