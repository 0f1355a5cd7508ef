package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// rehashed returns r with one change and a matching hash, so that only
// the change itself can make it fail.
func rehashed(r Record, change func(r *Record)) Record {
	change(&r)
	r.Hash = r.ComputeHash()
	return r
}

func TestUnmarshalRecordStrict(t *testing.T) {
	recs, _ := buildChain(t, testUnit, 2)
	r := recs[1]
	good := appendRecord(nil, r)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	// setLen rewrites the length of the actor field (at offset 50).
	setLen := func(n uint16) []byte {
		b := bytes.Clone(good)
		binary.BigEndian.PutUint16(b[50:], n)
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want error // ErrMalformed, ErrUnknownVersion or errHash
	}{
		{"empty", nil, ErrMalformed},
		{"format 0", append([]byte{0}, good[1:]...), ErrUnknownVersion},
		{"format 2", append([]byte{2}, good[1:]...), ErrUnknownVersion},
		{"trailing byte", append(bytes.Clone(good), 0), ErrMalformed},
		{"last byte missing", good[:len(good)-1], ErrMalformed},
		{"only the format byte", good[:1], ErrMalformed},
		{"actor length too big", setLen(MaxFieldLen + 1), ErrMalformed},
		{"actor length past the end", setLen(uint16(len(good))), ErrMalformed},
		{"outcome code 0", appendRecord(nil, rehashed(r, func(r *Record) { r.Entry.Outcome = "" })), ErrMalformed},
		{"outcome code 3", func() []byte { b := bytes.Clone(good); b[49] = 3; return b }(), ErrMalformed},
		{"sequence number 0", appendRecord(nil, rehashed(r, func(r *Record) { r.Seq = 0 })), ErrMalformed},
		{"invalid UTF-8", appendRecord(nil, rehashed(r, func(r *Record) { r.Entry.CaseID = "c\xff" })), ErrMalformed},
		{"newline in actor", appendRecord(nil, rehashed(r, func(r *Record) { r.Entry.Actor = "SE1\nSE2" })), ErrMalformed},
		{"no actor", appendRecord(nil, rehashed(r, func(r *Record) { r.Entry.Actor = "" })), ErrMalformed},
		{"oversize field", appendRecord(nil, rehashed(r, func(r *Record) {
			r.Entry.Patient = strings.Repeat("1", MaxFieldLen+1)
		})), ErrMalformed},
		{"hash flipped", flip(len(good) - 1), errHash},
		{"seq flipped", flip(8), errHash},
		{"prev flipped", flip(9), errHash},
		{"time flipped", flip(48), errHash},
		{"outcome changed", func() []byte { b := bytes.Clone(good); b[49] = outcomeDenied; return b }(), errHash},
		{"actor flipped", flip(52), errHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := recs[0]
			err := got.UnmarshalBinary(tt.in)
			if tt.want == errHash {
				var he *HashMismatchError
				if !errors.As(err, &he) {
					t.Fatalf("UnmarshalBinary = %v, want a *HashMismatchError", err)
				}
			} else if !errors.Is(err, tt.want) {
				t.Fatalf("UnmarshalBinary = %v, want %v", err, tt.want)
			}
			if !reflect.DeepEqual(got, recs[0]) {
				t.Error("a failed decode changed the record")
			}
		})
	}
	for n := range len(good) {
		var got Record
		if err := got.UnmarshalBinary(good[:n]); err == nil {
			t.Errorf("%d of %d bytes decoded", n, len(good))
		}
	}
}

// errHash stands for a *HashMismatchError in test tables.
var errHash = errors.New("hash mismatch")

func TestMarshalRecordRefuses(t *testing.T) {
	recs, _ := buildChain(t, testUnit, 1)
	tests := map[string]Record{
		"sequence number 0": rehashed(recs[0], func(r *Record) { r.Seq = 0 }),
		"invalid entry":     rehashed(recs[0], func(r *Record) { r.Entry.Action = "" }),
		"stale hash":        func() Record { r := recs[0]; r.Entry.Action = "list"; return r }(),
	}
	for name, r := range tests {
		if b, err := r.MarshalBinary(); err == nil {
			t.Errorf("%s: encoded as %x", name, b)
		}
	}
	var he *HashMismatchError
	if _, err := tests["stale hash"].MarshalBinary(); !errors.As(err, &he) || he.Seq != 1 {
		t.Errorf("stale hash: %v, want a *HashMismatchError for record 1", err)
	}
}

func TestHeadCodec(t *testing.T) {
	_, h := buildChain(t, testUnit, 3)
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Head
	if err := got.UnmarshalBinary(b); err != nil || got != h {
		t.Fatalf("round trip: %v, %+v", err, got)
	}
	for name, in := range map[string][]byte{
		"empty":    nil,
		"short":    b[:len(b)-1],
		"long":     append(bytes.Clone(b), 0),
		"format 2": append([]byte{2}, b[1:]...),
	} {
		got := h
		if err := got.UnmarshalBinary(in); err == nil || got != h {
			t.Errorf("%s: %v, %+v", name, err, got)
		}
	}
}

func TestCheckpointCodec(t *testing.T) {
	_, h := buildChain(t, testUnit, 3)
	c := SignCheckpoint(testKey, h, t0.In(time.FixedZone("CET", 3600)))
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got Checkpoint
	if err := got.UnmarshalBinary(b); err != nil || !reflect.DeepEqual(got, c) || !got.Verify(testKey) {
		t.Fatalf("round trip: %v\n got %+v\nwant %+v", err, got, c)
	}
	for name, in := range map[string][]byte{
		"empty":    nil,
		"short":    b[:len(b)-1],
		"long":     append(bytes.Clone(b), 0),
		"format 2": append([]byte{2}, b[1:]...),
	} {
		got := c
		if err := got.UnmarshalBinary(in); err == nil || !reflect.DeepEqual(got, c) {
			t.Errorf("%s: %v, %+v", name, err, got)
		}
	}
	c.MAC = c.MAC[:31]
	if _, err := c.MarshalBinary(); err == nil {
		t.Error("encoded a checkpoint with a short MAC")
	}
}

// goldenRecord is the fixed record of testdata/record-v1.golden.
func goldenRecord(t *testing.T) Record {
	r, _, err := Next(Head{Hash: Genesis("SE2321000016-1234")}, Entry{
		Time:    time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Actor:   "SE2321000016-ABCD",
		Unit:    "SE2321000016-1234",
		Action:  "read",
		CaseID:  "c-0001",
		Patient: "191212121212",
		Outcome: Allowed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGolden fails when a binary format, or a hash, changes by accident.
// A deliberate change needs a new format byte; then run
// go test ./agent/audit/ -run TestGolden -update.
func TestGolden(t *testing.T) {
	r := goldenRecord(t)
	rb, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	hb, _ := r.Head().MarshalBinary()
	cb, err := SignCheckpoint(testKey, r.Head(), time.Date(2025, 1, 3, 0, 0, 0, 0, time.UTC)).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for file, b := range map[string][]byte{
		"record-v1.golden":     rb,
		"head-v1.golden":       hb,
		"checkpoint-v1.golden": cb,
	} {
		path := filepath.Join("testdata", file)
		if *update {
			if err := os.WriteFile(path, []byte(hexLines(b)), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := readHex(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s changed:\n got %s\nwant %s", file, hexLines(b), hexLines(want))
		}
	}
	// The golden record must decode back to the same record.
	want, err := readHex(filepath.Join("testdata", "record-v1.golden"))
	if err != nil {
		t.Fatal(err)
	}
	var got Record
	if err := got.UnmarshalBinary(want); err != nil || !reflect.DeepEqual(got, r) {
		t.Errorf("golden record decodes to %+v, %v", got, err)
	}
}

// hexLines renders b in hex, 32 bytes a line.
func hexLines(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		n := min(32, len(b))
		s.WriteString(hex.EncodeToString(b[:n]) + "\n")
		b = b[n:]
	}
	return s.String()
}

func readHex(path string) ([]byte, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
}
