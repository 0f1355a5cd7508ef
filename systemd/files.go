package systemd

import _ "embed"

// Names the files take when installed.
const (
	UnitName     = "clinicgw.service"
	SysusersName = "clinicgw.conf" // under sysusers.d
	TmpfilesName = "clinicgw.conf" // under tmpfiles.d
)

// Unit is the service unit, installed as /usr/lib/systemd/system/clinicgw.service.
//
//go:embed clinicgw.service
var Unit []byte

// Sysusers creates the service's system user and group (sysusers.d).
//
//go:embed clinicgw.sysusers
var Sysusers []byte

// Tmpfiles sets the owner and mode of the configuration and state folders
// (tmpfiles.d).
//
//go:embed clinicgw.tmpfiles
var Tmpfiles []byte
