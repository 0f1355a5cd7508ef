// Package personnummer is the one home of the Swedish personal identity
// number (personnummer) and the coordination number (samordningsnummer):
// Parse takes the 10- or 12-digit forms people type (with - or +) and
// gives the 12-digit Personnummer, YYYYMMDDNNNC, that the store and the
// sync protocol carry; an *Error says why a number was refused, in
// English and Swedish, never repeating it. Birth dates and ages are
// counted in the Stockholm calendar (sync/wire/workday). Synthetic makes
// numbers in Skatteverket's test range for tests and the demo.
//
// A Personnummer is patient data: its LogValue keeps it out of log/slog,
// and it must never reach a log, a notice, a URL or an error message.
// The gateway (agent/cases, localui) and the reference central store check
// numbers here. A refused number's words for people (Error.Swedish, In)
// are the one catalogue's (sync/i18n's pnr.*). It is a leaf: it imports
// only the standard library, sync/wire/workday and sync/i18n.
package personnummer
