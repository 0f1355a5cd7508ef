package localui

import (
	"context"
	"encoding/json"
	"fmt"
)

// Recipients reads where notices go from the settings the UI keeps: the
// unit's notice address (UnitSettings.NoticeEmail) and each member of
// staff's choice of e-mail and SMS on assignment (Prefs). agent/notify
// uses it.
type Recipients struct {
	Settings Settings
}

// UnitEmail is the unit's notice address, "" if none is set.
func (r Recipients) UnitEmail(ctx context.Context) (string, error) {
	var u UnitSettings
	if err := r.load(ctx, unitKey, &u); err != nil {
		return "", err
	}
	return u.NoticeEmail, nil
}

// Staff is how hsaID wants to hear of an assignment: an e-mail address
// and a mobile number, each "" when not wanted or not given.
func (r Recipients) Staff(ctx context.Context, hsaID string) (email, mobile string, err error) {
	var p Prefs
	if err := r.load(ctx, prefsKey(hsaID), &p); err != nil {
		return "", "", err
	}
	if p.NotifyEmail {
		email = p.Email
	}
	if p.NotifySMS {
		mobile = p.Mobile
	}
	return email, mobile, nil
}

func (r Recipients) load(ctx context.Context, key string, v any) error {
	b, err := r.Settings.Get(ctx, key)
	if err != nil || b == nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("setting %s: %w", key, err)
	}
	return nil
}
