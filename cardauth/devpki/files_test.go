package devpki

import (
	"crypto/x509"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"clinicgw/sync/tlsconf"
)

var keyNames = []string{"root.key", "function-ca.key", "person-ca.key"}

// checkModes fails the test if a key file in dir is readable by anyone
// but its owner, or (ownDir) dir is open to others.
func checkModes(t *testing.T, dir string, ownDir bool, keys ...string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Log("file modes are not checked on Windows")
		return
	}
	for _, name := range keys {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != keyMode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), keyMode)
		}
	}
	if !ownDir {
		return
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("%s: mode %v, want no access for others", dir, fi.Mode().Perm())
	}
}

func TestWriteDirLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	p := newPKI(t)
	if err := p.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	checkModes(t, dir, true, keyNames...)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "function-ca.key function-ca.pem person-ca.key person-ca.pem root.key root.pem"; strings.Join(names, " ") != want {
		t.Errorf("files %v, want %s", names, want)
	}

	later := now.AddDate(1, 0, 0)
	q, err := Load(dir, nil, later)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Root().Equal(p.Root()) || !q.FunctionCA().Equal(p.FunctionCA()) || !q.PersonCA().Equal(p.PersonCA()) {
		t.Fatal("the loaded CAs differ from the written ones")
	}
	// The loaded hierarchy issues, from its own time, what the original trusts.
	u, err := q.Unit(unit, "Test")
	if err != nil {
		t.Fatal(err)
	}
	card, _, err := q.Person(clinician, "Anna", "Läkare", KeyRSA2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify(u.Leaf, p.RootPool(), p.FunctionCA(), x509.ExtKeyUsageClientAuth, later); err != nil {
		t.Errorf("unit from the loaded PKI: %v", err)
	}
	if err := verify(card, p.RootPool(), p.PersonCA(), x509.ExtKeyUsageClientAuth, later); err != nil {
		t.Errorf("card from the loaded PKI: %v", err)
	}
	if u.Leaf.NotBefore.Before(later.Add(-backdate)) {
		t.Errorf("issued from %v, want from the loaded time %v", u.Leaf.NotBefore, later)
	}

	// Writing again replaces the files; a key file that was left readable
	// by others comes back 0600.
	if runtime.GOOS != "windows" {
		if err := os.Chmod(filepath.Join(dir, "root.key"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := newPKI(t)
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	checkModes(t, dir, true, keyNames...)
	if s, err := Load(dir, nil, now); err != nil || !s.Root().Equal(r.Root()) {
		t.Errorf("after rewriting: %v", err)
	}
	if after, _ := os.ReadDir(dir); len(after) != len(entries) {
		t.Errorf("%d files after rewriting, want %d (temporary files left?)", len(after), len(entries))
	}
}

func TestWriteTLS(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t)
	u, err := p.Unit(unit, "Test")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteTLS(dir, "unit-"+unit, u); err != nil {
		t.Fatal(err)
	}
	checkModes(t, dir, false, "unit-"+unit+".key")
	pair, err := tlsconf.LoadKeyPair(filepath.Join(dir, "unit-"+unit+".pem"), filepath.Join(dir, "unit-"+unit+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 2 || !pair.Leaf.Equal(u.Leaf) {
		t.Error("the written certificate and chain differ")
	}
	if id, err := tlsconf.HSAID(pair.Leaf); id != unit || err != nil {
		t.Errorf("HSAID of the written certificate = %q, %v", id, err)
	}
	u.PrivateKey = nil
	if err := WriteTLS(dir, "nokey", u); err == nil {
		t.Error("wrote a certificate without a key")
	}
}

func TestLoadRefuses(t *testing.T) {
	p, other := newPKI(t), newPKI(t)
	fresh := func(t *testing.T) string {
		dir := t.TempDir()
		if err := p.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	copyFrom := func(t *testing.T, from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		name   string
		change func(t *testing.T, dir string)
		is     error
		says   []string
	}{
		{name: "missing folder", change: func(t *testing.T, dir string) { os.RemoveAll(dir) },
			is: fs.ErrNotExist},
		{name: "missing key", change: func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "person-ca.key")) },
			is: fs.ErrNotExist, says: []string{"person-ca.key"}},
		{name: "damaged certificate", change: func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, "root.pem"), []byte("garbage"), 0o644) },
			says: []string{"root.pem", "no PEM CERTIFICATE"}},
		{name: "keys swapped", change: func(t *testing.T, dir string) {
			copyFrom(t, filepath.Join(dir, "function-ca.key"), filepath.Join(dir, "person-ca.key"))
		}, says: []string{"person-ca.key is not the key of", "person-ca.pem"}},
		{name: "an issuing CA of another hierarchy", change: func(t *testing.T, dir string) {
			odir := t.TempDir()
			if err := other.WriteDir(odir); err != nil {
				t.Fatal(err)
			}
			copyFrom(t, filepath.Join(odir, "function-ca.pem"), filepath.Join(dir, "function-ca.pem"))
			copyFrom(t, filepath.Join(odir, "function-ca.key"), filepath.Join(dir, "function-ca.key"))
		}, says: []string{"function-ca.pem is not issued by", "root.pem"}},
		{name: "a leaf as a CA", change: func(t *testing.T, dir string) {
			u, err := p.Unit(unit, "Test")
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteTLS(dir, "person-ca", u); err != nil {
				t.Fatal(err)
			}
		}, says: []string{"person-ca.pem is not a CA certificate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := fresh(t)
			tt.change(t, dir)
			_, err := Load(dir, nil, now)
			if err == nil {
				t.Fatal("loaded")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("%v is not %v", err, tt.is)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
	t.Run("expired hierarchy", func(t *testing.T) {
		dir := fresh(t)
		_, err := Load(dir, nil, now.AddDate(caYears, 0, 1))
		if err == nil || !strings.Contains(err.Error(), "root.pem is valid from") || !strings.Contains(err.Error(), "remove "+dir) {
			t.Errorf("expired: %v", err)
		}
	})
}

// TestNoWallClock: the package takes the time as a parameter; it never
// reads the clock.
func TestNoWallClock(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []string{"time.Now(", "time.Since(", "time.Until("} {
			if strings.Contains(string(src), call) {
				t.Errorf("%s calls %s): take the time as a parameter", f, call)
			}
		}
	}
}
