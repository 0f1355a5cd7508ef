package localui_test

import (
	"os"
	"testing"

	"clinicgw/cardauth/cardtest"
)

// daemon is the test binary's private pcscd with the vpcd virtual reader
// (nil when pcscd or vpcd is missing). libpcsclite reads its socket's path
// once per process, before the first PC/SC call, so TestMain sets it up;
// the tests that need it Start and Stop it.
var daemon *cardtest.PCSCD

func TestMain(m *testing.M) {
	os.Exit(cardtest.Main(&daemon, m.Run))
}
