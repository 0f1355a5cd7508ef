package cardtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"sync"
)

// PIV is a minimal PIV card application (NIST SP 800-73), enough for
// OpenSC's PIV driver: SELECT, GET DATA for the discovery object, CHUID and
// the certificates in slots 9A (authentication) and 9C (digital
// signature), VERIFY with a retry counter that blocks after PINRetries
// wrong PINs, and GENERAL AUTHENTICATE for RSA (raw, the host pads) and
// ECDSA (the host hashes). Response chaining (61xx, GET RESPONSE) and
// command chaining (CLA 0x10) as the driver uses them.
type PIV struct {
	Auth, Sign Slot
	PIN        string // 6 to 8 digits

	mu       sync.Mutex
	le       int // the current command's Le: the most a response may carry
	retries  int
	verified bool
	pending  []byte // rest of a long response, for GET RESPONSE
	chained  []byte // data of a chained command so far
}

// Slot is a key and its certificate.
type Slot struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// PINRetries is how many wrong PINs block the card.
const PINRetries = 5

// NewPIV returns a PIV card with an authentication and a signing slot.
func NewPIV(auth, sign Slot, pin string) *PIV {
	return &PIV{Auth: auth, Sign: sign, PIN: pin, retries: PINRetries}
}

// Retries is the number of PIN tries left.
func (p *PIV) Retries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.retries
}

// Reset is power-on: the PIN is no longer verified.
func (p *PIV) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.verified, p.pending, p.chained = false, nil, nil
}

var (
	pivAID = []byte{0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00}
	sw9000 = []byte{0x90, 0x00}
)

func sw(a, b byte) []byte { return []byte{a, b} }

// APDU answers one command.
func (p *PIV) APDU(cmd []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(cmd) < 4 {
		return sw(0x67, 0x00)
	}
	cla, ins, p1, p2 := cmd[0], cmd[1], cmd[2], cmd[3]
	var data []byte
	p.le = 256
	switch {
	case len(cmd) == 5: // Le only
		if cmd[4] != 0 {
			p.le = int(cmd[4])
		}
	case len(cmd) > 5:
		lc := int(cmd[4])
		if len(cmd) < 5+lc {
			return sw(0x67, 0x00)
		}
		data = cmd[5 : 5+lc]
		if len(cmd) > 5+lc && cmd[5+lc] != 0 {
			p.le = int(cmd[5+lc])
		}
	}
	if ins == 0xC0 { // GET RESPONSE
		return p.respond(nil)
	}
	p.pending = nil
	if cla&0x10 != 0 { // command chaining: more to come
		p.chained = append(p.chained, data...)
		return sw9000
	}
	if p.chained != nil {
		data = append(p.chained, data...)
		p.chained = nil
	}
	switch ins {
	case 0xA4: // SELECT
		if p1 == 0x04 && len(data) >= 5 && bytes.HasPrefix(pivAID, data) {
			apt := tlv(0x61, append(tlv(0x4F, pivAID[5:9]), tlv(0x79, tlv(0x4F, pivAID[:5]))...))
			return p.respond(apt)
		}
		return sw(0x6A, 0x82)
	case 0xCB: // GET DATA
		if p1 != 0x3F || p2 != 0xFF || len(data) < 3 || data[0] != 0x5C {
			return sw(0x6A, 0x80)
		}
		return p.getData(data[2:])
	case 0x20: // VERIFY
		if p2 != 0x80 {
			return sw(0x6A, 0x88)
		}
		return p.verify(data)
	case 0x87: // GENERAL AUTHENTICATE
		return p.authenticate(p1, p2, data)
	}
	return sw(0x6D, 0x00)
}

// respond sends data with 9000, or as much as the command's Le allows
// with 61xx and the rest on GET RESPONSE.
func (p *PIV) respond(data []byte) []byte {
	if data == nil {
		data, p.pending = p.pending, nil
		if data == nil {
			return sw(0x6F, 0x00)
		}
	}
	if len(data) > p.le {
		rest := len(data) - p.le
		p.pending = data[p.le:]
		return append(append([]byte(nil), data[:p.le]...), 0x61, byte(min(rest, 0xFF)))
	}
	return append(append([]byte(nil), data...), sw9000...)
}

func (p *PIV) getData(tag []byte) []byte {
	switch {
	case bytes.Equal(tag, []byte{0x7E}): // discovery object: PIN usage policy
		return p.respond(tlv(0x7E, append(tlv(0x4F, pivAID), 0x5F, 0x2F, 0x02, 0x40, 0x00)))
	case bytes.Equal(tag, []byte{0x5F, 0xC1, 0x02}): // CHUID
		fascn := bytes.Repeat([]byte{0xD4}, 25)
		guid := bytes.Repeat([]byte{0x11}, 16)
		body := append(append(append(tlv(0x30, fascn), tlv(0x34, guid)...), tlv(0x35, []byte("20351231"))...), 0x3E, 0x00, 0xFE, 0x00)
		return p.respond(tlv(0x53, body))
	case bytes.Equal(tag, []byte{0x5F, 0xC1, 0x05}): // 9A: PIV authentication
		return p.certObject(p.Auth)
	case bytes.Equal(tag, []byte{0x5F, 0xC1, 0x0A}): // 9C: digital signature
		return p.certObject(p.Sign)
	}
	return sw(0x6A, 0x82)
}

func (p *PIV) certObject(s Slot) []byte {
	if s.Cert == nil {
		return sw(0x6A, 0x82)
	}
	body := append(append(tlv(0x70, s.Cert.Raw), tlv(0x71, []byte{0x00})...), 0xFE, 0x00)
	return p.respond(tlv(0x53, body))
}

func (p *PIV) verify(data []byte) []byte {
	if p.retries == 0 {
		return sw(0x69, 0x83)
	}
	if len(data) == 0 { // status: verified?
		if p.verified {
			return sw9000
		}
		return sw(0x63, 0xC0|byte(p.retries))
	}
	pin := string(bytes.TrimRight(data, "\xff"))
	if pin != p.PIN {
		p.verified = false
		p.retries--
		if p.retries == 0 {
			return sw(0x69, 0x83)
		}
		return sw(0x63, 0xC0|byte(p.retries))
	}
	p.retries, p.verified = PINRetries, true
	return sw9000
}

func (p *PIV) authenticate(alg, ref byte, data []byte) []byte {
	var s Slot
	switch ref {
	case 0x9A:
		s = p.Auth
	case 0x9C:
		s = p.Sign
	default:
		return sw(0x6A, 0x88)
	}
	if s.Key == nil {
		return sw(0x6A, 0x88)
	}
	if !p.verified {
		return sw(0x69, 0x82)
	}
	// 7C { 82 00, 81 challenge }
	tmpl, ok := parseTLV(data, 0x7C)
	if !ok {
		return sw(0x6A, 0x80)
	}
	challenge, ok := parseTLV(tmplWithout(tmpl, 0x82), 0x81)
	if !ok {
		return sw(0x6A, 0x80)
	}
	var sig []byte
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		if alg != 0x07 && alg != 0x06 {
			return sw(0x6A, 0x80)
		}
		c := new(big.Int).SetBytes(challenge)
		sig = new(big.Int).Exp(c, k.D, k.N).FillBytes(make([]byte, k.Size()))
	case *ecdsa.PrivateKey:
		if alg != 0x11 && alg != 0x14 {
			return sw(0x6A, 0x80)
		}
		var err error
		if sig, err = ecdsa.SignASN1(rand.Reader, k, challenge); err != nil {
			return sw(0x6F, 0x00)
		}
	default:
		return sw(0x6A, 0x80)
	}
	if ref == 0x9C {
		p.verified = false // always-authenticate: a PIN before each signature
	}
	return p.respond(tlv(0x7C, tlv(0x82, sig)))
}

// tlv encodes tag, a BER length and value.
func tlv(tag byte, value []byte) []byte {
	n := len(value)
	out := []byte{tag}
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	default:
		out = append(out, 0x82, byte(n>>8), byte(n))
	}
	return append(out, value...)
}

// parseTLV finds tag at the start of b and returns its value.
func parseTLV(b []byte, tag byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, false
	}
	n, hdr := int(b[1]), 2
	switch b[1] {
	case 0x81:
		if len(b) < 3 {
			return nil, false
		}
		n, hdr = int(b[2]), 3
	case 0x82:
		if len(b) < 4 {
			return nil, false
		}
		n, hdr = int(b[2])<<8|int(b[3]), 4
	}
	if len(b) < hdr+n {
		return nil, false
	}
	return b[hdr : hdr+n], true
}

// tmplWithout skips a leading empty tag (82 00) in a template.
func tmplWithout(b []byte, tag byte) []byte {
	if len(b) >= 2 && b[0] == tag && b[1] == 0 {
		return b[2:]
	}
	return b
}
