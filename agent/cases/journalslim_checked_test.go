package cases

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"clinicgw/sync/central/backlogtest"
	"clinicgw/sync/wire"
)

// patientText is about n bytes of what patients write (the realistic
// backlog's text: å, ä, ö, line breaks).
func patientText(seed, n int) string { return backlogtest.SwedishText(seed, n) }

// realisticEvent is a new case as the realistic backlog has them: 2 KiB
// of text, a form whose answers are longer than a few words.
func realisticEvent(t testing.TB) (wire.Event, []byte) {
	ev := slimEvent()
	ev.Case.Patient.Name = "Märta Ängström"
	ev.Case.Text = patientText(3, 2048)
	ev.Case.Fields = []wire.Field{{Name: "symptoms", Label: "Symtom", Value: patientText(7, 300)},
		{Name: "since", Label: "Sedan", Value: "2026-11-30"}, {Name: "fever", Label: "Feber", Value: "true"},
		{Name: "temperature", Label: "Temperatur", Value: "38,7"}}
	raw, err := wire.EncodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, raw
}

// TestCheckedTextMatchedByEscapes: a text the sync protocol checked
// (valid UTF-8, in JSON its decoder took) is compared with its encoding a
// run at a time, looking itself only at the bytes the encoder escapes and
// at the first bytes of U+2028 and U+2029 (0xe2, found by the runtime's
// search) — not at every å, ä and ö, nor a word at a time at the whole
// text — and matched exactly as the reference does.
func TestCheckedTextMatchedByEscapes(t *testing.T) {
	for _, s := range append([]string{patientText(0, 2048), patientText(5, 300)}, jsonStringCases...) {
		enc := appendJSONString(nil, s)
		want := matchJSONString(append(enc, '}'), s)
		if want != len(enc) {
			t.Fatalf("the reference matched %d of %d", want, len(enc))
		}
		if !validUTF8(s) {
			continue
		}
		n, steps := matchValidSteps(append(enc, '}'), s)
		if n != want {
			t.Errorf("%.20q: matched %d, the reference %d", s, n, want)
		}
		escapes, e2 := bytes.Count(enc, []byte{'\\'}), strings.Count(s, "\xe2")
		if steps > escapes+e2 {
			t.Errorf("%.20q: looked at %d bytes itself; the encoding has %d escapes, the text %d bytes 0xe2", s, steps, escapes, e2)
		}
	}
}

// TestSlimRecordOfCheckedEvent: a checked realistic event is made slim
// with its record as its only allocation (no encoding of its answers, no
// copy of them: the content it leaves to the case record is the
// event's), the same record as the unchecked reference, by escapes.
func TestSlimRecordOfCheckedEvent(t *testing.T) {
	ev, raw := realisticEvent(t)
	ref, ok := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev}.slimRecord()
	if !ok {
		t.Fatal("not slim")
	}
	e := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev, Checked: true}
	sj, ok := e.slimRecord()
	if !ok || !bytes.Equal(sj.rec, ref.rec) || !sj.content.equal(ref.content) {
		t.Fatalf("checked: slim %v, another record than the reference's", ok)
	}
	if n := testing.AllocsPerRun(20, func() { e.slimRecord() }); n > 1 {
		t.Errorf("%v allocations per slim record; want 1 (the record)", n)
	}
	if n := testing.AllocsPerRun(20, func() { e.linkedSlimRecord(&[32]byte{}) }); n > 1 {
		t.Errorf("%v allocations per linked slim record; want 1 (the record)", n)
	}
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// FuzzMatchValidJSONString holds the matcher of checked texts to the
// reference (matchJSONString) on any valid UTF-8 text and any bytes
// without a control byte (JSON the sync protocol's decoder took has none
// in a string, where the matcher reads): its encoding, the bytes cut or
// changed anywhere, or other bytes.
func FuzzMatchValidJSONString(f *testing.F) {
	for _, s := range append([]string{patientText(0, 600)}, jsonStringCases...) {
		f.Add(s, []byte(nil), 0, byte(0))
		f.Add(s, []byte(`"`+s+`"`), 3, byte('\\'))
	}
	f.Fuzz(func(t *testing.T, s string, other []byte, at int, c byte) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		enc := append(appendJSONString(nil, s), `,"x"`...)
		changed := bytes.Clone(enc)
		if len(changed) > 0 {
			changed[uint(at)%uint(len(changed))] = c
		}
		for _, b := range [][]byte{enc, changed, changed[:uint(at)%uint(len(changed)+1)], other} {
			if bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 }) {
				continue
			}
			if got, want := matchValidJSONString(b, s), matchJSONString(b, s); got != want {
				t.Fatalf("%q in %q: matched %d, the reference %d", s, b, got, want)
			}
		}
	})
}

// FuzzSlimRecordChecked: a checked event's slim record is the one the
// reference makes, for any valid texts, encoded as the encoder does or
// otherwise (HTML escaped, a byte changed).
func FuzzSlimRecordChecked(f *testing.F) {
	f.Add("Åsa Öberg", "Läkemedel", "rad ett\nrad två", patientText(1, 400), false, 0, byte(0))
	f.Add("\u2028", "<b>", "\"", "– ”citat” \t", true, 40, byte('\\'))
	f.Fuzz(func(t *testing.T, name, label, value, text string, html bool, at int, c byte) {
		ev := slimEvent()
		v := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		ev.Case.Patient.Name, ev.Case.Text = v(name), v(text)
		ev.Case.Fields = []wire.Field{{Name: "medicine", Label: v(label), Value: v(value)}, {Name: "dose", Label: v(text), Value: v(name)}}
		raw, err := wire.EncodeEvent(ev)
		if err != nil {
			t.Skip()
		}
		if html {
			raw, _ = json.Marshal(ev)
		}
		if at > 0 {
			raw[at%len(raw)] = c
		}
		ref, refOK := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev}.slimRecord()
		got, ok := JournalEntry{Seq: ev.Seq, Event: raw, Wire: &ev, Checked: true}.slimRecord()
		if ok != refOK || !bytes.Equal(got.rec, ref.rec) {
			t.Fatalf("checked: slim %v, the reference %v; records equal: %v", ok, refOK, bytes.Equal(got.rec, ref.rec))
		}
	})
}

// TestRealisticTextMatchedByEscapes: a realistic text (2 KiB with
// å, ä, ö, line breaks and dashes) is matched looking one by one at no
// byte but those the encoder escapes and the first byte of each
// character of three bytes (as U+2028 and U+2029 are): not at the words
// around them, nor at the ends of the runs between line breaks.
func TestRealisticTextMatchedByEscapes(t *testing.T) {
	for _, s := range []string{patientText(0, 2048), patientText(5, 2048), patientText(9, 300)} {
		s += " — tack!"
		enc := appendJSONString(nil, s)
		n, steps := matchValidSteps(append(enc, '}'), s)
		if n != len(enc) {
			t.Fatalf("matched %d of %d", n, len(enc))
		}
		if most := bytes.Count(enc, []byte{'\\'}) + strings.Count(s, "\xe2"); steps > most {
			t.Errorf("%d bytes: looked at %d bytes one by one; the encoding has %d escapes and the text %d characters of three bytes",
				len(s), steps, bytes.Count(enc, []byte{'\\'}), strings.Count(s, "\xe2"))
		}
	}
}

// FuzzEscapable holds escapable to the byte-by-byte reference, on any
// string without a control byte (no decoder of the protocol takes one
// as it is: see escapable).
func FuzzEscapable(f *testing.F) {
	for _, s := range []string{"", "a\x1f", "abcdefgh\x00", "rad\u2028", "—\u2029", "\xe2\x80", "aåä — öx", "1234567\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
			return
		}
		want := false
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
				want = true
			}
		}
		if got, _ := escapable(s); got != want {
			t.Fatalf("escapable(%q) = %v", s, got)
		}
	})
}
