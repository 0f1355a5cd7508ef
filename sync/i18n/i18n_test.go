package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// TestEveryKeyInBothLanguages: every key of the catalogue has a Swedish
// and an English text, and a key is in one table only.
func TestEveryKeyInBothLanguages(t *testing.T) {
	n := 0
	for _, tb := range tables {
		for k, v := range tb {
			n++
			if strings.TrimSpace(v[0]) == "" || strings.TrimSpace(v[1]) == "" {
				t.Errorf("%s lacks a Swedish or an English text: %q", k, v)
			}
		}
	}
	for _, tb := range countedTables {
		for k, v := range tb {
			n++
			if len(v.sv) == 0 || len(v.en) == 0 || v.args == "" {
				t.Errorf("%s lacks a Swedish or an English text, or its arguments", k)
			}
		}
	}
	if ks := Keys(); len(ks) != n || len(slices.Compact(slices.Clone(ks))) != n {
		t.Errorf("%d keys in the tables, Keys has %d: a key is in two tables", n, len(ks))
	}
	if n < 300 {
		t.Errorf("only %d keys", n)
	}
}

// TestPlainTextsKeepTheirVerbs: a plain text's Swedish and English take
// the same arguments (the same fmt verbs), and a text without verbs
// renders as written in both languages (a stray % would not).
func TestPlainTextsKeepTheirVerbs(t *testing.T) {
	for _, tb := range tables {
		for k, v := range tb {
			sv, en := verb.FindAllString(v[0], -1), verb.FindAllString(v[1], -1)
			slices.Sort(sv)
			slices.Sort(en)
			if !slices.Equal(sv, en) {
				t.Errorf("%s: Swedish takes %v, English %v", k, sv, en)
			}
			if len(sv) == 0 && strings.Contains(v[0]+v[1], "%") {
				t.Errorf("%s: a %% that is no verb: %q", k, v)
			}
			if len(sv) == 0 { // the printer agrees with T's short cut
				if got := printers["sv"].Sprintf(k); got != v[0] || T("sv", k) != v[0] {
					t.Errorf("%s in Swedish renders %q, want %q", k, got, v[0])
				}
				if got := printers["en"].Sprintf(k); got != v[1] || T("en", k) != v[1] {
					t.Errorf("%s in English renders %q, want %q", k, got, v[1])
				}
			}
		}
	}
}

// args are sample arguments for a counted text: n for every number.
func args(verbs string, n int) []any {
	var a []any
	for _, v := range verbs {
		if v == 'd' {
			a = append(a, n)
		} else {
			a = append(a, "Vårdcentralen Test")
		}
	}
	return a
}

// TestCountedTextsHavePluralForms: every counted text renders whole in
// both languages (no verb left, no missing or extra argument, no ${var}
// left), and its words for one differ from its words for three: it has
// plural forms, not only a number.
func TestCountedTextsHavePluralForms(t *testing.T) {
	for _, tb := range countedTables {
		for k, v := range tb {
			for _, lang := range []string{"sv", "en"} {
				one, three := T(lang, k, args(v.args, 1)...), T(lang, k, args(v.args, 3)...)
				for _, s := range []string{one, three} {
					if strings.Contains(s, "%!") || strings.Contains(s, "${") || verb.MatchString(s) || s == k {
						t.Errorf("%s in %s renders %q", k, lang, s)
					}
				}
				if strings.ReplaceAll(one, "1", "N") == strings.ReplaceAll(three, "3", "N") {
					t.Errorf("%s in %s: the same words for one and three: %q", k, lang, three)
				}
			}
		}
	}
}

// TestPlurals: the plural forms as people read them.
func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		lang, key string
		args      []any
		want      string
	}{
		{"sv", "moveAll.done", []any{1}, "1 ärende flyttades."},
		{"sv", "moveAll.done", []any{3}, "3 ärenden flyttades."},
		{"sv", "moveAll.done", []any{0}, "0 ärenden flyttades."},
		{"en", "moveAll.done", []any{1}, "1 case moved."},
		{"en", "moveAll.done", []any{3}, "3 cases moved."},
		{"sv", "moveAll.partial", []any{1, 2}, "1 ärende flyttades, 2 kunde inte flyttas (de har ändrats under tiden)."},
		{"sv", "moveAll.partial", []any{4, 1}, "4 ärenden flyttades, 1 kunde inte flyttas (det har ändrats under tiden)."},
		{"en", "moveAll.partial", []any{4, 1}, "4 cases moved, 1 could not be moved (it changed meanwhile)."},
		{"sv", "unit.archiveDone", []any{1, 1}, "1 ärende i 1 paket arkiverat"},
		{"sv", "unit.archiveDone", []any{12, 2}, "12 ärenden i 2 paket arkiverade"},
		{"en", "unit.archiveDone", []any{1, 1}, "1 case archived in 1 package"},
		{"en", "unit.archiveDone", []any{12, 2}, "12 cases archived in 2 packages"},
		{"sv", "audit.chainOK", []any{1}, "Loggkedjan är hel: 1 post; det som loggats sedan förra kontrollen är kontrollerat nu."},
		{"en", "audit.chainOK", []any{7}, "The log chain is intact: 7 records; what was logged since the last check was checked now."},
		{"sv", "audit.fullOK", []any{"7 dec 03:30", 1234}, "Hela loggen kontrollerades senast 7 dec 03:30: 1\u00a0234 poster, hel."},
		{"en", "audit.fullOK", []any{"7 Dec 03:30", 1}, "The whole log was last checked 7 Dec 03:30: 1 record, intact."},
		{"sv", "inbox.more", []any{200}, "Visar de första 200 ärendena. Gör urvalet snävare för att se fler."},
		{"sv", "quarantine.cases", []any{1}, "1 ärende kunde inte tas emot — kontakta regionens IT. Det finns kvar, krypterat, och kommer in när felet är åtgärdat."},
		{"en", "quarantine.cases", []any{2}, "2 cases could not be received — contact region IT. They are kept, encrypted, and come in once the fault is fixed."},
		{"sv", "mail.new-cases.body", []any{1, "VC"}, "Ett nytt ärende har kommit till VC i e-tjänsten.\nLogga in med ditt SITHS-kort för att läsa det.\n\n" + noticeFootSV},
		{"en", "mail.overdue.body", []any{2, "VC"}, "2 cases in the e-service of VC have passed their due time.\nLog in with your SITHS card and see the list Overdue.\n\n" + noticeFootEN},
		{"sv", "mail.assigned.subject", []any{1, "VC"}, "Du har fått ett ärende – VC"},
		// Numbers are grouped as each language writes them.
		{"sv", "moveAll.done", []any{1234}, "1\u00a0234 ärenden flyttades."},
		{"en", "moveAll.done", []any{1234}, "1,234 cases moved."},
		// A year passed as a string is not.
		{"sv", "report.weekLabel", []any{"49", "2026"}, "v. 49, 2026"},
		{"sv", "code.unknown", []any{"pizza"}, "okänd kod ”pizza”"},
		{"en", "code.unknown", []any{"pizza"}, "unknown code “pizza”"},
		{"xx", "nav.inbox", nil, "Inkorg"},             // Swedish unless English
		{"en", "no.such.key", []any{3}, "no.such.key"}, // shown as itself, for a test to find
	} {
		if got := T(c.lang, c.key, c.args...); got != c.want {
			t.Errorf("T(%s, %s, %v) = %q, want %q", c.lang, c.key, c.args, got, c.want)
		}
	}
}

// TestName: a code's name by kind, and a code without one marked.
func TestName(t *testing.T) {
	for _, c := range []struct{ lang, kind, code, want string }{
		{"sv", "status", "received", "Ny"},
		{"en", "patientStatus", "received", "Received"},
		{"sv", "type", "renew-prescription", "Förnya recept"},
		{"en", "patientMessage", "case.initiated", "Message"},
		{"sv", "action", "teleport", "okänd kod ”teleport”"},
		{"en", "status", "", "unknown code “”"},
		{"sv", "nav", "inbox", "Inkorg"}, // any kind of key: callers name their kind
	} {
		if got := Name(c.lang, c.kind, c.code); got != c.want {
			t.Errorf("Name(%s, %s, %s) = %q, want %q", c.lang, c.kind, c.code, got, c.want)
		}
	}
}

// BenchmarkT: a plain text, as most of a page's texts are, and a counted
// one.
func BenchmarkT(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			T("sv", "nav.inbox")
		}
	})
	b.Run("counted", func(b *testing.B) {
		for b.Loop() {
			T("sv", "moveAll.partial", 3, 1)
		}
	})
}
