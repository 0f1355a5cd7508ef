package cardtest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// The vpcd protocol: every message is a 2-byte big-endian length and a
// payload; a 1-byte payload is a control, anything longer an APDU whose
// answer goes back the same way.
const (
	ctrlOff   = 0
	ctrlOn    = 1
	ctrlReset = 2
	ctrlATR   = 4
)

// DefaultATR is a plain ISO 7816 card's answer to reset.
var DefaultATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// Applet answers a card's APDUs.
type Applet interface {
	// APDU answers one command APDU (response data and status word).
	APDU(cmd []byte) []byte
	// Reset is called at power-on and reset.
	Reset()
}

// plainApplet answers every APDU with "instruction not supported".
type plainApplet struct{}

func (plainApplet) APDU([]byte) []byte { return []byte{0x6D, 0x00} }
func (plainApplet) Reset()             {}

// Card is a virtual card in vpcd's reader: inserted while connected.
type Card struct {
	ATR    []byte
	Applet Applet

	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
}

// Insert connects a card to vpcd on port: pcscd sees it inserted. A nil
// applet answers nothing; a nil atr is DefaultATR.
func Insert(port int, atr []byte, applet Applet) (*Card, error) {
	if atr == nil {
		atr = DefaultATR
	}
	if applet == nil {
		applet = plainApplet{}
	}
	c := &Card{ATR: atr, Applet: applet}
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("cardtest: connect to vpcd: %w", err)
	}
	c.conn, c.done = conn, make(chan struct{})
	go c.serve(conn)
	return c, nil
}

// Remove disconnects the card: pcscd sees it removed.
func (c *Card) Remove() {
	c.mu.Lock()
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
		<-c.done
	}
}

func (c *Card) serve(conn net.Conn) {
	defer close(c.done)
	for {
		quickAck(conn)
		var hdr [2]byte
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(conn, msg); err != nil {
			return
		}
		var answer []byte
		if len(msg) == 1 {
			switch msg[0] {
			case ctrlOn, ctrlReset:
				c.Applet.Reset()
				continue
			case ctrlOff:
				continue
			case ctrlATR:
				answer = c.ATR
			default:
				continue
			}
		} else {
			answer = c.Applet.APDU(msg)
		}
		out := make([]byte, 2+len(answer))
		binary.BigEndian.PutUint16(out, uint16(len(answer)))
		copy(out[2:], answer)
		if _, err := conn.Write(out); err != nil {
			return
		}
	}
}
