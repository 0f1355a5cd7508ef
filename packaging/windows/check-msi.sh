#!/usr/bin/env bash
# Checks an MSI's tables with msiinfo (msitools): the service is installed
# under the name the binary uses, started automatically, with the
# configuration's path as its argument; it is stopped and removed with the
# product; the configuration component is never overwritten and kept at
# removal; a major upgrade replaces older versions; the Event Log source
# is registered. Exit 1 naming what is wrong.
#
# Usage: packaging/windows/check-msi.sh FILE.msi
set -euo pipefail
msi=$1
fail=0
bad() {
	echo "check-msi: $msi: $*" >&2
	fail=1
}
table() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4; } # rows only (3 header lines), CRLF dropped

# ServiceInstall: ServiceInstall Name DisplayName ServiceType StartType
# ErrorControl LoadOrderGroup Dependencies StartName Password Arguments ...
col() { awk -F'\t' -v n="$1" -v c="$2" '$2 == n { print $c }'; }
svc=$(table ServiceInstall)
[[ -n "$(col clinicgw 2 <<<"$svc")" ]] || bad "no ServiceInstall row named clinicgw"
[[ "$(col clinicgw 4 <<<"$svc")" == 16 ]] || bad "service type $(col clinicgw 4 <<<"$svc"), want 16 (own process)"
[[ "$(col clinicgw 5 <<<"$svc")" == 2 ]] || bad "start type $(col clinicgw 5 <<<"$svc"), want 2 (automatic)"
args=$(col clinicgw 11 <<<"$svc")
[[ "$args" == 'run --config "[CommonAppDataFolder]clinicgw\clinicgw.toml"' ]] || bad "service arguments '$args'"

# ServiceControl: the service's own component stops it at install (an
# upgrade) and uninstall and deletes it at uninstall (events 2, 32, 128);
# RestartAfterUpgrade starts it at install (1), on an upgrade only.
ctl=$(table ServiceControl | awk -F'\t' '$2 == "clinicgw" && $6 == "Service" { print $3 }')
[[ -n "$ctl" ]] || bad "no ServiceControl row for clinicgw in the Service component"
((${ctl:-0} & 2 && ${ctl:-0} & 32 && ${ctl:-0} & 128)) || bad "ServiceControl event $ctl: want stop at install and uninstall, delete at uninstall"
((${ctl:-0} & 1)) && bad "the service starts at every install; its configuration is not made yet on a first install"
restart=$(table ServiceControl | awk -F'\t' '$2 == "clinicgw" && $6 == "RestartAfterUpgrade" { print $3 }')
[[ "$restart" == 1 ]] || bad "RestartAfterUpgrade's ServiceControl event '$restart', want 1 (start at install)"
cond=$(table Component | awk -F'\t' '$1 == "RestartAfterUpgrade" { print $5 }')
[[ "$cond" == WIX_UPGRADE_DETECTED ]] || bad "RestartAfterUpgrade's condition '$cond', want WIX_UPGRADE_DETECTED"

# The configuration's component: NeverOverwrite (128) and Permanent (16).
cfg=$(table Component | awk -F'\t' '$1 == "Config" { print $4 }')
[[ -n "$cfg" ]] || bad "no Config component"
((${cfg:-0} & 128)) || bad "Config component attributes $cfg lack NeverOverwrite (128)"
((${cfg:-0} & 16)) || bad "Config component attributes $cfg lack Permanent (16)"
table File | awk -F'\t' '$3 == "clinicgw.toml"' | grep -q . || bad "no clinicgw.toml in the File table"
table File | awk -F'\t' '$3 == "clinicgw.exe"' | grep -q . || bad "no clinicgw.exe in the File table"

# MajorUpgrade: an Upgrade row for our UpgradeCode finding older versions.
table Upgrade | grep -qi 'A067ECCA-3A92-460D-B4DA-982406A6B1A9' || bad "no Upgrade row for the UpgradeCode"
rep=$(table InstallExecuteSequence | awk -F'\t' '$1 == "RemoveExistingProducts" { print $3 }')
ii=$(table InstallExecuteSequence | awk -F'\t' '$1 == "InstallInitialize" { print $3 }')
[[ -n "$rep" && -n "$ii" ]] || bad "RemoveExistingProducts or InstallInitialize not sequenced"
((${rep:-0} > ${ii:-0})) || bad "RemoveExistingProducts ($rep) runs before InstallInitialize ($ii): a failed upgrade would leave no version installed"

# The mark that tells `clinicgw uninstall` the MSI owns the service.
table Registry | awk -F'\t' '$3 == "SOFTWARE\\clinicgw" && $4 == "InstalledByMSI" && $6 == "Service"' | grep -q . || bad "no InstalledByMSI registry value in the Service component"

# The Event Log source.
table Registry | grep -q 'EventLog\\Application\\clinicgw' || bad "no Event Log source in the Registry table"

if ((fail)); then
	exit 1
fi
echo "check-msi: $(basename "$msi"): ServiceInstall clinicgw (auto, own process, $args), ServiceControl $ctl (start again on upgrade only), Config attributes $cfg (NeverOverwrite, Permanent), MajorUpgrade, Event Log source: OK"
