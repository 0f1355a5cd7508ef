package audit

import (
	"testing"
	"time"
)

func TestCheckpoint(t *testing.T) {
	recs, h := buildChain(t, testUnit, 5)
	at := t0.Add(24 * time.Hour)
	c := SignCheckpoint(testKey, h, at)
	if !c.Verify(testKey) {
		t.Fatal("a fresh checkpoint does not verify")
	}
	if !c.Time.Equal(at) || c.Time.Location() != time.UTC || c.Head != h {
		t.Fatalf("checkpoint %+v", c)
	}
	otherKey := []byte("fedcba9876543210fedcba9876543210")
	tests := map[string]func(c *Checkpoint) []byte{
		"other key":     func(c *Checkpoint) []byte { return otherKey },
		"short key":     func(c *Checkpoint) []byte { return testKey[:MinCheckpointKeyLen-1] },
		"no key":        func(c *Checkpoint) []byte { return nil },
		"earlier head":  func(c *Checkpoint) []byte { c.Head = recs[3].Head(); return testKey },
		"seq changed":   func(c *Checkpoint) []byte { c.Head.Seq++; return testKey },
		"hash changed":  func(c *Checkpoint) []byte { c.Head.Hash[5] ^= 1; return testKey },
		"time changed":  func(c *Checkpoint) []byte { c.Time = c.Time.Add(time.Nanosecond); return testKey },
		"MAC flipped":   func(c *Checkpoint) []byte { c.MAC[0] ^= 1; return testKey },
		"MAC truncated": func(c *Checkpoint) []byte { c.MAC = c.MAC[:16]; return testKey },
		"no MAC":        func(c *Checkpoint) []byte { c.MAC = nil; return testKey },
	}
	for name, change := range tests {
		c2 := c
		c2.MAC = append([]byte(nil), c.MAC...)
		key := change(&c2)
		if c2.Verify(key) {
			t.Errorf("%s: checkpoint verifies", name)
		}
	}
	// Same head, same time, same key: same MAC; another key: another MAC.
	if c2 := SignCheckpoint(testKey, h, at); string(c2.MAC) != string(c.MAC) {
		t.Error("signing is not deterministic")
	}
	if c2 := SignCheckpoint(otherKey, h, at); string(c2.MAC) == string(c.MAC) {
		t.Error("the MAC does not depend on the key")
	}
}

func TestSignCheckpointShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("SignCheckpoint accepted a 31-byte key")
		}
	}()
	SignCheckpoint(testKey[:31], Head{}, t0)
}
