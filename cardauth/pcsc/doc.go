// Package pcsc is card readers and card presence through PC/SC
// (ebfe/scard): the readers there are, readers plugged in and out (the
// PnP notification reader), cards inserted and removed with the reader's
// name and the card's ATR. When pcscd is not running or is restarted the
// monitor reports it once, reconnects with a new context and growing
// waits — never a crash or a busy loop — and reports the state again.
package pcsc
