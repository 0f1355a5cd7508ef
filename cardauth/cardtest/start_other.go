//go:build !linux

package cardtest

import "errors"

// unsupported says why the harness cannot run on this system: it needs
// Linux's user and mount namespaces and Debian's pcscd with vpcd.
const unsupported = "the private pcscd harness runs only on Linux (user and mount namespaces, pcscd with vpcd)"

// Start fails: see unsupported.
func (p *PCSCD) Start() error {
	return errors.New("cardtest: " + unsupported)
}
