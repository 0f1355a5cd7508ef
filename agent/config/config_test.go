package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validConfig = `# clinicgw configuration
[unit]
hsa_id = "SE2321000016-15ZM"   # the care unit's HSA-ID
name = "Vårdcentralen Exempel"
[store]
path = "store.db"
key_file = "kek.key"
`

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const centralTable = `
[central]
url = "https://central.example.se:8443"
ca_file = "pki/root.pem"
cert_file = "pki/unit.pem"
key_file = "pki/unit.key"
forms_file = "forms.json"
`

func TestConfigLoad(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr []string // substrings the error must hold; nil: no error
		check   func(t *testing.T, c *Config)
	}{
		{
			name:    "valid",
			content: validConfig,
			check: func(t *testing.T, c *Config) {
				if c.Unit.HSAID != "SE2321000016-15ZM" || c.Unit.Name != "Vårdcentralen Exempel" {
					t.Errorf("unit = %+v", c.Unit)
				}
				if c.Store.Path != "store.db" || c.Store.KeyFile != "kek.key" {
					t.Errorf("store = %+v", c.Store)
				}
			},
		},
		{
			name:    "defaults for the store",
			content: "[unit]\nhsa_id = \"SE162321000255-O10951\"\nname = \"Test\"\n",
			check: func(t *testing.T, c *Config) {
				if c.Store.Path != DefaultStorePath || c.Store.KeyFile != DefaultKeyFile {
					t.Errorf("store = %+v, want defaults", c.Store)
				}
			},
		},
		{
			name:    "unknown key",
			content: strings.Replace(validConfig, "key_file =", "keyfile =", 1),
			wantErr: []string{"clinicgw.toml:7:", `unknown key "store.keyfile"`, `did you mean "store.key_file"`},
		},
		{
			name:    "archive time not a time of day",
			content: validConfig + centralTable + "[archive]\ndir = \"arkiv\"\nat = \"25:00\"\n",
			wantErr: []string{"clinicgw.toml", "archive.at", `"25:00"`, "HH:MM"},
		},
		{
			name:    "backup",
			content: validConfig + "[backup]\ndir = \"/mnt/backup/vc\"\nat = \"00:45\"\nkeep = 14\nkeep_days = 30\n",
			check: func(t *testing.T, c *Config) {
				if c.Backup != (Backup{Dir: "/mnt/backup/vc", At: "00:45", Keep: 14, KeepDays: 30}) || !c.Backup.Enabled() {
					t.Errorf("backup = %+v", c.Backup)
				}
			},
		},
		{
			name:    "backup values out of range",
			content: validConfig + "[backup]\ndir = \"b\"\nat = \"1:3\"\nkeep = -1\nkeep_days = 4000\n",
			wantErr: []string{"clinicgw.toml:10: backup.at", `"1:3"`, "HH:MM", "clinicgw.toml:11: backup.keep: -1", "clinicgw.toml:12: backup.keep_days: 4000"},
		},
		{
			name:    "backup keep not a number",
			content: validConfig + "[backup]\ndir = \"b\"\nkeep = \"7\"\n",
			wantErr: []string{"backup.keep", "expected a whole number of backups"},
		},
		{
			name:    "unknown table",
			content: validConfig + "[uplink]\nurl = \"x\"\n",
			wantErr: []string{"clinicgw.toml:8:", `unknown key "uplink"`},
		},
		{
			name:    "wrong type",
			content: strings.Replace(validConfig, `name = "Vårdcentralen Exempel"`, "name = 42", 1),
			wantErr: []string{"clinicgw.toml:4:", "unit.name", "expected a quoted string", "found an integer"},
		},
		{
			name:    "not TOML",
			content: "[unit\n",
			wantErr: []string{"clinicgw.toml:1:"},
		},
		{
			name:    "missing hsa_id",
			content: strings.Replace(validConfig, `hsa_id = "SE2321000016-15ZM"`, "", 1),
			wantErr: []string{"clinicgw.toml:2: unit.hsa_id: missing"}, // the line of [unit]
		},
		{
			name:    "bad hsa_id",
			content: strings.Replace(validConfig, "SE2321000016-15ZM", "SE232100-0016-15ZM", 1),
			wantErr: []string{"clinicgw.toml:3: unit.hsa_id", `"SE232100-0016-15ZM" is not an HSA-ID`},
		},
		{
			name:    "hsa_id with å",
			content: strings.Replace(validConfig, "SE2321000016-15ZM", "SE2321000016-Å1", 1),
			wantErr: []string{"unit.hsa_id", "is not an HSA-ID"},
		},
		{
			name:    "hsa_id too long",
			content: strings.Replace(validConfig, "SE2321000016-15ZM", "SE2321000016-"+strings.Repeat("A", 19), 1),
			wantErr: []string{"unit.hsa_id", "at most 31"},
		},
		{
			name:    "missing name and two problems at once",
			content: strings.Replace(strings.Replace(validConfig, `name = "Vårdcentralen Exempel"`, `name = " "`, 1), `path = "store.db"`, `path = "kek.key"`, 1),
			wantErr: []string{"clinicgw.toml:4: unit.name: missing", "clinicgw.toml:7: store.key_file: is the same file as store.path"},
		},
		{
			name:    "central store",
			content: validConfig + centralTable,
			check: func(t *testing.T, c *Config) {
				want := Central{URL: "https://central.example.se:8443", CAFile: "pki/root.pem",
					CertFile: "pki/unit.pem", KeyFile: "pki/unit.key", FormsFile: "forms.json"}
				if c.Central != want || !c.Central.Online() {
					t.Errorf("central = %+v", c.Central)
				}
				if got := c.CentralFile(c.Central.CAFile); got != filepath.Join(filepath.Dir(c.Path()), "pki", "root.pem") {
					t.Errorf("ca_file resolves to %s", got)
				}
			},
		},
		{
			name:    "offline without a central table",
			content: validConfig,
			check: func(t *testing.T, c *Config) {
				if c.Central.Online() {
					t.Errorf("central = %+v, want offline", c.Central)
				}
			},
		},
		{
			name:    "central over plain http",
			content: validConfig + strings.Replace(centralTable, "https://", "http://", 1),
			wantErr: []string{"central.url", "expected https"},
		},
		{
			name:    "central url with a query",
			content: validConfig + strings.Replace(centralTable, ":8443", ":8443/?pnr=1", 1),
			wantErr: []string{"central.url", "is not a URL like"},
		},
		{
			name:    "central without certificates",
			content: validConfig + "[central]\nurl = \"https://central.example.se\"\n",
			wantErr: []string{"central.ca_file: missing", "central.cert_file: missing", "central.key_file: missing"},
		},
		{
			name:    "central server name with a port",
			content: validConfig + centralTable + "server_name = \"central:8443\"\n",
			wantErr: []string{"central.server_name", "is not a host name"},
		},
		{
			name:    "key on a token and a key file",
			content: validConfig + "[store.token]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\ntoken_label = \"gw\"\nkey_label = \"kek\"\npin_file = \"token.pin\"\n",
			wantErr: []string{"store.key_file", "set it to \"\" when store.token holds"},
		},
		{
			name:    "token without a module",
			content: strings.Replace(validConfig, `key_file = "kek.key"`, `key_file = ""`, 1) + "[store.token]\ntoken_label = \"gw\"\n",
			wantErr: []string{"store.token.module: missing", "store.key_file: missing"},
		},
		{
			name:    "token without labels and PIN file",
			content: strings.Replace(validConfig, `key_file = "kek.key"`, `key_file = ""`, 1) + "[store.token]\nmodule = \"/usr/lib/softhsm/libsofthsm2.so\"\n",
			wantErr: []string{"store.token.token_label: missing", "store.token.key_label: missing", "store.token.pin_file: missing"},
		},
		{
			name:    "login incomplete",
			content: validConfig + "[login]\norigin = \"http://gw:8443/ui\"\n",
			wantErr: []string{"login.origin", "expected https://host[:port]", "login.trust_anchors: missing", "login.person_cas: missing", "login.directory_file: missing"},
		},
		{
			name:    "empty store path",
			content: strings.Replace(validConfig, `path = "store.db"`, `path = ""`, 1),
			wantErr: []string{"store.path: missing"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "clinicgw.toml", tt.content)
			c, err := Load(p)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("LoadConfig: %v", err)
				}
				if tt.check != nil {
					tt.check(t, c)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadConfig succeeded, want error with %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}

func TestConfigMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.toml"))
	if err == nil || !strings.Contains(err.Error(), "nope.toml") || !strings.Contains(err.Error(), "clinicgw init") {
		t.Fatalf("err = %v, want one naming the file and clinicgw init", err)
	}
}

func TestConfigPathResolution(t *testing.T) {
	dir := t.TempDir()
	abs := filepath.Join(t.TempDir(), "elsewhere", "kek.key")
	tests := []struct {
		name              string
		path, keyFile     string
		wantPath, wantKey string
	}{
		{"relative", "store.db", "kek.key", filepath.Join(dir, "store.db"), filepath.Join(dir, "kek.key")},
		{"relative subfolder", "data/store.db", "../keys/kek.key", filepath.Join(dir, "data", "store.db"), filepath.Join(filepath.Dir(dir), "keys", "kek.key")},
		{"absolute", "store.db", abs, filepath.Join(dir, "store.db"), abs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default("SE2321000016-15ZM", "Test")
			c.Store.Path, c.Store.KeyFile = tt.path, tt.keyFile
			p := filepath.Join(dir, FileName)
			if err := c.Write(p); err != nil {
				t.Fatal(err)
			}
			// Load through a relative path from another working directory:
			// resolution follows the file, not the working directory.
			t.Chdir(filepath.Dir(dir))
			got, err := Load(filepath.Join(filepath.Base(dir), FileName))
			if err != nil {
				t.Fatal(err)
			}
			if got.StorePath() != tt.wantPath {
				t.Errorf("StorePath = %q, want %q", got.StorePath(), tt.wantPath)
			}
			if got.KeyFilePath() != tt.wantKey {
				t.Errorf("KeyFilePath = %q, want %q", got.KeyFilePath(), tt.wantKey)
			}
			if got.Store.Path != tt.path || got.Store.KeyFile != tt.keyFile {
				t.Errorf("raw store = %+v, want as written", got.Store)
			}
		})
	}
}

func TestConfigWriteRoundTrip(t *testing.T) {
	names := []string{
		"Vårdcentralen Exempel",
		`Mottagningen "Ö" \ Norr`,
		"Barn- & ungdomsmedicin",
	}
	for _, name := range names {
		dir := t.TempDir()
		p := filepath.Join(dir, FileName)
		c := Default("SE2321000016-15ZM", name)
		c.Central = Central{URL: "https://central.example.se:8443/v1-prefix", CAFile: "pki/root.pem",
			CertFile: "pki/unit.pem", KeyFile: "pki/unit.key", ServerName: "central.example.se", FormsFile: "forms.json"}
		if err := c.Write(p); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o640 {
			t.Errorf("mode = %v, want 0640", perm)
		}
		data, _ := os.ReadFile(p)
		if !strings.HasPrefix(string(data), "# clinicgw configuration") {
			t.Errorf("written file does not start with its comment:\n%s", data)
		}
		got, err := Load(p)
		if err != nil {
			t.Fatalf("LoadConfig after Write: %v\n%s", err, data)
		}
		if got.Unit != c.Unit || got.Store != c.Store || got.Central != c.Central {
			t.Errorf("round trip: got %+v %+v, want %+v %+v", got.Unit, got.Store, c.Unit, c.Store)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("folder holds %d entries after Write, want only the config (no temp file left)", len(entries))
		}
	}
}

func TestConfigWriteRefusesInvalid(t *testing.T) {
	p := filepath.Join(t.TempDir(), FileName)
	if err := Default("not-an-id", "Test").Write(p); err == nil {
		t.Fatal("Write of an invalid config succeeded")
	}
	if _, err := os.Stat(p); err == nil {
		t.Fatal("Write of an invalid config left a file")
	}
}

// TestKeyLines: the lines Locate names for the shapes a configuration
// file takes: tables, sub-tables, quoted and dotted keys, comments.
func TestKeyLines(t *testing.T) {
	text := "# comment\n[unit]\nhsa_id = \"x\" # after\n\n[store]\n  \"path\" = \"a\"\n[store.token]\nmodule=\"m\"\n[ login ]\nui.listen = 1\n"
	got := keyLines([]byte(text))
	want := map[string]int{"unit": 2, "unit.hsa_id": 3, "store": 5, "store.path": 6, "store.token": 7, "store.token.module": 8,
		"login": 9, "login.ui.listen": 10}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("%s: line %d, want %d", k, got[k], line)
		}
	}
	err := Locate("c.toml", []byte(text), errors.Join(Errorf("store.token.pin_file", "missing"), Errorf("other", "x"), errors.New("no key here")))
	for _, w := range []string{"config c.toml:7: store.token.pin_file: missing", "config c.toml: other: x", "config c.toml: no key here"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	var ke *KeyError
	if !errors.As(err, &ke) || ke.File != "c.toml" || ke.Line != 7 || ke.Key != "store.token.pin_file" || ke.Err.Error() != "missing" {
		t.Errorf("first problem = %#v, want a *KeyError at c.toml:7, store.token.pin_file", ke)
	}
}
