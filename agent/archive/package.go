package archive

import (
	"archive/tar"
	"bytes"
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/labels"
	"clinicgw/agent/store"
	"clinicgw/sync/wire"
)

// Format names the package layout in manifest.json. In version 2 the
// package's time has whole seconds and each tar header is one USTAR block
// (a long path split between its prefix and name fields).
const Format = "clinicgw-archive/2"

// formatV1 is the first layout: the same files, the time as the clock
// gave it, and so, with a fraction of a second, each header in the PAX
// format (a header and a record block more per file, 1 KiB; with whole
// seconds the headers were USTAR as in Format). Verify still reads it.
const formatV1 = "clinicgw-archive/1"

// Limits on a package as Verify reads it.
const (
	maxPackageFile  = 64 << 20  // one file
	maxPackageTotal = 512 << 20 // all files
	maxPackageFiles = 100000
	// maxPackageTar is what the tar format adds to the files: headers and
	// padding, 3 KiB per file at most here.
	maxPackageTar = maxPackageFiles * 3 << 10
)

// ErrInvalid means a package does not verify: a file is missing, changed
// or extra, or the signature does not hold.
var ErrInvalid = errors.New("the archive package does not verify")

// Item is one case to export with its access-log records.
type Item struct {
	Case   *cases.Case
	Access []audit.Record
	// Form is the unit's form of the case's type, by which its answers are
	// named; nil: none (the answers are kept as sent, marked).
	Form *wire.Form
}

// archivedCase is case.json: the case as the store keeps it, codes and
// all, and under "sv" what its codes and answers say in Swedish, the
// archive's language.
type archivedCase struct {
	*cases.Case
	SV caseText `json:"sv"`
}

// caseText is a case's codes and answers in Swedish.
type caseText struct {
	Type     string       `json:"type"`
	Status   string       `json:"status"`
	Answers  []answerText `json:"answers,omitempty"`
	Messages []string     `json:"messages,omitempty"` // each message's kind, in thread order
	History  []string     `json:"history,omitempty"`  // each step's action, in order
}

// answerText is one form answer in Swedish, with its code if it has one.
type answerText struct {
	Name     string `json:"name"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Code     string `json:"code,omitempty"`
	Note     string `json:"note,omitempty"` // why the answer is kept as sent
}

// archived is case.json's value for c, read by form.
func archived(c *cases.Case, form *wire.Form) archivedCase {
	a := archivedCase{Case: c, SV: caseText{Type: serviceName(c, form), Status: labels.Status(c.Status, "sv")}}
	for _, an := range labels.Answers(form, c.Fields, "sv") {
		a.SV.Answers = append(a.SV.Answers, answerText{Name: an.Name, Question: an.Question, Answer: an.Text, Code: an.Code, Note: an.Note})
	}
	for _, m := range c.Messages {
		a.SV.Messages = append(a.SV.Messages, labels.MessageKind(m.Kind, "sv"))
	}
	for _, e := range c.History {
		a.SV.History = append(a.SV.History, labels.Action(e.Action, "sv"))
	}
	return a
}

// appendArchived appends case.json's bytes for c to dst: exactly what
// json.Marshal writes for archived(c, form) (TestFHIRSameAsEncodingJSON
// and its fuzz target compare them), the case by the store's own encoder
// (store.AppendCaseJSON) instead of by reflection, then its Swedish text.
func appendArchived(dst []byte, c *cases.Case, form *wire.Form) ([]byte, error) {
	a := archived(c, form)
	sv, err := json.Marshal(a.SV)
	if err != nil {
		return nil, err
	}
	start := len(dst)
	dst, ok := store.AppendCaseJSON(dst, c)
	if !ok || len(dst) == start || dst[len(dst)-1] != '}' {
		return json.Marshal(a) // it says what it refuses
	}
	dst = append(dst[:len(dst)-1], `,"sv":`...)
	dst = append(dst, sv...)
	return append(dst, '}'), nil
}

// FileSum is one file of a package with its SHA-256.
type FileSum struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Manifest is manifest.json.
type Manifest struct {
	Format  string    `json:"format"`
	Name    string    `json:"name"`
	Unit    string    `json:"unit"`
	Created time.Time `json:"created"`
	Cases   []string  `json:"cases"`
	Files   []FileSum `json:"files"`
	// Signer is the certificate of the key that signed the package (set by
	// Verify).
	Signer *x509.Certificate `json:"-"`
}

// Signer signs packages: the gateway's key, its certificate and the CA
// certificates between it and a root (written with it, so a verifier needs
// only the root).
type Signer struct {
	Key   crypto.Signer
	Cert  *x509.Certificate
	Chain []*x509.Certificate
}

// Build makes the package name (a tar file's bytes) of items for unit: a
// Writer into memory, for tests and small packages.
func Build(name, unit string, items []Item, now time.Time, s Signer) ([]byte, *Manifest, error) {
	var buf bytes.Buffer
	w := NewWriter(&buf, name, unit, now, s)
	for _, it := range items {
		if err := w.Add(it); err != nil {
			return nil, nil, err
		}
	}
	m, err := w.Close()
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), m, nil
}

// Writer writes a package as a stream: each case's files go into the tar
// as it is added, so a package costs one case's files in memory, not the
// whole tar. The manifest, its signature and the signer's certificates
// come last, at Close. Files are compact JSON (a reader may pretty-print
// them).
type Writer struct {
	out      io.Writer  // the tar: each file's header (appendHeader), content and padding
	pad      int        // the padding the last file's content needs
	head     []byte     // the last header written, with the padding before it: its memory serves the next
	tarFmt   tar.Format // USTAR; PAX in the tests that write formatV1
	name     string
	signer   Signer
	m        *Manifest
	titles   map[string]string
	fhir     []byte // the last case's FHIR bundle: its memory serves the next
	caseJSON []byte // the last case's case.json, likewise
	access   []byte // and its access-log.json
	err      error
}

// NewWriter starts the package name for unit on w, made at now and signed
// by s at Close.
func NewWriter(w io.Writer, name, unit string, now time.Time, s Signer) *Writer {
	// A USTAR header has the time in whole seconds; the manifest says the
	// same time.
	return &Writer{out: w, tarFmt: tar.FormatUSTAR, name: name, signer: s, titles: map[string]string{},
		m: &Manifest{Format: Format, Name: name, Unit: unit, Created: now.UTC().Truncate(time.Second)}}
}

// Add writes one case's files: case.json, fhir.json and access-log.json.
func (w *Writer) Add(it Item) error {
	if w.err != nil {
		return w.err
	}
	id := string(it.Case.ID)
	dir := "representations/rep1/data/" + id + "/"
	caseJSON, err := appendArchived(w.caseJSON[:0], it.Case, it.Form)
	if err != nil {
		return w.fail(err)
	}
	w.caseJSON = caseJSON
	w.fhir = appendFHIR(w.fhir[:0], it.Case, it.Form, it.Access, w.m.Created)
	access, err := appendAccess(w.access[:0], it.Access)
	if err != nil {
		return w.fail(err)
	}
	w.access = access
	for _, f := range []struct {
		path string
		b    []byte
	}{{dir + "case.json", caseJSON}, {dir + "fhir.json", w.fhir}, {dir + "access-log.json", access}} {
		if err := w.file(f.path, f.b, true); err != nil {
			return err
		}
	}
	w.m.Cases = append(w.m.Cases, id)
	w.titles[id] = serviceName(it.Case, it.Form) + " – " + id
	return nil
}

// Close writes METS.xml, manifest.json, manifest.sig and signer.pem and
// ends the tar; it returns the manifest. It does not close the writer
// under it.
func (w *Writer) Close() (*Manifest, error) {
	if w.err != nil {
		return nil, w.err
	}
	mets, err := metsXML(w.name, w.m.Unit, w.m.Created, w.m.Files, w.titles)
	if err != nil {
		return nil, w.fail(err)
	}
	if err := w.file("METS.xml", mets, true); err != nil {
		return nil, err
	}
	manifest, err := marshalManifest(w.m)
	if err != nil {
		return nil, w.fail(err)
	}
	digest := sha256.Sum256(manifest)
	sig, err := w.signer.Key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, w.fail(fmt.Errorf("sign the manifest: %w", err))
	}
	signer := encodeChain(append([]*x509.Certificate{w.signer.Cert}, w.signer.Chain...))
	for _, f := range []struct {
		path string
		b    []byte
	}{{"manifest.json", manifest}, {"manifest.sig", sig}, {"signer.pem", signer}} {
		if err := w.file(f.path, f.b, false); err != nil {
			return nil, err
		}
	}
	// The end, as archive/tar's Writer.Close writes it: the last file's
	// padding and two zero blocks.
	if _, err := w.out.Write(append(append(w.head[:0], zeros[:w.pad]...), zeros[:]...)); err != nil {
		return nil, w.fail(err)
	}
	w.err = errors.New("archive: the package is closed")
	return w.m, nil
}

// file writes one file into the tar, listed in the manifest if listed.
func (w *Writer) file(p string, b []byte, listed bool) error {
	head, err := appendHeader(append(w.head[:0], zeros[:w.pad]...), w.name, p, len(b), w.m.Created, w.tarFmt)
	if err != nil {
		return w.fail(err)
	}
	w.head = head
	if _, err := w.out.Write(head); err != nil {
		return w.fail(err)
	}
	if _, err := w.out.Write(b); err != nil {
		return w.fail(err)
	}
	w.pad = -len(b) & (blockSize - 1)
	if listed {
		sum := sha256.Sum256(b)
		w.m.Files = append(w.m.Files, FileSum{Path: p, SHA256: hex.EncodeToString(sum[:]), Size: len(b)})
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

// encodeChain is signer.pem: each certificate as a PEM block, in order.
func encodeChain(chain []*x509.Certificate) []byte {
	var b []byte
	for _, c := range chain {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

// tarHeader is the one header Writer writes, and Verify accepts, for the
// file p of size bytes in the package name made at mtime, in the tar
// format f: USTAR (Format), or PAX (formatV1).
func tarHeader(name, p string, size int, mtime time.Time, f tar.Format) *tar.Header {
	return &tar.Header{Name: name + "/" + p, Mode: 0o640, Size: int64(size), ModTime: mtime, Typeflag: tar.TypeReg, Format: f}
}

// accessRecord is an access-log record as exported: with the hashes that
// chain it, so the archive can show it belongs to the gateway's log.
type accessRecord struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor"`
	Unit    string    `json:"unit"`
	Action  string    `json:"action"`
	CaseID  string    `json:"caseId"`
	Patient string    `json:"patient,omitempty"`
	Outcome string    `json:"outcome"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash"`
	// Who, ActionSV and OutcomeSV say the actor (the patient or the
	// system; a member of staff stays an HSA-ID), the action and the
	// outcome in Swedish; the codes above are what the hashes cover.
	Who       string `json:"who"`
	ActionSV  string `json:"actionSv"`
	OutcomeSV string `json:"outcomeSv"`
}

func accessJSON(rs []audit.Record) []accessRecord {
	out := make([]accessRecord, 0, len(rs))
	for _, r := range rs {
		e := r.Entry
		out = append(out, accessRecord{Seq: r.Seq, Time: e.Time, Actor: e.Actor, Unit: e.Unit, Action: e.Action,
			CaseID: e.CaseID, Patient: e.Patient, Outcome: string(e.Outcome),
			Prev: hex.EncodeToString(r.Prev[:]), Hash: hex.EncodeToString(r.Hash[:]),
			Who: labels.Actor(e.Actor, "sv", nil), ActionSV: labels.Action(cases.Action(e.Action), "sv"), OutcomeSV: labels.Outcome(e.Outcome, "sv")})
	}
	return out
}

// metsXML is a METS document in the E-ARK SIP's spirit: a file section
// with every file's SHA-256 and a structural map of the cases, each
// labelled by titles (case id → its type in Swedish and its id). It is
// written by hand, as encoding/xml's MarshalIndent with one space wrote
// it first (the reference in mets_test.go, proved the same bytes by
// TestMETSSameAsEncodingXML): a package's METS lists every file, and the
// reflection took a tenth of an export's time.
func metsXML(name, unit string, now time.Time, files []FileSum, titles map[string]string) ([]byte, error) {
	b := bytes.NewBuffer(make([]byte, 0, 1024+len(files)*256))
	attr := func(k, v string) {
		b.WriteString(" " + k + `="`)
		xml.EscapeText(b, []byte(v)) // a bytes.Buffer does not fail
		b.WriteByte('"')
	}
	b.WriteString(xml.Header)
	b.WriteString(`<mets xmlns="http://www.loc.gov/METS/" xmlns:xlink="http://www.w3.org/1999/xlink"`)
	attr("OBJID", name)
	b.WriteString(` LABEL="clinicgw archive package" PROFILE="https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml">` + "\n")
	b.WriteString(` <metsHdr CREATEDATE="` + now.UTC().Format(time.RFC3339) + `">` + "\n")
	b.WriteString(`  <agent ROLE="CREATOR" TYPE="ORGANIZATION">` + "\n   <name>")
	xml.EscapeText(b, []byte(unit))
	b.WriteString("</name>\n  </agent>\n </metsHdr>\n <fileSec>\n  <fileGrp USE=\"Representations/rep1\">")
	type div struct {
		id    string
		fptrs []int // file numbers
	}
	var divs []*div
	byCase := map[string]*div{}
	for i, f := range files {
		n := strconv.Itoa(i + 1)
		b.WriteString("\n   <file ID=\"file-" + n + `" MIMETYPE="application/json" SIZE="` + strconv.Itoa(f.Size) + `"`)
		attr("CHECKSUM", f.SHA256)
		b.WriteString(` CHECKSUMTYPE="SHA-256">` + "\n    <FLocat LOCTYPE=\"URL\"")
		attr("xlink:href", f.Path)
		b.WriteString("></FLocat>\n   </file>")
		id := path.Base(path.Dir(f.Path))
		d := byCase[id]
		if d == nil {
			d = &div{id: id}
			byCase[id] = d
			divs = append(divs, d)
		}
		d.fptrs = append(d.fptrs, i+1)
	}
	if len(files) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("</fileGrp>\n </fileSec>\n <structMap TYPE=\"PHYSICAL\">\n  <div")
	attr("LABEL", name)
	b.WriteByte('>')
	for _, d := range divs {
		b.WriteString("\n   <div")
		attr("LABEL", cmp.Or(titles[d.id], d.id))
		b.WriteByte('>')
		for _, n := range d.fptrs {
			b.WriteString("\n    <fptr FILEID=\"file-" + strconv.Itoa(n) + `"></fptr>`)
		}
		b.WriteString("\n   </div>")
	}
	if len(divs) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("</div>\n </structMap>\n</mets>")
	return b.Bytes(), nil
}

// Verify reads the package in r (a tar file as Writer makes it) and
// checks that every file manifest.json names is there with its SHA-256,
// that no other file is, that manifest.sig is signer.pem's signature over
// the manifest, and that the tar file is byte for byte the one Writer
// writes of those files. With roots, signer.pem's first certificate must
// also chain to them, through the CA certificates that follow it. It
// returns the manifest.
//
// It reads as a stream: what it holds is one file at a time, each file's
// checksum, and the manifest, signature and certificates. Each file's
// content is hashed once, as it is read; the tar around the files (the
// headers, the padding, the end and anything after it: every byte the tar
// reader reads that is no file's content) must be, segment by segment,
// what Writer writes around files of those paths and sizes.
func Verify(r io.Reader, roots *x509.CertPool) (*Manifest, error) {
	m, _, err := verify(r, roots)
	return m, err
}

// frameReader passes a package to the tar reader and keeps what is not a
// file's content: the tar around the files, since the last file.
type frameReader struct {
	r       io.Reader
	content bool // the tar reader is reading a file's content
	frame   bytes.Buffer
}

func (f *frameReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if !f.content {
		f.frame.Write(p[:n])
	}
	return n, err
}

// zeros is a tar's padding and end.
var zeros [2 * 512]byte

// verify is Verify that also returns the size of all it read: the
// package file's, when r is one.
func verify(r io.Reader, roots *x509.CertPool) (*Manifest, int64, error) {
	return verifyWith(r, roots, newTarIn)
}

// verifyWith is verify reading the tar with newIn (newTarIn; the tests
// compare it with archive/tar's Reader alone).
func verifyWith(r io.Reader, roots *x509.CertPool, newIn func(io.Reader) tarIn) (*Manifest, int64, error) {
	const limit = maxPackageTotal + maxPackageTar
	lr := &io.LimitedReader{R: r, N: limit + 1}
	tr := newIn(lr)
	var want []byte // the tar around the files as Writer writes it, since the last file
	pad := 0        // the padding after the last file
	fileHash := sha256.New()
	buf := make([]byte, 32<<10)
	var sum [sha256.Size]byte
	type got struct {
		sum  string
		size int
	}
	files := map[string]got{}
	var manifest, sig, certPEM []byte
	var mtime time.Time
	tarFmt := tar.FormatUSTAR
	total := 0
	prefix := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if lr.N <= 0 {
			return nil, 0, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxPackageTotal)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 || hdr.Size > maxPackageFile || len(files) >= maxPackageFiles {
			return nil, 0, fmt.Errorf("%w: unexpected entry %q", ErrInvalid, hdr.Name)
		}
		dir, rest, ok := strings.Cut(hdr.Name, "/")
		if !ok || (prefix != "" && dir != prefix) || rest == "" || strings.Contains(rest, "..") {
			return nil, 0, fmt.Errorf("%w: unexpected path %q", ErrInvalid, hdr.Name)
		}
		if prefix == "" {
			prefix, mtime = dir, hdr.ModTime
			// The first file's header says the tar format: PAX only in
			// formatV1 (with a time to the fraction of a second), USTAR
			// in Format and in formatV1 with whole seconds. Every other
			// header must be in the same format.
			if hdr.Format == tar.FormatPAX {
				tarFmt = tar.FormatPAX
			}
		}
		if _, dup := files[rest]; dup {
			return nil, 0, fmt.Errorf("%w: %q twice", ErrInvalid, rest)
		}
		total += int(hdr.Size)
		if total > maxPackageTotal {
			return nil, 0, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxPackageTotal)
		}
		// The tar read since the last file's content — its padding and
		// this file's header — is what Writer writes there.
		want, err = appendHeader(append(want[:0], zeros[:pad]...), prefix, rest, int(hdr.Size), mtime, tarFmt)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %q cannot be in a package", ErrInvalid, rest)
		}
		if !bytes.Equal(tr.frame(), want) {
			return nil, 0, fmt.Errorf("%w: the tar file around the files was changed (the header of %q or the padding before it)", ErrInvalid, rest)
		}
		tr.resetFrame()
		// The file goes through its hash as it is read; only the last
		// three files are kept.
		fileHash.Reset()
		var keep *[]byte
		switch rest {
		case "manifest.json":
			keep = &manifest
		case "manifest.sig":
			keep = &sig
		case "signer.pem":
			keep = &certPEM
		}
		var n int64
		if keep != nil {
			var b bytes.Buffer
			n, err = b.ReadFrom(io.LimitReader(tr, hdr.Size))
			*keep = b.Bytes()
			fileHash.Write(*keep)
		} else {
			n, err = io.CopyBuffer(fileHash, io.LimitReader(tr, hdr.Size), buf)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if n != hdr.Size {
			return nil, 0, fmt.Errorf("%w: %q is cut short", ErrInvalid, rest)
		}
		files[rest] = got{hex.EncodeToString(fileHash.Sum(sum[:0])), int(n)}
		pad = int(-hdr.Size & 511)
	}
	// The end: the last file's padding and two zero blocks, and nothing
	// after them.
	want = append(append(want[:0], zeros[:pad]...), zeros[:]...)
	if !bytes.Equal(tr.frame(), want) {
		return nil, 0, fmt.Errorf("%w: the tar file around the files was changed (its end)", ErrInvalid)
	}
	if n, _ := io.ReadFull(lr, buf[:1]); n > 0 {
		return nil, 0, fmt.Errorf("%w: bytes after the tar's end", ErrInvalid)
	}
	if lr.N <= 0 {
		return nil, 0, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxPackageTotal)
	}
	if manifest == nil || sig == nil || certPEM == nil {
		return nil, 0, fmt.Errorf("%w: manifest.json, manifest.sig or signer.pem is missing", ErrInvalid)
	}
	var chain []*x509.Certificate
	for rest := certPEM; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: signer.pem: %v", ErrInvalid, err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return nil, 0, fmt.Errorf("%w: signer.pem holds no certificate", ErrInvalid)
	}
	// The manifest does not cover signer.pem, and PEM decoding forgives
	// (the unused bits of base64's last character, text around blocks):
	// it must be exactly the encoding Writer writes of what it holds.
	if !bytes.Equal(certPEM, encodeChain(chain)) {
		return nil, 0, fmt.Errorf("%w: signer.pem is not the certificates' canonical PEM encoding", ErrInvalid)
	}
	cert := chain[0]
	digest := sha256.Sum256(manifest)
	if !verifySig(cert.PublicKey, digest[:], sig) {
		return nil, 0, fmt.Errorf("%w: the signature over manifest.json does not hold", ErrInvalid)
	}
	if roots != nil {
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			return nil, 0, fmt.Errorf("%w: the signer's certificate: %v", ErrInvalid, err)
		}
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(manifest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || (m.Format != Format || tarFmt != tar.FormatUSTAR) && m.Format != formatV1 || m.Name != prefix {
		return nil, 0, fmt.Errorf("%w: manifest.json: format %q, name %q (%v)", ErrInvalid, m.Format, m.Name, err)
	}
	listed := map[string]bool{"manifest.json": true, "manifest.sig": true, "signer.pem": true}
	for _, f := range m.Files {
		g, ok := files[f.Path]
		if !ok {
			return nil, 0, fmt.Errorf("%w: %s is missing", ErrInvalid, f.Path)
		}
		if g.sum != f.SHA256 || g.size != f.Size {
			return nil, 0, fmt.Errorf("%w: %s does not match its checksum", ErrInvalid, f.Path)
		}
		listed[f.Path] = true
	}
	for p := range files {
		if !listed[p] {
			return nil, 0, fmt.Errorf("%w: %s is not in the manifest", ErrInvalid, p)
		}
	}
	for _, id := range m.Cases {
		if !listed["representations/rep1/data/"+id+"/case.json"] || !listed["representations/rep1/data/"+id+"/access-log.json"] {
			return nil, 0, fmt.Errorf("%w: case %s lacks its files", ErrInvalid, id)
		}
	}
	// The files are right and the tar around them is as Writer writes
	// it, every header with the first one's time: that must be the
	// manifest's, so that a byte changed anywhere in the file is found.
	if !mtime.Equal(m.Created) {
		return nil, 0, fmt.Errorf("%w: the tar file around the files was changed (the time in its headers is not the manifest's)", ErrInvalid)
	}
	slices.Sort(m.Cases)
	m.Signer = cert
	return &m, limit + 1 - lr.N, nil
}

func verifySig(pub crypto.PublicKey, digest, sig []byte) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	}
	return false
}
