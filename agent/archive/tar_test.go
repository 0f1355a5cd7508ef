package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/cardauth/devpki"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

func tarReader(b []byte) *tar.Reader { return tar.NewReader(bytes.NewReader(b)) }

// FuzzVerify: whatever the bytes, Verify returns a manifest or an error,
// never panics; a package that verifies lists only files it holds.
func FuzzVerify(f *testing.F) {
	p, err := devpki.New(nil, time.Now().Add(-time.Hour))
	if err != nil {
		f.Fatal(err)
	}
	tc, err := p.Unit(unit, "Vårdcentralen Arkiv")
	if err != nil {
		f.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(tc.Certificate[0])
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	c := &cases.Case{ID: "01kjprzb00f4s5jf3tmfd16d59", Unit: unit, Type: casetype.ContactMe, Status: cases.Closed,
		Patient:  cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981), Name: "Test Testsson"},
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "Ring mig.", At: now}}, ReceivedAt: now}
	pkg, _, err := Build("seed", unit, []Item{{Case: c}}, now, Signer{Key: tc.PrivateKey.(crypto.Signer), Cert: leaf})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkg)
	f.Add([]byte{})
	f.Add([]byte("not a tar file"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Verify(bytes.NewReader(b), nil)
		if err == nil && m == nil {
			t.Fatal("no error and no manifest")
		}
	})
}

// readTar returns a tar's files by path under its folder, and their order.
func readTar(t *testing.T, b []byte) (map[string][]byte, []string) {
	t.Helper()
	tr := tarReader(b)
	files := map[string][]byte{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, order
		}
		if err != nil {
			t.Fatal(err)
		}
		_, p, _ := strings.Cut(h.Name, "/")
		if files[p], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
		order = append(order, p)
	}
}

// TestPackageFormats: a package is written in Format's layout, one USTAR
// block per header, however precise the clock (the first layout wrote
// PAX headers when the time had a fraction of a second, as the system
// clock's always has: a header and a record block more per file); a
// package in the first layout still verifies, as archives hold them; and
// a package whose headers are re-encoded in the other format, files
// unchanged, is refused both ways.
func TestPackageFormats(t *testing.T) {
	f := newFixture(t)
	ids := f.seed(t, 2, true, true)
	var items []Item
	for _, id := range ids {
		c, _ := f.svc.Get(context.Background(), dist, id)
		items = append(items, Item{Case: c})
	}
	now := f.clock.Now().Add(123456789 * time.Nanosecond)
	name := unit + "-" + string(ids[0]) + "-" + string(ids[1])
	v2, m2, err := Build(name, unit, items, now, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	if m2.Format != Format || !m2.Created.Equal(now.UTC().Truncate(time.Second)) {
		t.Errorf("manifest format %q, created %v", m2.Format, m2.Created)
	}
	tr := tarReader(v2)
	headers := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Format != tar.FormatUSTAR || len(h.PAXRecords) > 0 {
			t.Errorf("%s: a %v header with PAX records %v, want USTAR alone", h.Name, h.Format, h.PAXRecords)
		}
		headers++
	}
	if _, err := Verify(bytes.NewReader(v2), f.roots); err != nil {
		t.Fatalf("the package as built: %v", err)
	}

	var buf bytes.Buffer
	w := NewWriter(&buf, name, unit, now, f.signer)
	w.tarFmt, w.m.Format, w.m.Created = tar.FormatPAX, formatV1, now.UTC() // as the first layout's Writer wrote
	for _, it := range items {
		if err := w.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	v1 := buf.Bytes()
	if len(v1) < len(v2)+2*3*1024 {
		t.Errorf("the first layout takes %d bytes, this one %d: want 1 KiB less per case file", len(v1), len(v2))
	}
	if m, err := Verify(bytes.NewReader(v1), f.roots); err != nil || m.Format != formatV1 || !m.Created.Equal(now) {
		t.Fatalf("a package in the first layout: %v (%+v)", err, m)
	}
	for _, tc := range []struct {
		name string
		pkg  []byte
		as   tar.Format
		pax  map[string]string
	}{{"Format's files with PAX headers", v2, tar.FormatPAX, map[string]string{"comment": "x"}},
		{"formatV1's files with USTAR headers", v1, tar.FormatUSTAR, nil}} {
		files, order := readTar(t, tc.pkg)
		m, err := Verify(bytes.NewReader(tc.pkg), nil)
		if err != nil {
			t.Fatal(err)
		}
		bad, err := writeTarAs(name, order, files, m.Created, tc.as, tc.pax)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(bad, tc.pkg) {
			t.Fatalf("%s: the same bytes: the test would prove nothing", tc.name)
		}
		if _, err := Verify(bytes.NewReader(bad), f.roots); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", tc.name, err)
		}
	}
	t.Logf("%d files: %d bytes in Format's layout, %d in the first", headers, len(v2), len(v1))
}

// TestEveryPaddingByteChecked: the tar reader skips a file's padding and
// reads no further than the end blocks, so only Verify's check of the tar
// around the files sees them: a byte changed in any file's padding, in
// either end block, or a zero block added, and the package is refused.
func TestEveryPaddingByteChecked(t *testing.T) {
	f := newFixture(t)
	ids := f.seed(t, 2, true, true)
	var items []Item
	for _, id := range ids {
		c, _ := f.svc.Get(context.Background(), dist, id)
		items = append(items, Item{Case: c})
	}
	b, _, err := Build("pkg", unit, items, f.clock.Now(), f.signer)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int // every padding and end byte
	off := 0
	for off+512 <= len(b) {
		var h tar.Header
		if bytes.Equal(b[off:off+512], zeros[:512]) {
			break // the end blocks
		}
		tr := tarReader(b[off:])
		hp, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		h = *hp
		end := off + 512 + int(h.Size)
		next := (end + 511) &^ 511
		for i := end; i < next; i++ {
			offs = append(offs, i)
		}
		off = next
	}
	if len(b)-off != 1024 {
		t.Fatalf("%d bytes after the last file, want the two end blocks", len(b)-off)
	}
	for i := off; i < len(b); i++ {
		offs = append(offs, i)
	}
	for _, i := range offs {
		bad := slices.Clone(b)
		bad[i] = 'x'
		if _, err := Verify(bytes.NewReader(bad), f.roots); !errors.Is(err, ErrInvalid) {
			t.Fatalf("byte %d (padding or end) changed: Verify = %v", i, err)
		}
	}
	for _, bad := range [][]byte{append(slices.Clone(b), zeros[:512]...), append(slices.Clone(b[:off]), zeros[:]...)[:off+512]} {
		if _, err := Verify(bytes.NewReader(bad), f.roots); !errors.Is(err, ErrInvalid) {
			t.Errorf("%d end bytes instead of 1024: Verify = %v", len(bad)-off, err)
		}
	}
	t.Logf("%d padding and end bytes, each checked", len(offs))
}
