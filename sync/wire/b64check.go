package wire

import (
	"encoding/base64"
	"strings"
)

// The validators of sealed members (Event.Sealed, SealedOutboxItem.Sealed,
// BookingRequest.Sealed and the like) ask only whether a member is strict
// padded base64 that decodes to at least one byte; the envelope itself is
// decoded once, by whoever opens it (the SealedBytes methods). isSealedB64
// answers that question without decoding or allocating, and answers it
// exactly as decoding with base64.StdEncoding.Strict() does
// (TestIsSealedB64AgreesWithDecoder, FuzzIsSealedB64).

// b64Value maps a byte to its value in the standard alphabet; 0xff: not
// in it.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// sealedB64 decodes a sealed member: nil and false unless s is strict
// padded base64 of at least one byte.
func sealedB64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil && len(b) > 0
}

// isSealedB64 reports whether sealedB64(s) would succeed.
func isSealedB64(s string) bool {
	n := len(s)
	pad := 0 // the '=' that end s
	if n >= 2 && s[n-1] == '=' {
		pad = 1
		if s[n-2] == '=' {
			pad = 2
		}
	}
	body := s[:n-pad]
	var or byte // a character outside the alphabet ('=' too) sets bit 7
	t := &b64Value
	i := 0
	for ; i+4 <= len(body); i += 4 {
		or |= t[body[i]] | t[body[i+1]] | t[body[i+2]] | t[body[i+3]]
	}
	for ; i < len(body); i++ {
		or |= t[body[i]]
	}
	if or&0x80 != 0 {
		if strings.ContainsAny(body, "\r\n") {
			// The decoder skips line breaks anywhere, even within the
			// padding; such a member is unusual: the decoder decides.
			_, ok := sealedB64(s)
			return ok
		}
		return false
	}
	if n == 0 || n%4 != 0 {
		return false
	}
	// Strict: the bits of the last character that no byte uses are zero.
	switch pad {
	case 1:
		return t[body[len(body)-1]]&0x03 == 0
	case 2:
		return t[body[len(body)-1]]&0x0f == 0
	}
	return true
}
