package archive

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"path"
	"testing"
	"time"
)

// refMETSXML is the METS document as encoding/xml wrote it first in the E-ARK SIP's spirit: a file section
// with every file's SHA-256 and a structural map of the cases, each
// labelled by titles (case id → its type in Swedish and its id).
func refMETSXML(name, unit string, now time.Time, files []FileSum, titles map[string]string) ([]byte, error) {
	type file struct {
		ID           string `xml:"ID,attr"`
		MimeType     string `xml:"MIMETYPE,attr"`
		Size         int    `xml:"SIZE,attr"`
		Checksum     string `xml:"CHECKSUM,attr"`
		ChecksumType string `xml:"CHECKSUMTYPE,attr"`
		FLocat       struct {
			LocType string `xml:"LOCTYPE,attr"`
			Href    string `xml:"xlink:href,attr"`
		} `xml:"FLocat"`
	}
	type fptr struct {
		FileID string `xml:"FILEID,attr"`
	}
	type div struct {
		Label string `xml:"LABEL,attr"`
		Fptr  []fptr `xml:"fptr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"mets"`
		NS      string   `xml:"xmlns,attr"`
		XLink   string   `xml:"xmlns:xlink,attr"`
		OBJID   string   `xml:"OBJID,attr"`
		Label   string   `xml:"LABEL,attr"`
		Profile string   `xml:"PROFILE,attr"`
		Hdr     struct {
			Created string `xml:"CREATEDATE,attr"`
			Agent   struct {
				Role string `xml:"ROLE,attr"`
				Type string `xml:"TYPE,attr"`
				Name string `xml:"name"`
			} `xml:"agent"`
		} `xml:"metsHdr"`
		FileSec struct {
			Grp struct {
				Use   string `xml:"USE,attr"`
				Files []file `xml:"file"`
			} `xml:"fileGrp"`
		} `xml:"fileSec"`
		StructMap struct {
			Type string `xml:"TYPE,attr"`
			Div  struct {
				Label string `xml:"LABEL,attr"`
				Divs  []div  `xml:"div"`
			} `xml:"div"`
		} `xml:"structMap"`
	}{NS: "http://www.loc.gov/METS/", XLink: "http://www.w3.org/1999/xlink", OBJID: name,
		Label: "clinicgw archive package", Profile: "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"}
	doc.Hdr.Created = now.UTC().Format(time.RFC3339)
	doc.Hdr.Agent.Role, doc.Hdr.Agent.Type, doc.Hdr.Agent.Name = "CREATOR", "ORGANIZATION", unit
	doc.FileSec.Grp.Use = "Representations/rep1"
	doc.StructMap.Type, doc.StructMap.Div.Label = "PHYSICAL", name
	byCase := map[string]*div{}
	var caseOrder []string
	for i, f := range files {
		var x file
		x.ID, x.MimeType, x.Size, x.Checksum, x.ChecksumType = fmt.Sprintf("file-%d", i+1), "application/json", f.Size, f.SHA256, "SHA-256"
		x.FLocat.LocType, x.FLocat.Href = "URL", f.Path
		doc.FileSec.Grp.Files = append(doc.FileSec.Grp.Files, x)
		id := path.Base(path.Dir(f.Path))
		if byCase[id] == nil {
			byCase[id] = &div{Label: cmp.Or(titles[id], id)}
			caseOrder = append(caseOrder, id)
		}
		byCase[id].Fptr = append(byCase[id].Fptr, fptr{x.ID})
	}
	for _, id := range caseOrder {
		doc.StructMap.Div.Divs = append(doc.StructMap.Div.Divs, *byCase[id])
	}
	b, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}

// TestMETSSameAsEncodingXML: the hand-written METS is, byte for byte,
// what encoding/xml wrote: with no file, with files of several cases (one
// of them listed apart from the others), and with names, titles, paths
// and checksums that XML must escape.
func TestMETSSameAsEncodingXML(t *testing.T) {
	odd := "\"quoted\" 'single' <b>&amp;</b> \x00\x01\t\n\r \u2028 å ä ö \xff\xfe \ufffd \U0001F600 end \xe2\x82"
	files := []FileSum{{Path: "representations/rep1/data/A/case.json", SHA256: "ab", Size: 3},
		{Path: "representations/rep1/data/A/fhir.json", SHA256: odd, Size: 0},
		{Path: "representations/rep1/data/B/case.json", SHA256: "ef", Size: 1 << 40},
		{Path: "representations/rep1/data/" + odd + "/case.json", SHA256: "", Size: 5},
		{Path: "representations/rep1/data/A/access-log.json", SHA256: "12", Size: 7},
		{Path: "METS.xml", SHA256: "34", Size: 9}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600))
	for i, tc := range []struct {
		name, unit string
		files      []FileSum
		titles     map[string]string
	}{
		{"pkg", "SE2321000016-ARKV", nil, nil},
		{"pkg", "SE2321000016-ARKV", files[:3], map[string]string{"A": "Förnya recept – A"}},
		{odd, odd, files, map[string]string{"A": odd, odd: odd, "B": ""}},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := refMETSXML(tc.name, tc.unit, now, tc.files, tc.titles)
			if err != nil {
				t.Fatal(err)
			}
			got, err := metsXML(tc.name, tc.unit, now, tc.files, tc.titles)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("METS differs from encoding/xml's:\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzMETSSameAsEncodingXML: for any name, unit, path, checksum and
// title, the hand-written METS is what encoding/xml wrote.
func FuzzMETSSameAsEncodingXML(f *testing.F) {
	f.Add("pkg", "SE2321000016-ARKV", "A", "ab", "Boka tid – A", 3)
	f.Add("<&>", "\"'", "\xff", "\n", "\x00", -1)
	f.Fuzz(func(t *testing.T, name, unit, id, sum, title string, size int) {
		files := []FileSum{{Path: "representations/rep1/data/" + id + "/case.json", SHA256: sum, Size: size},
			{Path: "representations/rep1/data/x/case.json", SHA256: sum, Size: size},
			{Path: id, SHA256: sum, Size: size}}
		titles := map[string]string{id: title}
		want, err := refMETSXML(name, unit, time.Unix(int64(size), 0), files, titles)
		if err != nil {
			t.Skip() // encoding/xml refused it; metsXML writes it anyway
		}
		got, _ := metsXML(name, unit, time.Unix(int64(size), 0), files, titles)
		if !bytes.Equal(got, want) {
			t.Errorf("METS differs from encoding/xml's:\n got %s\nwant %s", got, want)
		}
	})
}
