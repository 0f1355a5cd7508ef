package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// MinCheckpointKeyLen is the shortest key SignCheckpoint accepts.
const MinCheckpointKeyLen = 32

const (
	checkpointDomain      = "clinicgw audit checkpoint v1\x00"
	checkpointV1     byte = 1
	macLen                = sha256.Size
	checkpointLen         = 1 + 8 + hashLen + 8 + macLen
)

// Checkpoint is a head signed with a key the log's storage does not hold:
// whoever can rewrite the log, and recompute every hash in it, cannot make
// a checkpoint for the rewritten head, nor hide that a signed head is gone.
// The store signs one whenever it chooses (say daily and at shutdown) and
// keeps them; Verify, given them WithCheckpoints, fails when the log no
// longer contains a signed head (a rolled-back or rewritten log).
type Checkpoint struct {
	Head Head
	Time time.Time // when it was signed, UTC
	MAC  []byte    // HMAC-SHA256 over the domain prefix, Head and Time
}

// SignCheckpoint signs h at time t with HMAC-SHA256 under key. The key is
// a secret of at least MinCheckpointKeyLen random bytes kept apart from the
// log (derived from the KEK, for example); like ed25519.Sign, it panics
// on a shorter key, which is a programming error. t is normalised to UTC
// and must lie between 1678 and 2262.
func SignCheckpoint(key []byte, h Head, t time.Time) Checkpoint {
	if len(key) < MinCheckpointKeyLen {
		panic(fmt.Sprintf("audit: checkpoint key of %d bytes, need at least %d", len(key), MinCheckpointKeyLen))
	}
	c := Checkpoint{Head: h, Time: canonicalTime(t)}
	c.MAC = c.mac(key)
	return c
}

func (c Checkpoint) mac(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	b := make([]byte, 0, len(checkpointDomain)+8+hashLen+8)
	b = append(b, checkpointDomain...)
	b = binary.BigEndian.AppendUint64(b, c.Head.Seq)
	b = append(b, c.Head.Hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.UnixNano()))
	m.Write(b)
	return m.Sum(nil)
}

// Verify reports whether c carries a valid MAC under key. A key shorter
// than MinCheckpointKeyLen never verifies.
func (c Checkpoint) Verify(key []byte) bool {
	if len(key) < MinCheckpointKeyLen || len(c.MAC) != macLen {
		return false
	}
	return hmac.Equal(c.MAC, c.mac(key))
}

// MarshalBinary encodes c in format 1, 81 bytes: the format byte (1),
// Head.Seq (8 bytes big-endian), Head.Hash (32), Time as UnixNano (int64,
// 8 bytes big-endian) and MAC (32). A MAC of another length is an error.
func (c Checkpoint) MarshalBinary() ([]byte, error) {
	return c.AppendBinary(make([]byte, 0, checkpointLen))
}

// AppendBinary appends the encoding of c (see MarshalBinary) to b.
func (c Checkpoint) AppendBinary(b []byte) ([]byte, error) {
	if len(c.MAC) != macLen {
		return b, fmt.Errorf("audit: encode checkpoint: MAC of %d bytes, want %d", len(c.MAC), macLen)
	}
	b = append(b, checkpointV1)
	b = binary.BigEndian.AppendUint64(b, c.Head.Seq)
	b = append(b, c.Head.Hash[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.UnixNano()))
	return append(b, c.MAC...), nil
}

// UnmarshalBinary decodes a checkpoint encoded by MarshalBinary; any other
// length or format byte is an error, and c is left unchanged. It does not
// check the MAC: call Verify.
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	if len(b) > 0 && b[0] != checkpointV1 {
		return fmt.Errorf("audit: decode checkpoint: format %d: %w", b[0], ErrUnknownVersion)
	}
	if len(b) != checkpointLen {
		return fmt.Errorf("audit: decode checkpoint: %d bytes, want %d: %w", len(b), checkpointLen, ErrMalformed)
	}
	d := decoder{b: b[1:]}
	var n Checkpoint
	n.Head.Seq = d.uint64()
	n.Head.Hash = d.hash()
	n.Time = time.Unix(0, int64(d.uint64())).UTC()
	n.MAC = append([]byte(nil), d.take(macLen)...)
	*c = n
	return nil
}
