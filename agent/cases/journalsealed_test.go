package cases

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"testing"

	"clinicgw/sync/wire"
)

// sealedTwin is benchEvent sealed: the same event with its content in an
// envelope of the size a 2 KiB case seals to (random bytes stand in for
// the ciphertext), and the envelope's raw bytes.
func sealedTwin(t testing.TB) (wire.Event, []byte, []byte) {
	ev, plain := benchEvent()
	env := make([]byte, len(plain)+160)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range env {
		env[i] = byte(r.Uint32())
	}
	ev.Case, ev.Sealed = nil, base64.StdEncoding.EncodeToString(env)
	raw, err := wire.EncodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, raw, env
}

// TestSealedJournalRecordSlim: a sealed event's journal record keeps its
// envelope as raw bytes, not as the event's base64: it is at most its
// plain twin's slim record and the envelope's bytes, and reads back as
// the event byte for byte, with no case record.
func TestSealedJournalRecordSlim(t *testing.T) {
	pev, praw := benchEvent()
	psj, ok := JournalEntry{Seq: pev.Seq, Event: praw, Wire: &pev}.slimRecord()
	if !ok {
		t.Fatal("the plain twin is not made slim")
	}
	ev, raw, env := sealedTwin(t)
	e := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev}
	rec := e.wholeRecord()
	if want := len(psj.rec) + len(env); len(rec) > want {
		t.Fatalf("sealed journal entry %d bytes, want at most %d: the plain twin's slim record (%d) and the envelope's raw bytes (%d)", len(rec), want, len(psj.rec), len(env))
	}
	full, err := FullJournalRecord(ev.Seq, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full, e.record()) {
		t.Fatalf("read back %d bytes, not the event as sent (%d)", len(full), len(e.record()))
	}
	if _, slim := JournalRecordCase(rec); slim {
		t.Error("a sealed record asks for a case record")
	}
	// Cut short anywhere after the mark: damage, never another event.
	for n := journalHead + 1; n < len(rec); n += 97 {
		if got, err := FullJournalRecord(ev.Seq, rec[:n], nil); !errors.Is(err, ErrJournalDamaged) {
			t.Fatalf("cut at %d: %d bytes, %v; want ErrJournalDamaged", n, len(got), err)
		}
	}
}

// TestSealedRecordOnlyWhenExact: an envelope of any length reads back
// byte for byte; a sealed member the encoder would not write so (padding
// bits set, a line break, an escape) keeps the event whole.
func TestSealedRecordOnlyWhenExact(t *testing.T) {
	ev, raw, _ := sealedTwin(t)
	enc := func(ev wire.Event) []byte { b, _ := wire.EncodeEvent(ev); return b }
	withSealed := func(s string) (wire.Event, []byte) {
		e := ev
		e.Sealed = s
		return e, enc(e)
	}
	for _, tc := range []struct {
		name   string
		sealed string
		edit   func([]byte) []byte // the event as sent from its encoding; nil: as encoded
		kept   bool
	}{
		{"as sent", ev.Sealed, func([]byte) []byte { return raw }, true},
		{"one byte", "QQ==", nil, true},
		{"two bytes", "QUI=", nil, true},
		{"three bytes", "QUJD", nil, true},
		{"padding bits set", "QR==", nil, false},
		{"not padded", "QUI", nil, false},
		{"a line break", "QUJD\nQUJD", nil, false},
		{"a character escaped", "QUJD", func(b []byte) []byte { return bytes.Replace(b, []byte(`"QUJD"`), []byte(`"QU\u004aD"`), 1) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, b := withSealed(tc.sealed)
			if tc.edit != nil {
				b = tc.edit(b)
			}
			je := JournalEntry{Seq: e.Seq, Event: b, Wire: &e}
			_, ok := je.sealedRecord()
			if ok != tc.kept {
				t.Fatalf("sealed record %v, want %v", ok, tc.kept)
			}
			full, err := FullJournalRecord(e.Seq, je.wholeRecord(), nil)
			if err != nil || !bytes.Equal(full, je.record()) {
				t.Fatalf("read back %q, %v; want the event as sent", full, err)
			}
		})
	}
}

// BenchmarkSealedRecord is the cost of a sealed event's journal record,
// against keeping the event's bytes as they are.
func BenchmarkSealedRecord(b *testing.B) {
	ev, raw, _ := sealedTwin(b)
	e := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev}
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, ok := e.sealedRecord(); !ok {
				b.Fatal("not a sealed record")
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			e.record()
		}
	})
	rec, _ := e.sealedRecord()
	b.Run("giveBack", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := FullJournalRecord(ev.Seq, rec, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
