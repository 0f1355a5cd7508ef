package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// viaArchiveTar is the header archive/tar's Writer writes for tarHeader.
func viaArchiveTar(name, p string, size int, mtime time.Time, f tar.Format) ([]byte, error) {
	var buf bytes.Buffer
	err := tar.NewWriter(&buf).WriteHeader(tarHeader(name, p, size, mtime, f))
	return buf.Bytes(), err
}

// checkHeader fails t unless appendHeader writes what archive/tar writes
// (after a prefix it must keep), or fails where it fails.
func checkHeader(t *testing.T, name, p string, size int, mtime time.Time, f tar.Format) {
	t.Helper()
	want, wantErr := viaArchiveTar(name, p, size, mtime, f)
	got, err := appendHeader([]byte("before"), name, p, size, mtime, f)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q %q size %d at %v (%v): error %v, archive/tar's %v", name, p, size, mtime, f, err, wantErr)
	}
	if err != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("before")) || !bytes.Equal(got[len("before"):], want) {
		t.Fatalf("%q %q size %d at %v (%v): header\n%q\narchive/tar's\n%q", name, p, size, mtime, f, got, want)
	}
}

// TestHeaderSameAsArchiveTar: the tar headers written by hand are, byte
// for byte, what archive/tar writes, for the paths, sizes and times of a
// package and around the edges of what USTAR holds; and the hand-written
// path is the one a package's files take (else the test proves nothing
// of what runs).
func TestHeaderSameAsArchiveTar(t *testing.T) {
	pkg := "SE2321000016-ARKV-01kjprzb000000000000000000-01kjprzbfkyc0g007k04001wr1"
	id := "01kjprzb000000000000000000"
	now := time.Date(2026, 6, 10, 8, 0, 0, 0, time.UTC)
	paths := []string{"METS.xml", "manifest.json", "manifest.sig", "signer.pem",
		"representations/rep1/data/" + id + "/case.json", "representations/rep1/data/" + id + "/fhir.json",
		"representations/rep1/data/" + id + "/access-log.json",
		strings.Repeat("a", 99), strings.Repeat("a", 100), strings.Repeat("a", 101), strings.Repeat("a/", 80) + "x",
		strings.Repeat("b", 150) + "/" + strings.Repeat("c", 100), strings.Repeat("b", 154) + "/" + strings.Repeat("c", 101),
		"dir/", "ä.json", "tab\there", "nul\x00", "sp ace", "back\\slash", "~del\x7f"}
	names := []string{pkg, "p", strings.Repeat("n", 60), strings.Repeat("n", 155), strings.Repeat("n", 156), "Vårdcentral"}
	sizes := []int{0, 1, 511, 512, 513, 7556, 64 << 20, 1<<33 - 1, 1 << 33}
	times := []time.Time{now, time.Unix(1, 0), time.Unix(0, 0), time.Unix(-1, 0), time.Unix(1<<33-1, 0), time.Unix(1<<33, 0),
		now.Add(500 * time.Millisecond), now.In(time.FixedZone("CET", 3600))}
	for _, f := range []tar.Format{tar.FormatUSTAR, tar.FormatPAX} {
		for _, name := range names {
			for _, p := range paths {
				for _, size := range sizes {
					checkHeader(t, name, p, size, now, f)
				}
				for _, mt := range times {
					checkHeader(t, name, p, 3057, mt, f)
				}
			}
		}
	}
	for _, p := range paths[:7] {
		if _, ok := appendUSTAR(nil, pkg+"/"+p, 7556, now); !ok {
			t.Errorf("%s: a package's file does not take the hand-written header", p)
		}
	}
}

// FuzzHeaderSameAsArchiveTar: appendHeader against archive/tar for any
// path, size and time.
func FuzzHeaderSameAsArchiveTar(f *testing.F) {
	f.Add("SE2321000016-ARKV-01kjprzb000000000000000000-01kjprzbfkyc0g007k04001wr1", "representations/rep1/data/01kjprzb000000000000000000/fhir.json", 7556, int64(1781078400), int64(0), true)
	f.Add("p", "manifest.json", 0, int64(1), int64(5), false)
	f.Fuzz(func(t *testing.T, name, p string, size int, secs, nanos int64, ustar bool) {
		if size < 0 || size > 1<<34 {
			return
		}
		format := tar.FormatPAX
		if ustar {
			format = tar.FormatUSTAR
		}
		checkHeader(t, name, p, size, time.Unix(secs, nanos%1e9), format)
	})
}

// viaArchiveTarIn reads a tar with archive/tar's Reader alone, as verify
// did before ustarIn.
func viaArchiveTarIn(r io.Reader) tarIn {
	fr := &frameReader{r: r}
	return &archiveTarIn{tar.NewReader(fr), fr}
}

// sameVerdict fails t unless verify by hand (ustarIn where it applies)
// and by archive/tar's Reader alone accept and refuse the same bytes,
// with the same manifest and size.
func sameVerdict(t *testing.T, b []byte) {
	t.Helper()
	m, n, err := verifyWith(bytes.NewReader(b), nil, newTarIn)
	wm, wn, werr := verifyWith(bytes.NewReader(b), nil, viaArchiveTarIn)
	if (err == nil) != (werr == nil) || n != wn {
		t.Fatalf("verify: %v (%d bytes); with archive/tar's reader: %v (%d bytes)", err, n, werr, wn)
	}
	if err == nil && (!slices.Equal(m.Cases, wm.Cases) || !slices.Equal(m.Files, wm.Files) || !m.Created.Equal(wm.Created) || m.Name != wm.Name) {
		t.Fatalf("verify's manifest %+v, with archive/tar's reader %+v", m, wm)
	}
}

// TestVerifyUSTARSameAsArchiveTar: a package and every single-byte change
// of its tar around the files (headers, padding, end), and every cut,
// verify alike by hand and by archive/tar's Reader.
func TestVerifyUSTARSameAsArchiveTar(t *testing.T) {
	pkg := seedPackage(t)
	if _, ok := newTarIn(bytes.NewReader(pkg)).(*ustarIn); !ok {
		t.Fatal("a package of Format is not read by hand")
	}
	sameVerdict(t, pkg)
	for i := 0; i < len(pkg); i++ {
		inFrame := i%blockSize == 0 || i >= len(pkg)-2*blockSize // a block's first byte, or the end
		if !inFrame && i%37 != 0 {
			continue
		}
		for _, v := range []byte{0, '0', '7', ' ', 'x', pkg[i] ^ 1} {
			b := slices.Clone(pkg)
			b[i] = v
			sameVerdict(t, b)
		}
	}
	for _, cut := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, len(pkg) - 2*blockSize, len(pkg) - blockSize, len(pkg) - 1} {
		sameVerdict(t, pkg[:cut])
	}
	sameVerdict(t, append(slices.Clone(pkg), 0))
}

// FuzzVerifyUSTARSameAsArchiveTar: any bytes verify alike by hand and by
// archive/tar's Reader.
func FuzzVerifyUSTARSameAsArchiveTar(f *testing.F) {
	f.Add(seedPackage(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) { sameVerdict(t, b) })
}

// seedPackage is a small package of one case.
func seedPackage(t testing.TB) []byte {
	t.Helper()
	f := newBenchFixture(t)
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	c := &cases.Case{ID: "01kjprzb00f4s5jf3tmfd16d59", Unit: unit, Type: casetype.ContactMe, Status: cases.Closed,
		Patient:  cases.Person{PNR: personnummer.Synthetic(time.Date(1980, 5, 17, 0, 0, 0, 0, time.UTC), 981), Name: "Test Testsson"},
		Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: "Ring mig.", At: now}}, ReceivedAt: now}
	pkg, _, err := Build("seed", unit, []Item{{Case: c}}, now, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	return pkg
}
