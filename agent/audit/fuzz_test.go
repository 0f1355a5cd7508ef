package audit

import (
	"bytes"
	"encoding/binary"
	"testing"
)

func FuzzUnmarshalRecord(f *testing.F) {
	recs, _ := buildChain(f, testUnit, 12)
	for _, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{recordV1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
		if err := r.Entry.Validate(); err != nil {
			t.Fatalf("decoded an invalid entry: %v", err)
		}
	})
}

// FuzzVerify feeds Verify arbitrary stored values. data holds the values,
// each behind a 2-byte big-endian length; they are stored under keys
// 1, 2, 3, … plus skip after the first; head is the stored head's bytes.
func FuzzVerify(f *testing.F) {
	recs, head := buildChain(f, testUnit, 4)
	var data []byte
	for _, r := range recs {
		b, _ := r.MarshalBinary()
		data = binary.BigEndian.AppendUint16(data, uint16(len(b)))
		data = append(data, b...)
	}
	hb, _ := head.MarshalBinary()
	cb, _ := SignCheckpoint(testKey, recs[2].Head(), t0).MarshalBinary()
	f.Add(data, hb, cb, uint8(0))
	f.Add(data, hb[:10], cb[:3], uint8(1))
	f.Add(data[:len(data)-3], hb, []byte(nil), uint8(0))
	f.Add([]byte{}, []byte{}, []byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data, headBytes, cpBytes []byte, skip uint8) {
		type kv struct {
			key uint64
			val []byte
		}
		var vals []kv
		for key := uint64(1); len(data) >= 2; key++ {
			n := int(binary.BigEndian.Uint16(data))
			data = data[2:]
			n = min(n, len(data))
			vals = append(vals, kv{key, data[:n]})
			data = data[n:]
			if key == 1 {
				key += uint64(skip)
			}
		}
		records := func(yield func(uint64, Record, error) bool) {
			for _, v := range vals {
				var r Record
				err := r.UnmarshalBinary(v.val)
				if !yield(v.key, r, err) {
					return
				}
			}
		}
		var h Head
		haveHead := h.UnmarshalBinary(headBytes) == nil
		var opts []VerifyOption
		var c Checkpoint
		if c.UnmarshalBinary(cpBytes) == nil {
			opts = append(opts, WithCheckpoints(testKey, c))
		}
		rep, err := Verify(testUnit, records, h, haveHead, opts...)
		if err != nil {
			_ = err.Error()
			return
		}
		if rep.Entries != uint64(len(vals)) || (haveHead && rep.Head != h) {
			t.Fatalf("verified %d of %d values, head %+v, stored head %+v", rep.Entries, len(vals), rep.Head, h)
		}
	})
}
