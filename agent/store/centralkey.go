package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// settingCentralKeyNewest holds the newest sealing key statement of the
// central store's own key the gateway verified (sync/uplink's
// centralkeyrefresh.go): "RFC 3339 time, space, key id". The gateway
// never seals to a key of an older statement, across restarts too.
const settingCentralKeyNewest = "unit/central-key-newest"

// NewestCentralKey returns the newest central key statement's key id and
// notBefore kept ("" when none).
func (db *DB) NewestCentralKey(ctx context.Context) (string, time.Time, error) {
	b, err := db.Setting(ctx, settingCentralKeyNewest)
	if errors.Is(err, ErrNoSetting) {
		return "", time.Time{}, nil
	}
	if err != nil {
		return "", time.Time{}, err
	}
	at, id, ok := strings.Cut(string(b), " ")
	t, terr := time.Parse(time.RFC3339, at)
	if !ok || terr != nil || id == "" {
		return "", time.Time{}, fmt.Errorf("the setting %s is damaged", settingCentralKeyNewest)
	}
	return id, t, nil
}

// SetNewestCentralKey keeps keyID and notBefore as the newest central key
// statement.
func (db *DB) SetNewestCentralKey(ctx context.Context, keyID string, notBefore time.Time) error {
	return db.PutSetting(ctx, settingCentralKeyNewest, []byte(notBefore.UTC().Format(time.RFC3339)+" "+keyID))
}
