#!/usr/bin/env bash
# Prints clinicgw(1) in roff: the commands as `clinicgw help` lists them,
# and where the rest is documented. build.sh ships it in the packages.
# Usage: manpage.sh BINARY VERSION DATE
set -euo pipefail
bin=$1 version=$2 date=$3

cat <<EOF
.TH CLINICGW 1 "$date" "clinicgw $version" "User Commands"
.SH NAME
clinicgw \- care-unit gateway for secure patient messaging
.SH SYNOPSIS
.B clinicgw
.I command
.RI [ flags ]
.SH DESCRIPTION
clinicgw is the care unit's side of a secure patient and clinic messaging
service: it pulls the patients' cases from the central patient-side store
over mutual TLS into an encrypted local store and serves the staff web UI
on the clinic LAN, where staff log in with their SITHS card.
.PP
The package runs it as the hardened systemd service
.BR clinicgw.service ,
which runs
.B clinicgw run \-\-config /etc/clinicgw/clinicgw.toml
as the system user clinicgw.
.B clinicgw
.I command
.B \-\-help
shows a command's flags.
.SH COMMANDS
EOF
# "  keys rotate          start a new key term; ..." -> .TP / .B keys rotate / text
"$bin" help | awk '
	/^  [a-z]/ {
		line = substr($0, 3)
		i = index(line, "  ")
		name = substr(line, 1, i - 1)
		text = line; sub(/^[^ ]+( [^ ]+)? +/, "", text)
		gsub(/\\/, "\\\\", text)
		gsub(/-/, "\\-", name)
		printf ".TP\n.B %s\n\\&%s\n", name, text
	}'
cat <<'EOF'
.SH FILES
.TP
.I /etc/clinicgw/clinicgw.toml
the configuration; every key is described in
.IR /usr/share/doc/clinicgw/README.md .
.TP
.I /var/lib/clinicgw
the encrypted store and its key-encryption key
.IR kek.key ;
purging the Debian package deletes them.
.SH EXIT STATUS
0 on success, 1 on failure, 2 on a usage error.
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.BR systemd.exec (5)
EOF
