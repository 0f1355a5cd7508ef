package wire

import (
	"encoding/base64"
	"strings"
)

// validSealedBase64 reports whether s is what SealedBytes takes: padded
// strict base64 of at least one byte. It decides as the decoder does
// without decoding (checkSealed runs on every sealed event of a page, and
// a decode there cost as much as opening the envelope: issue 22's
// benchmark); a string with line breaks, which the decoder skips, is left
// to the decoder.
func validSealedBase64(s string) bool {
	if strings.ContainsAny(s, "\r\n") {
		b, err := base64.StdEncoding.Strict().DecodeString(s)
		return err == nil && len(b) > 0
	}
	n := len(s)
	if n == 0 || n%4 != 0 {
		return false
	}
	pad := 0
	if s[n-1] == '=' {
		pad = 1
		if s[n-2] == '=' {
			pad = 2
		}
	}
	body := s[:n-pad]
	for i := 0; i < len(body); i++ {
		if b64Value[body[i]] < 0 {
			return false
		}
	}
	// Strict: the bits the padding leaves over are zero.
	switch pad {
	case 1:
		return b64Value[body[len(body)-1]]&0x03 == 0
	case 2:
		return b64Value[body[len(body)-1]]&0x0f == 0
	}
	return true
}

// b64Value is each byte's value in the standard alphabet, -1 if none.
var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()
