package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/personnummer"
)

// TestCanaryNoPlaintextOnDisk seeds cases whose personnummer, names, form
// answers and message text are canaries, closes the store, and looks for
// every canary in the raw file: none may be there (DP1, LG3).
func TestCanaryNoPlaintextOnDisk(t *testing.T) {
	db, dir := testStore(t)
	var canaries [][]byte
	var batch []*cases.Case
	for i := range 200 {
		c := newCase(i, fmt.Sprintf("KANARIETEXT%04d jag har ont i halsen", i))
		c.Patient.Name = fmt.Sprintf("Kanariefågel%04d Testsson", i)
		c.Fields[0].Value = fmt.Sprintf("KANARIEFÄLT%04d", i)
		g := personnummer.Synthetic(time.Date(1970, 1, 1+i%28, 0, 0, 0, 0, time.UTC), 980+i%20)
		c.Guardian = &cases.Person{PNR: g, Name: fmt.Sprintf("Kanarieförälder%04d", i)}
		for _, p := range []personnummer.Personnummer{c.Patient.PNR, g} {
			s := string(p)
			canaries = append(canaries, []byte(s), []byte(s[2:]), []byte(p.String()), []byte(p.String()[2:]))
		}
		canaries = append(canaries, []byte(c.Patient.Name), []byte(c.Fields[0].Value),
			[]byte(c.Messages[0].Text[:15]), []byte(c.Guardian.Name))
		batch = append(batch, c)
	}
	insert(t, db, batch...) // also writes an access-log entry per case, with the patient
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	insert(t, db, newCase(1000, "KANARIETEXT-AFTER-ROTATION"))
	canaries = append(canaries, []byte("KANARIETEXT-AFTER-ROTATION"))
	db.Close()

	raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	hits := 0
	for _, c := range canaries {
		if bytes.Contains(raw, c) {
			hits++
			t.Errorf("canary %q found in the raw store file", c)
		}
	}
	// The canaries are well formed: the same search finds them in a plain dump.
	if !bytes.Contains([]byte(fmt.Sprint(batch[0].Messages[0].Text)), canaries[len(canaries)-3][:11]) {
		t.Fatal("self-check of the canary search failed")
	}
	t.Logf("%d canaries, %d bytes scanned, %d hits", len(canaries), len(raw), hits)
}
