package wire

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteProblem(t *testing.T) {
	tests := []struct {
		in         Problem
		wantStatus int
		wantType   string
	}{
		{*BodyTooLarge(MaxAckBytes), 413, ProblemBodyTooLarge},
		{*Conflict("The cursor is beyond the last event delivered."), 409, ProblemConflict},
		{*RateLimited(), 429, ProblemRateLimited},
		{*Unauthorized(), 401, ProblemUnauthorized},
		{Problem{Type: "about:blank", Status: 200}, 500, ProblemInternal},                // not an error status
		{Problem{Type: "about:blank"}, 500, ProblemInternal},                             // no status
		{Problem{Type: "about:blank", Status: 400, Title: "a\nb"}, 500, ProblemInternal}, // invalid
	}
	for _, tc := range tests {
		rec := httptest.NewRecorder()
		WriteProblem(rec, tc.in)
		res := rec.Result()
		if res.StatusCode != tc.wantStatus {
			t.Errorf("%s: status %d, want %d", tc.in.Type, res.StatusCode, tc.wantStatus)
		}
		for k, want := range map[string]string{"Content-Type": ContentTypeProblem, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
			if got := res.Header.Get(k); got != want {
				t.Errorf("%s: %s = %q, want %q", tc.in.Type, k, got, want)
			}
		}
		p, err := DecodeProblem(res.Body)
		if err != nil {
			t.Fatalf("%s: the body does not decode: %v", tc.in.Type, err)
		}
		if p.Type != tc.wantType || p.Status != tc.wantStatus {
			t.Errorf("%s: body %+v", tc.in.Type, p)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, canonicalInboxPage()); err != nil {
		t.Fatal(err)
	}
	res := rec.Result()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != ContentTypeJSON || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("response %d %v", res.StatusCode, res.Header)
	}
	if p, err := DecodeInboxPage(res.Body); err != nil || len(p.Events) != 4 {
		t.Errorf("body: %v", err)
	}

	// An invalid body is never sent: the client gets a 500 problem.
	rec = httptest.NewRecorder()
	if err := WriteJSON(rec, http.StatusOK, InboxPage{More: true}); err == nil {
		t.Error("WriteJSON sent an invalid body")
	}
	if rec.Code != 500 || rec.Header().Get("Content-Type") != ContentTypeProblem {
		t.Errorf("invalid body: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestMarshal(t *testing.T) {
	// A nil events list is written as [], as the schema requires.
	b, err := Marshal(InboxPage{Cursor: 3})
	if err != nil || string(b) != `{"events":[],"cursor":3,"more":false}`+"\n" {
		t.Errorf("Marshal(empty page) = %s, %v", b, err)
	}
	b, err = Marshal(FormSet{})
	if err != nil || string(b) != `{"forms":[]}`+"\n" {
		t.Errorf("Marshal(empty form set) = %s, %v", b, err)
	}
	// An invalid value is refused with its problem.
	_, err = Marshal(Ack{})
	wantBadRequest(t, err)
	// A valid form set too large to send at once is refused.
	var s FormSet
	for i := range MaxForms {
		f := Form{ID: fmt.Sprint("form-", i), Version: 1, Title: Text{SV: "T"}}
		for j := range MaxFormFields {
			f.Fields = append(f.Fields, FormField{Name: fmt.Sprint("f", j), Label: Text{SV: "L"}, Help: Text{SV: runes(MaxHelpLen), EN: runes(MaxHelpLen)}, Kind: FieldTextarea})
		}
		s.Forms = append(s.Forms, f)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	_, err = Marshal(s)
	wantProblem(t, err, http.StatusRequestEntityTooLarge, ProblemBodyTooLarge)
}

func TestCheckContentType(t *testing.T) {
	for _, tc := range []struct {
		ct []string
		ok bool
	}{
		{[]string{"application/json"}, true},
		{[]string{"application/json; charset=utf-8"}, true},
		{[]string{"Application/JSON; charset=UTF-8"}, true},
		{nil, false},
		{[]string{""}, false},
		{[]string{"application/json", "application/json"}, false},
		{[]string{"application/json; charset=latin1"}, false},
		{[]string{"application/json; boundary=x"}, false},
		{[]string{"text/plain"}, false},
		{[]string{"application/x-www-form-urlencoded"}, false},
		{[]string{"multipart/form-data; boundary=x"}, false},
		{[]string{"application/problem+json"}, false},
		{[]string{"application/json;"}, true},
		{[]string{"application/json; charset"}, false},
	} {
		h := http.Header{}
		for _, v := range tc.ct {
			h.Add("Content-Type", v)
		}
		err := CheckContentType(h)
		if tc.ok != (err == nil) {
			t.Errorf("%q: %v", tc.ct, err)
		}
		if err != nil {
			wantProblem(t, err, http.StatusUnsupportedMediaType, ProblemUnsupportedMediaType)
		}
	}
}

func TestDigest(t *testing.T) {
	base := canonicalOutboxBatch().Items[0]
	d := base.Digest()
	same := base
	same.At = base.At.In(time.FixedZone("CET", 3600))
	msg := *base.Message
	same.Message = &msg
	if same.Digest() != d {
		t.Error("the same content at another offset has another digest")
	}
	changes := []func(*OutboxItem){
		func(it *OutboxItem) { it.IdempotencyKey = "other" },
		func(it *OutboxItem) { it.CaseID = caseID2 },
		func(it *OutboxItem) { it.Kind = OutboxPartialAnswer },
		func(it *OutboxItem) { it.At = it.At.Add(time.Nanosecond) },
		func(it *OutboxItem) { it.Message.ID = "other" },
		func(it *OutboxItem) { it.Message.Text += " " },
		func(it *OutboxItem) { it.Message.Signature = "" },
		func(it *OutboxItem) { it.Message.AuthorTitle = "Läkare" },
		func(it *OutboxItem) { it.Message = nil },
		func(it *OutboxItem) { it.Status = StatusClosed },
		// Moving text between members must change the digest.
		func(it *OutboxItem) { it.Message.Text, it.Message.Signature = it.Message.Text+it.Message.Signature, "" },
	}
	for i, c := range changes {
		it := base
		m := *base.Message
		it.Message = &m
		c(&it)
		if it.Digest() == d {
			t.Errorf("change %d keeps the digest", i)
		}
	}
}

// answerDigest is the digest of the canonical answer item.
const answerDigest = "46203bc28f2ef603c64454020a69663f5e68801b9be9330f6257deba1b7082c9"

// TestDigestInitiated: every member of a case.initiated item's case is in
// its digest, and an item of another kind keeps the digest it had before
// cases could be initiated (a central store's records stay valid).
func TestDigestInitiated(t *testing.T) {
	base := canonicalOutboxBatch().Items[3]
	d := base.Digest()
	changes := []func(*InitiatedCase){
		func(c *InitiatedCase) { c.Type = "advice-nurse" },
		func(c *InitiatedCase) { c.PatientPNR = pnrAdult2 },
		func(c *InitiatedCase) { c.PatientName = "" },
		func(c *InitiatedCase) { c.Subject += "!" },
		func(c *InitiatedCase) { c.ReplyAllowed = false },
		func(c *InitiatedCase) { c.PatientName, c.Subject = c.PatientName+c.Subject, "" },
	}
	for i, change := range changes {
		it := base
		c := *base.Case
		it.Case = &c
		change(&c)
		if it.Digest() == d {
			t.Errorf("change %d keeps the digest", i)
		}
	}
	// Pinned: the answer item's digest from before case.initiated existed.
	if got := fmt.Sprintf("%x", canonicalOutboxBatch().Items[0].Digest()); got != answerDigest {
		t.Errorf("the canonical answer's digest changed to %s", got)
	}
}

func TestProblemOf(t *testing.T) {
	p := Conflict("x")
	if got := ProblemOf(fmt.Errorf("apply: %w", p)); got != p {
		t.Errorf("ProblemOf(wrapped) = %v", got)
	}
	secret := errors.New("open /var/lib/clinicgw/secret.db: permission denied")
	got := ProblemOf(secret)
	if got.Status != 500 || strings.Contains(got.Error(), "secret") {
		t.Errorf("ProblemOf(plain error) = %v", got)
	}
	if s := BodyTooLarge(10).Error(); !strings.Contains(s, "413") || !strings.Contains(s, "10 bytes") {
		t.Errorf("Error() = %q", s)
	}
	if s := (&Problem{Type: "urn:x"}).Error(); !strings.Contains(s, "urn:x") {
		t.Errorf("Error() = %q", s)
	}
}

// TestMessageDigest: what a message id names is its case, kind, time (as an
// instant) and every member of the message; the idempotency key is not part
// of it (a message is the same under any key). Pinned, as central stores
// compare with what they stored.
func TestMessageDigest(t *testing.T) {
	base := canonicalOutboxBatch().Items[0]
	d := MessageDigest(base.CaseID, base.Kind, base.At, *base.Message)
	if MessageDigest(base.CaseID, base.Kind, base.At.In(time.FixedZone("CET", 3600)), *base.Message) != d {
		t.Error("the same message at another offset has another digest")
	}
	changes := []func(*OutboxItem){
		func(it *OutboxItem) { it.CaseID = caseID2 },
		func(it *OutboxItem) { it.Kind = OutboxCounterQuestion },
		func(it *OutboxItem) { it.At = it.At.Add(time.Nanosecond) },
		func(it *OutboxItem) { it.Message.ID = "other" },
		func(it *OutboxItem) { it.Message.Text += " " },
		func(it *OutboxItem) { it.Message.Signature = "" },
		func(it *OutboxItem) { it.Message.AuthorTitle = "Läkare" },
		func(it *OutboxItem) { it.Message.Text, it.Message.Signature = it.Message.Text+it.Message.Signature, "" },
	}
	for i, c := range changes {
		it := base
		m := *base.Message
		it.Message = &m
		c(&it)
		if MessageDigest(it.CaseID, it.Kind, it.At, *it.Message) == d {
			t.Errorf("change %d keeps the digest", i)
		}
	}
	const pinned = "6abc98e5a54b3ecec77f2abaeeb8c8405954e870486b433a33197c88fb76d037"
	if got := fmt.Sprintf("%x", d); got != pinned {
		t.Errorf("the canonical answer's message digest changed to %s", got)
	}
}

// TestFormDigest: a form's digest is its canonical encoding's: any change,
// the version's too, changes it.
func TestFormDigest(t *testing.T) {
	f := Form{ID: "renew-prescription", Version: 3, Title: Text{SV: "Förnya recept"},
		Fields: []FormField{{Name: "medicine", Label: Text{SV: "Läkemedel"}, Kind: FieldText, Required: true}}}
	d := f.Digest()
	if g := f; g.Digest() != d {
		t.Error("a copy has another digest")
	}
	for i, change := range []func(*Form){
		func(f *Form) { f.Version++ },
		func(f *Form) { f.Title.SV += "!" },
		func(f *Form) { f.Title.EN = "Renew" },
		func(f *Form) {
			f.Fields = []FormField{{Name: "medicine", Label: Text{SV: "Läkemedel"}, Kind: FieldText}}
		},
		func(f *Form) { f.AllowGuardian = true },
	} {
		g := f
		change(&g)
		if g.Digest() == d {
			t.Errorf("change %d keeps the digest", i)
		}
	}
}
