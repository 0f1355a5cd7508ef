package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenConfigs are the configurations whose files Write makes are kept
// in testdata: the goldens were written by the hand-kept template this
// package's schema replaced, so the files `clinicgw init` makes are as
// before, byte for byte.
func goldenConfigs() map[string]*Config {
	def := Default("SE2321000016-15ZM", "Vårdcentralen \"Exempel\"")
	full := Default("SE2321000016-15ZM", "Vårdcentralen Exempel")
	full.Store.KeyFile = ""
	full.Store.Token = TokenKEK{Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "gw", KeyLabel: "kek", PINFile: "token.pin"}
	full.Central = Central{URL: "https://central.example.se:8443", CAFile: "pki/root.pem", CertFile: "pki/unit.pem", KeyFile: "pki/unit.key", ServerName: "central.example.se", FormsFile: "forms.json", Retention: "48h"}
	full.Login = Login{Origin: "https://gw.example.se:8443", TrustAnchors: []string{"pki/root.pem", "pki/root2.pem"}, PersonCAs: []string{"pki/person-ca.pem"}, DirectoryFile: "hsa.json", SoftFail: true, OCSPURL: "http://ocsp.example.se", CRLURL: "http://crl.example.se/x.crl", LocalReader: "Reader 0", PKCS11Module: "/usr/lib/opensc-pkcs11.so", LocalTokenLabel: "tok"}
	full.UI = UI{Listen: ":8443", CertFile: "pki/ui.pem", KeyFile: "pki/ui.key", Bridge: "http://127.0.0.1:24728"}
	full.Notify = Notify{SMTPAddr: "smtp.example.se:587", SMTPSecurity: "starttls", SMTPUsername: "gw", SMTPPasswordFile: "smtp.pw", SMTPFrom: "clinicgw <noreply@vc.example.se>", SMTPCAFile: "smtp-ca.pem", SMSURL: "https://sms.example.se/send", SMSBody: "{\"to\":{{json .To}},\"text\":{{json .Text}}}", SMSTokenFile: "sms.token", Digest: "30m"}
	full.Archive = Archive{Dir: "arkiv", AgeDays: 120, At: "03:15"}
	full.Backup = Backup{Dir: "/mnt/backup", At: "00:45", Keep: 14, KeepDays: 30}
	full.Admin = Admin{Listen: ":9443", TLS: true, CertFile: "a.pem", KeyFile: "a.key", TokenFile: "admin.token", SyncLagLimit: "15m"}
	full.Log = Log{Format: "json", Level: "debug"}
	full.Runtime = Runtime{MemoryLimit: "96MiB"}
	return map[string]*Config{"default": def, "full": full}
}

func TestTemplateGolden(t *testing.T) {
	for name, c := range goldenConfigs() {
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := c.Template()
		golden := filepath.Join("testdata", "template-"+name+".golden")
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the template differs from %s:\n%s", name, golden, got)
		}
	}
}

// filled is a configuration with every key set to a value of its type
// that is not the default, different for every key.
func filled(t *testing.T) *Config {
	c := &Config{}
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			f := v.Field(i)
			n++
			switch f.Kind() {
			case reflect.Struct:
				fill(f)
			case reflect.String:
				f.SetString("v" + string(rune('a'+n%26)) + strings.Repeat("x", n))
			case reflect.Int:
				f.SetInt(int64(n))
			case reflect.Bool:
				f.SetBool(true)
			case reflect.Slice:
				f.Set(reflect.ValueOf([]string{"a", strings.Repeat("b", n)}))
			default:
				t.Fatalf("a %v in the configuration: teach filled and the schema about it", f.Type())
			}
		}
	}
	fill(reflect.ValueOf(c).Elem())
	return c
}

// TestSchemaAgrees: the structs, the key table (Keys: error messages,
// suggestions, the reload's keys) and the template agree. The structs are
// checked by the TOML decoder itself: the template of a configuration
// with every key set decodes, strictly, to the same configuration, and
// names every key and table of Keys and no other; every key's wrong type
// is explained with its words from the key table.
func TestSchemaAgrees(t *testing.T) {
	c := filled(t)
	text := c.Template()
	var back Config
	dec := toml.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("the template does not decode into the structs: %v\n%s", err, text)
	}
	if !reflect.DeepEqual(&back, c) {
		t.Errorf("the template loses keys: decoded\n%+v\nwant\n%+v", back, *c)
	}
	var inTemplate []string
	for k := range keyLines(text) {
		inTemplate = append(inTemplate, k)
	}
	var inTable []string
	for _, k := range Keys() {
		inTable = append(inTable, k.Name)
		if k.Want == "" {
			t.Errorf("%s: no words for what it expects", k.Name)
		}
	}
	slices.Sort(inTemplate)
	slices.Sort(inTable)
	if !slices.Equal(inTemplate, inTable) {
		t.Errorf("the template's keys\n%q\ndiffer from the key table's\n%q", inTemplate, inTable)
	}
	for _, k := range Keys() {
		if k.Table {
			continue
		}
		dot := strings.LastIndexByte(k.Name, '.')
		data := "[" + k.Name[:dot] + "]\n" + k.Name[dot+1:] + " = {}\n"
		_, err := Parse("c.toml", []byte(data))
		var ke *KeyError
		if !errors.As(err, &ke) || ke.Key != k.Name || ke.Line != 2 || !strings.Contains(ke.Err.Error(), "expected "+k.Want+", found ") {
			t.Errorf("%s = {}: %v, want a *KeyError at line 2 that expects %s", k.Name, err, k.Want)
		}
	}
}

// TestUnknownKeySuggests: a misspelt key of any table, [store.token]'s
// included, is named with the key meant.
func TestUnknownKeySuggests(t *testing.T) {
	for _, k := range Keys() {
		if k.Table || len(k.Name) < 8 {
			continue
		}
		dot := strings.LastIndexByte(k.Name, '.')
		leaf := k.Name[dot+1:]
		typo := leaf[:len(leaf)-1]
		_, err := Parse("c.toml", []byte("["+k.Name[:dot]+"]\n"+typo+" = 1\n"))
		var u *UnknownKey
		if !errors.As(err, &u) || !strings.Contains(err.Error(), `unknown key "`+k.Name[:dot+1]+typo+`"`) {
			t.Errorf("%s: %v, want unknown key", typo, err)
			continue
		}
		if got, _ := schemaKey(u.Suggest); got.Name == "" || editDistance(u.Suggest, k.Name) > 1 {
			t.Errorf("%s: suggests %q, want a key as near as %q", typo, u.Suggest, k.Name)
		}
	}
}
