package localui_test

import (
	"path/filepath"
	"strings"
	"testing"

	"clinicgw/agent"
	"clinicgw/agent/democlinic"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/logtest"
)

// TestUnitPageShowsArchive: with [archive] set, the unit administrator's
// page says when the nightly export runs next and that none has run yet.
func TestUnitPageShowsArchive(t *testing.T) {
	dir := t.TempDir()
	c := startClinicConfig(t, "", func(dc *democlinic.Clinic) map[string]*logtest.Buffer {
		// The packages are signed with the unit's certificate and key.
		unitCert, err := dc.PKI.Unit(testUnit, testUnitName)
		if err != nil {
			t.Fatal(err)
		}
		if err := devpki.WriteTLS(filepath.Join(dc.Dir, "pki"), "unit", unitCert); err != nil {
			t.Fatal(err)
		}
		dc.Config.Central.CertFile, dc.Config.Central.KeyFile = "pki/unit.pem", "pki/unit.key"
		dc.Config.Archive = agent.ArchiveConfig{Dir: dir, At: "03:15"}
		return nil
	})
	_, body := c.login(hsaAdmin).getBody("/admin/unit")
	for _, want := range []string{`<h2 id="archive-h">Arkivering</h2>`, "Ingen körning ännu.", "Nästa körning", "03:15"} {
		if !strings.Contains(body, want) {
			t.Errorf("unit page lacks %q", want)
		}
	}
}
