package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"clinicgw/agent/cases"
)

func mustPutSetting(t *testing.T, db *DB, key, value string) {
	t.Helper()
	if err := db.PutSetting(t.Context(), key, []byte(value)); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func wantSetting(t *testing.T, db *DB, key, want string) {
	t.Helper()
	got, err := db.Setting(t.Context(), key)
	if err != nil || string(got) != want {
		t.Errorf("setting %s: %q, %v; want %q", key, got, err, want)
	}
}

// rawSettings returns the settings bucket's raw keys and values, read with
// bbolt directly while db is open.
func rawSettings(t *testing.T, db *DB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := db.bolt.View(func(btx *bolt.Tx) error {
		return btx.Bucket([]byte(bucketSettings)).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSettingRoundTrip(t *testing.T) {
	db, _ := testStore(t)
	ctx := t.Context()
	const key = "staff/SE2321000016-1003/prefs"
	if _, err := db.Setting(ctx, key); !errors.Is(err, ErrNoSetting) {
		t.Fatalf("a setting never written: %v, want ErrNoSetting", err)
	}
	mustPutSetting(t, db, key, `{"signature":"Lars Läkarsson\nlars@example.se\n070-000 00 00"}`)
	wantSetting(t, db, key, `{"signature":"Lars Läkarsson\nlars@example.se\n070-000 00 00"}`)
	mustPutSetting(t, db, key, "replaced")
	wantSetting(t, db, key, "replaced")

	// An empty value is a value: set, not absent.
	mustPutSetting(t, db, "unit/contact-text", "")
	if got, err := db.Setting(ctx, "unit/contact-text"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty value: %q (nil %t), %v", got, got == nil, err)
	}

	// The value returned is the caller's: changing it changes nothing stored.
	got, _ := db.Setting(ctx, key)
	got[0] = 'X'
	wantSetting(t, db, key, "replaced")

	if err := db.DeleteSetting(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting(ctx, key); !errors.Is(err, ErrNoSetting) {
		t.Errorf("after delete: %v, want ErrNoSetting", err)
	}
	if err := db.DeleteSetting(ctx, key); err != nil {
		t.Errorf("deleting a key not set: %v", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSettingKeys(t *testing.T) {
	db, _ := testStore(t)
	ctx := t.Context()
	all := []string{
		"unit/standard-answers", "staff/SE2321000016-1003/prefs", "unit/contact-text",
		"staff/SE2321000016-1001/prefs", "staff/SE2321000016-1003/draft/renew", "unit/notice-email",
	}
	for _, k := range all {
		mustPutSetting(t, db, k, "v")
	}
	slices.Sort(all)
	for _, tt := range []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"staff/", []string{"staff/SE2321000016-1001/prefs", "staff/SE2321000016-1003/draft/renew", "staff/SE2321000016-1003/prefs"}},
		{"staff/SE2321000016-1003/", []string{"staff/SE2321000016-1003/draft/renew", "staff/SE2321000016-1003/prefs"}},
		{"unit/", []string{"unit/contact-text", "unit/notice-email", "unit/standard-answers"}},
		{"unit/standard-answers", []string{"unit/standard-answers"}},
		{"unit/standard-answers/", nil},
		{"none/", nil},
	} {
		got, err := db.SettingKeys(ctx, tt.prefix)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("SettingKeys(%q) = %q, %v; want %q", tt.prefix, got, err, tt.want)
		}
	}
	for _, bad := range []string{"has space", "å/", strings.Repeat("p", maxSettingKey+1)} {
		if _, err := db.SettingKeys(ctx, bad); !errors.Is(err, ErrInvalidSetting) {
			t.Errorf("SettingKeys(%.20q): %v, want ErrInvalidSetting", bad, err)
		}
	}
}

// TestSettingBadInputRefused (FT4): a bad key or an oversize value gets a
// clear error, wrapping ErrInvalidSetting, and nothing is written.
func TestSettingBadInputRefused(t *testing.T) {
	db, _ := testStore(t)
	ctx := t.Context()
	mustPutSetting(t, db, "unit/standard-answers", "before")
	before := rawSettings(t, db)

	// The limits themselves are allowed.
	edgeKey := strings.Repeat("k", maxSettingKey)
	if err := db.PutSetting(ctx, edgeKey, make([]byte, maxSettingValue)); err != nil {
		t.Fatalf("a %d-byte key with a 1 MiB value: %v", maxSettingKey, err)
	}
	if err := db.DeleteSetting(ctx, edgeKey); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, key string
		size      int
		says      string
	}{
		{"empty key", "", 1, "1 to 200 bytes"},
		{"long key", strings.Repeat("k", maxSettingKey+1), 1, "1 to 200 bytes"},
		{"space", "staff/19121212-1212 Tolvan", 1, "printable ASCII without spaces"},
		{"tab", "unit/\tx", 1, "printable ASCII without spaces"},
		{"newline", "unit/x\nforged log line", 1, "printable ASCII without spaces"},
		{"non-ASCII", "unit/svar-å", 1, "printable ASCII without spaces"},
		{"DEL", "unit/x\x7f", 1, "printable ASCII without spaces"},
		{"NUL", "unit/x\x00", 1, "printable ASCII without spaces"},
		{"oversize value", "unit/standard-answers", maxSettingValue + 1, "at most 1048576 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := db.PutSetting(ctx, tt.key, bytes.Repeat([]byte("x"), tt.size))
			if !errors.Is(err, ErrInvalidSetting) || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("got %v; want ErrInvalidSetting saying %q", err, tt.says)
			}
			if tt.size == 1 && tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("the error repeats the bad key: %v", err)
			}
			if tt.size > 1 {
				return
			}
			if _, err := db.Setting(ctx, tt.key); !errors.Is(err, ErrInvalidSetting) {
				t.Errorf("Setting: %v, want ErrInvalidSetting", err)
			}
			if err := db.DeleteSetting(ctx, tt.key); !errors.Is(err, ErrInvalidSetting) {
				t.Errorf("DeleteSetting: %v, want ErrInvalidSetting", err)
			}
		})
	}

	// A cancelled context writes nothing either.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.PutSetting(cancelled, "unit/new", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled put: %v", err)
	}
	if err := db.DeleteSetting(cancelled, "unit/standard-answers"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled delete: %v", err)
	}

	after := rawSettings(t, db)
	if len(after) != len(before) || !bytes.Equal(after["unit/standard-answers"], before["unit/standard-answers"]) {
		t.Fatalf("refused writes changed the bucket: %d keys before, %d after", len(before), len(after))
	}
	wantSetting(t, db, "unit/standard-answers", "before")
}

// TestSettingsSealedOnDisk (DP1): no setting value is in clear in the file,
// before or after a key rotation, nor after it is deleted.
func TestSettingsSealedOnDisk(t *testing.T) {
	db, dir := testStore(t)
	ctx := t.Context()
	canaries := map[string]string{
		"staff/SE2321000016-1003/prefs": "KANARIESIGNATUR Lars Läkarsson lars.kanarie@example.se 070-1234567",
		"unit/standard-answers":         "KANARIESVAR Ditt recept är förnyat",
		"unit/notice-email":             "kanarie.mottagning@example.se",
		"staff/SE2321000016-1003/draft": "KANARIEUTKAST 19121212-1212",
	}
	for k, v := range canaries {
		mustPutSetting(t, db, k, v)
	}
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	canaries["unit/contact-text"] = "KANARIEKONTAKT efter rotation"
	mustPutSetting(t, db, "unit/contact-text", canaries["unit/contact-text"])
	mustPutSetting(t, db, "unit/deleted", "KANARIERADERAD")
	if err := db.DeleteSetting(ctx, "unit/deleted"); err != nil {
		t.Fatal(err)
	}
	canaries["unit/deleted"] = "KANARIERADERAD"
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(filepath.Join(dir, "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Self-check: keys are in clear, so the same search finds them.
	if !bytes.Contains(raw, []byte("staff/SE2321000016-1003/prefs")) {
		t.Fatal("self-check: a key in clear was not found in the raw file")
	}
	for k, v := range canaries {
		for _, c := range []string{v, v[:12]} {
			if bytes.Contains(raw, []byte(c)) {
				t.Errorf("%s: canary %q in clear in the store file", k, c)
			}
		}
	}
}

// TestSettingTamperRejected (DP1): a value moved to another key, sealed for
// another bucket, or with any byte flipped does not open.
func TestSettingTamperRejected(t *testing.T) {
	db, _ := testStore(t)
	ctx := t.Context()
	mustPutSetting(t, db, "staff/SE2321000016-1001/prefs", "signatur ett")
	mustPutSetting(t, db, "staff/SE2321000016-1002/prefs", "signatur två")
	sealed := rawSettings(t, db)["staff/SE2321000016-1001/prefs"]

	put := func(key string, v []byte) {
		t.Helper()
		err := db.bolt.Update(func(btx *bolt.Tx) error {
			return btx.Bucket([]byte(bucketSettings)).Put([]byte(key), v)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Moved over another key, and copied to a new one.
	for _, key := range []string{"staff/SE2321000016-1002/prefs", "staff/SE2321000016-1009/prefs"} {
		put(key, sealed)
		if got, err := db.Setting(ctx, key); !errors.Is(err, ErrTampered) {
			t.Errorf("value moved to %s: %q, %v; want ErrTampered", key, got, err)
		}
	}
	// Sealed for the same key in another bucket.
	other, err := db.sealer.Load().seal(bucketCases, []byte("unit/x"), []byte("från ett annat fack"))
	if err != nil {
		t.Fatal(err)
	}
	put("unit/x", other)
	if _, err := db.Setting(ctx, "unit/x"); !errors.Is(err, ErrTampered) {
		t.Errorf("value sealed for another bucket: %v; want ErrTampered", err)
	}
	// Every byte flipped in turn: format, term, nonce, ciphertext, tag.
	for i := range sealed {
		flipped := bytes.Clone(sealed)
		flipped[i] ^= 0x01
		put("staff/SE2321000016-1001/prefs", flipped)
		if got, err := db.Setting(ctx, "staff/SE2321000016-1001/prefs"); !errors.Is(err, ErrTampered) {
			t.Fatalf("byte %d flipped: %q, %v; want ErrTampered", i, got, err)
		}
	}
	// Truncated.
	put("staff/SE2321000016-1001/prefs", sealed[:len(sealed)-1])
	if _, err := db.Setting(ctx, "staff/SE2321000016-1001/prefs"); !errors.Is(err, ErrTampered) {
		t.Errorf("truncated: %v; want ErrTampered", err)
	}
	put("staff/SE2321000016-1001/prefs", sealed)
	wantSetting(t, db, "staff/SE2321000016-1001/prefs", "signatur ett")
}

// TestSettingsSurviveReopenAndRotation (DP2): settings sealed under an old
// term keep opening after a rotation and a reopen; new writes use the new
// term.
func TestSettingsSurviveReopenAndRotation(t *testing.T) {
	db, dir := testStore(t)
	ctx := t.Context()
	mustPutSetting(t, db, "unit/standard-answers", "före rotation")
	mustPutSetting(t, db, "staff/SE2321000016-1003/prefs", "före rotation, skrivs om")
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	wantSetting(t, db, "unit/standard-answers", "före rotation")
	mustPutSetting(t, db, "unit/contact-text", "efter rotation")
	mustPutSetting(t, db, "staff/SE2321000016-1003/prefs", "omskriven efter rotation")
	terms := map[string]uint32{
		"unit/standard-answers":         1,
		"unit/contact-text":             2,
		"staff/SE2321000016-1003/prefs": 2,
	}
	for k, v := range rawSettings(t, db) {
		if term, _ := termOf(v); term != terms[k] {
			t.Errorf("%s sealed under term %d, want %d", k, term, terms[k])
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, dir)
	wantSetting(t, db, "unit/standard-answers", "före rotation")
	wantSetting(t, db, "unit/contact-text", "efter rotation")
	wantSetting(t, db, "staff/SE2321000016-1003/prefs", "omskriven efter rotation")
	if _, err := db.RotateKey(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openAt(t, dir)
	wantSetting(t, db, "unit/standard-answers", "före rotation")
	wantSetting(t, db, "unit/contact-text", "efter rotation")
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestOldStoreGetsSettingsBucket: a store written before the settings
// bucket existed opens, gets the bucket, and keeps its cases; a store that
// has it is not written to on open.
func TestOldStoreGetsSettingsBucket(t *testing.T) {
	db, dir := testStore(t)
	ctx := t.Context()
	c := newCase(1, "ett gammalt ärende")
	insert(t, db, c)
	db.Close()
	rawUpdate(t, dir, func(btx *bolt.Tx) error { return btx.DeleteBucket([]byte(bucketSettings)) })

	db = openAt(t, dir)
	hasBucket := func(db *DB) (has bool, txid int) {
		db.bolt.View(func(btx *bolt.Tx) error {
			has, txid = btx.Bucket([]byte(bucketSettings)) != nil, btx.ID()
			return nil
		})
		return has, txid
	}
	if has, _ := hasBucket(db); !has {
		t.Fatal("open did not add the settings bucket")
	}
	if _, err := db.Setting(ctx, "unit/standard-answers"); !errors.Is(err, ErrNoSetting) {
		t.Fatalf("new bucket: %v, want ErrNoSetting", err)
	}
	mustPutSetting(t, db, "unit/standard-answers", "svar")
	if _, err := get(db, c.ID); err != nil {
		t.Fatalf("the old case after the bucket was added: %v", err)
	}
	_, txid := hasBucket(db)
	db.Close()

	db = openAt(t, dir)
	wantSetting(t, db, "unit/standard-answers", "svar")
	if _, again := hasBucket(db); again != txid {
		t.Errorf("opening a store that has the bucket wrote to it: transaction %d, then %d", txid, again)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSettingsBucketRemovedWhileOpen: if the bucket goes behind the store's
// back, reads say the setting is not set and writes fail clearly.
func TestSettingsBucketRemovedWhileOpen(t *testing.T) {
	db, _ := testStore(t)
	ctx := t.Context()
	mustPutSetting(t, db, "unit/standard-answers", "svar")
	err := db.bolt.Update(func(btx *bolt.Tx) error { return btx.DeleteBucket([]byte(bucketSettings)) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Setting(ctx, "unit/standard-answers"); !errors.Is(err, ErrNoSetting) {
		t.Errorf("read: %v, want ErrNoSetting", err)
	}
	if keys, err := db.SettingKeys(ctx, ""); err != nil || len(keys) != 0 {
		t.Errorf("list: %q, %v", keys, err)
	}
	if err := db.PutSetting(ctx, "unit/standard-answers", []byte("x")); err == nil || !strings.Contains(err.Error(), "no settings bucket") {
		t.Errorf("write: %v", err)
	}
	// The store's other work goes on.
	insert(t, db, newCase(1, "ärende"))
	if err := db.View(ctx, func(tx cases.ReadTx) error { _, err := tx.Case(newCase(1, "").ID); return err }); err != nil {
		t.Fatal(err)
	}
}
