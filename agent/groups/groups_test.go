package groups_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"clinicgw/agent/groups"
	"clinicgw/agent/store"
)

const (
	unit  = "SE2321000016-TEST"
	anna  = "SE2321000016-C001"
	bo    = "SE2321000016-C002"
	cecil = "SE2321000016-C003"
)

// dbSettings is the store's settings area as groups.Settings.
type dbSettings struct{ db *store.DB }

func (s dbSettings) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.db.Setting(ctx, key)
	if errors.Is(err, store.ErrNoSetting) {
		return nil, nil
	}
	return b, err
}

func (s dbSettings) Put(ctx context.Context, key string, v []byte) error {
	return s.db.PutSetting(ctx, key, v)
}

func openStore(t *testing.T) (*store.DB, string) {
	t.Helper()
	dir := t.TempDir()
	kf := filepath.Join(dir, "kek")
	if err := store.GenerateKeyFile(kf, rand.Reader, false); err != nil {
		t.Fatal(err)
	}
	kek, err := store.LoadKeyFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	db, err := store.Open(context.Background(), path, kek, store.Options{Unit: unit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// commissions is the directory's commission check, changeable.
type commissions struct {
	mu  sync.Mutex
	off map[string]bool
}

func (c *commissions) check(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.off[id]
}

func TestCheck(t *testing.T) {
	ok := groups.Group{ID: "lakare", Name: "Läkare", Members: []string{bo, anna, bo}}
	tests := []struct {
		name  string
		gs    []groups.Group
		index int
		field string
		key   string
	}{
		{"fine", []groups.Group{ok, {ID: "sjukskoterskor", Name: " Sjuksköterskor "}}, 0, "", ""},
		{"an id with upper case", []groups.Group{{ID: "Lakare", Name: "Läkare"}}, 0, "id", "groups.err.badID"},
		{"an id with å", []groups.Group{{ID: "läkare", Name: "Läkare"}}, 0, "id", "groups.err.badID"},
		{"an empty id", []groups.Group{{Name: "Läkare"}}, 0, "id", "groups.err.badID"},
		{"an id twice", []groups.Group{ok, {ID: "lakare", Name: "Doktorer"}}, 1, "id", "groups.err.idTaken"},
		{"no name", []groups.Group{{ID: "x", Name: "  "}}, 0, "name", "groups.err.noName"},
		{"a name twice", []groups.Group{ok, {ID: "doktorer", Name: "läkare"}}, 1, "name", "groups.err.nameTaken"},
		{"a long name", []groups.Group{{ID: "x", Name: strings.Repeat("å", 61)}}, 0, "name", "groups.err.longName"},
		{"a name of two lines", []groups.Group{{ID: "x", Name: "Läk\nare"}}, 0, "name", "groups.err.longName"},
		{"a name with an HSA-ID", []groups.Group{{ID: "x", Name: "Grupp " + anna}}, 0, "name", "groups.err.longName"},
		{"a member not an HSA-ID", []groups.Group{{ID: "x", Name: "X", Members: []string{"Anna"}}}, 0, "members", "groups.err.badMember"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := groups.Check(tc.gs)
			if tc.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got[0].Name != "Läkare" || !slices.Equal(got[0].Members, []string{anna, bo}) || got[1].Name != "Sjuksköterskor" {
					t.Errorf("checked %+v", got)
				}
				return
			}
			var ge *groups.Error
			if !errors.As(err, &ge) || ge.Index != tc.index || ge.Field != tc.field || ge.Key != tc.key {
				t.Fatalf("Check = %v (%+v), want group %d %s %s", err, ge, tc.index, tc.field, tc.key)
			}
		})
	}
	many := make([]groups.Group, groups.MaxGroups+1)
	if _, err := groups.Check(many); err == nil {
		t.Error("too many groups accepted")
	}
}

func TestNewID(t *testing.T) {
	taken := func(id string) bool { return id == "lakare" }
	for name, want := range map[string]string{
		"Sjuksköterskor":           "sjukskoterskor",
		"Läkare":                   "lakare-2",
		"  Fysio & Arbetsterapi ":  "fysio-arbetsterapi",
		"1177-gruppen":             "grupp-1177-gruppen",
		"!!!":                      "grupp",
		strings.Repeat("Ö", 80):    strings.Repeat("o", 36),
		"Psykologer (BUP), Nord 2": "psykologer-bup-nord-2",
	} {
		got := groups.NewID(name, taken)
		if got != want {
			t.Errorf("NewID(%q) = %q, want %q", name, got, want)
		}
		if _, err := groups.Check([]groups.Group{{ID: got, Name: "x"}}); err != nil {
			t.Errorf("NewID(%q) = %q, which Check refuses: %v", name, got, err)
		}
	}
}

// TestSetOnTheEncryptedStore: groups saved are sealed in the real store,
// read again at the next Open, and a member counts only while the
// directory gives them a commission.
func TestSetOnTheEncryptedStore(t *testing.T) {
	ctx := t.Context()
	db, path := openStore(t)
	com := &commissions{off: map[string]bool{}}
	cfg := groups.Config{Settings: dbSettings{db}, Commissioned: com.check, Logger: slog.New(slog.DiscardHandler)}
	s, err := groups.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.List()) != 0 || s.GroupsOf(anna) != nil || s.GroupExists("lakare") {
		t.Fatal("a new store has groups")
	}
	want := []groups.Group{
		{ID: "lakare", Name: "Läkare", Members: []string{bo}},
		{ID: "arbetsterapeuter", Name: "Arbetsterapeuter", Members: []string{anna, cecil}},
		{ID: "sjukskoterskor", Name: "Sjuksköterskor", Members: []string{anna}},
	}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	// A refused save changes nothing.
	var ge *groups.Error
	if err := s.Save(ctx, []groups.Group{{ID: "x", Name: ""}}); !errors.As(err, &ge) {
		t.Fatalf("Save of a nameless group = %v", err)
	}
	s2, err := groups.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, set := range []*groups.Set{s, s2} {
		got := set.List()
		if len(got) != 3 || got[0].ID != "arbetsterapeuter" || got[2].ID != "sjukskoterskor" {
			t.Errorf("groups %+v", got)
		}
		if g := set.GroupsOf(anna); !slices.Equal(g, []string{"arbetsterapeuter", "sjukskoterskor"}) {
			t.Errorf("anna is in %v", g)
		}
		if !set.GroupExists("lakare") || set.GroupExists("psykologer") || set.Name("lakare") != "Läkare" {
			t.Error("GroupExists or Name wrong")
		}
	}
	// The commission ends: anna counts in no group, though still listed.
	com.mu.Lock()
	com.off[anna] = true
	com.mu.Unlock()
	if g := s.GroupsOf(anna); g != nil {
		t.Errorf("anna without a commission is in %v", g)
	}
	if g := s.GroupsOf(cecil); !slices.Equal(g, []string{"arbetsterapeuter"}) {
		t.Errorf("cecil is in %v", g)
	}
	// Sealed: the group names are not in the file in clear.
	db.Close()
	raw := readFile(t, path)
	for _, canary := range []string{"Arbetsterapeuter", "Sjuksk", anna} {
		if bytes.Contains(raw, []byte(canary)) {
			t.Errorf("the store file holds %q in clear", canary)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
