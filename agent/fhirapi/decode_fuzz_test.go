package fhirapi

import (
	"strings"
	"testing"
	"time"

	"clinicgw/agent/cases"
)

// FuzzDecodeCommunication: the decoder of a posted Communication never
// panics, and what it accepts is a message the case service can take: an
// identifier, a text, and either a case and a kind of message on it or a
// patient and a subject line.
func FuzzDecodeCommunication(f *testing.F) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, seed := range []string{
		`{"resourceType":"Communication","identifier":[{"system":"urn:x","value":"1"}],"status":"completed","partOf":[{"reference":"Task/01kbz0000000000000000000zz"}],"payload":[{"contentString":"Hej"}]}`,
		`{"resourceType":"Communication","identifier":[{"system":"urn:x","value":"2"}],"status":"completed","subject":{"identifier":{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"191212121212"}},"topic":{"text":"Ämne"},"extension":[{"url":"urn:clinicgw:reply-allowed","valueBoolean":false}],"payload":[{"contentString":"Hej"}]}`,
		`{"resourceType":"Communication","basedOn":[{"reference":"https://gw/Task/x/y"}],"category":[{"coding":[{"system":"urn:clinicgw:message-kind","code":"counter-question"}]}]}`,
		`[]`, `null`, `{"id":1}`, `{"identifier":[null]}`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in inCommunication
		if err := decodeStrict(body, &in); err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("an error of more than one line: %q", err)
			}
			return
		}
		req, err := parseCommunication(&in, now)
		if err != nil {
			if _, ok := err.(badRequest); !ok {
				t.Errorf("not a badRequest: %T %v", err, err)
			}
			return
		}
		m := req.msg
		if m.ClientID == "" || strings.TrimSpace(m.Text) == "" {
			t.Fatalf("accepted without an identifier or a text: %+v", m)
		}
		switch {
		case m.CaseID != "":
			if m.Kind != cases.Answer && m.Kind != cases.PartialAnswer && m.Kind != cases.CounterQuestion {
				t.Errorf("a message on a case of kind %q", m.Kind)
			}
		case m.Patient.PNR == "" || strings.TrimSpace(m.Subject) == "" || m.Type == "":
			t.Errorf("a new case without a patient, a subject or a type: %+v", m)
		}
	})
}

// FuzzParsePatch: the decoder of a Task patch never panics, and what it
// accepts closes the case, attaches a reference, or both.
func FuzzParsePatch(f *testing.F) {
	for _, seed := range []string{
		`[{"op":"replace","path":"/status","value":"completed"}]`,
		`[{"op":"add","path":"/identifier/-","value":{"system":"urn:x","value":"1"}}]`,
		`[{"op":"add","path":"/identifier/-","value":"x"}]`, `[{"value":{"x":1}}]`, `{}`, `[null]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var ops []patchOp
		if err := decodeStrict(body, &ops); err != nil {
			return
		}
		u, err := parsePatch(ops)
		if err != nil {
			return
		}
		if !u.Close && u.Ref == nil {
			t.Errorf("an accepted patch that does nothing: %s", body)
		}
		if u.Ref != nil && (u.Ref.System == "" || u.Ref.Value == "") {
			t.Errorf("an empty reference accepted: %+v", u.Ref)
		}
	})
}
