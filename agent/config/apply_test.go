package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// liveKeys are the keys whose new value applies while the gateway runs,
// written out apart from the schema's reload tags: the login keys but
// login.origin and the local reader's, the [notify] keys, the [archive]
// and [backup] keys but their timers' (at), and central.forms_file.
var liveKeys = []string{
	"central.forms_file",
	"login.trust_anchors", "login.person_cas", "login.directory_file", "login.soft_fail", "login.ocsp_url", "login.crl_url",
	"notify.smtp_addr", "notify.smtp_security", "notify.smtp_username", "notify.smtp_password_file", "notify.smtp_from",
	"notify.smtp_ca_file", "notify.sms_url", "notify.sms_body", "notify.sms_token_file", "notify.digest",
	"archive.dir", "archive.age_days",
	"backup.dir", "backup.keep", "backup.keep_days",
}

// TestApply: each key changed alone in the file applies now if it is
// live and its table stays in use, and waits for a restart otherwise; a
// table turned on or off waits for a restart whole.
func TestApply(t *testing.T) {
	var live []string
	for _, k := range Keys() {
		if k.Live && !k.Table {
			live = append(live, k.Name)
		}
	}
	slices.Sort(live)
	want := slices.Sorted(slices.Values(liveKeys))
	if !slices.Equal(live, want) {
		t.Errorf("live keys by the schema:\n%q\nwant\n%q", live, want)
	}

	run := filled(t)
	if d := Apply(run, run); len(d.Changed)+len(d.Restart) > 0 {
		t.Errorf("the same file changes %q, waits %q", d.Changed, d.Restart)
	}
	other := filled(t)
	ov := reflect.ValueOf(other).Elem()
	for _, k := range Keys() {
		if k.Table {
			continue
		}
		file := *run
		fv, f := reflect.ValueOf(&file).Elem(), ov.FieldByIndex(k.index)
		// A different value, the table still in use: filled's values are
		// the same in both, so change it by hand.
		switch f.Kind() {
		case reflect.String:
			fv.FieldByIndex(k.index).SetString(f.String() + "-new")
		case reflect.Int:
			fv.FieldByIndex(k.index).SetInt(f.Int() + 1)
		case reflect.Bool:
			fv.FieldByIndex(k.index).SetBool(!f.Bool())
		case reflect.Slice:
			fv.FieldByIndex(k.index).Set(reflect.ValueOf([]string{"new"}))
		}
		d := Apply(run, &file)
		isLive := slices.Contains(liveKeys, k.Name)
		if isLive && (!slices.Equal(d.Changed, []string{k.Name}) || len(d.Restart) > 0) {
			t.Errorf("%s: changed %q, waits %q; want it applied", k.Name, d.Changed, d.Restart)
		}
		if !isLive && (len(d.Changed) > 0 || !slices.Equal(d.Restart, []string{k.Name})) {
			t.Errorf("%s: changed %q, waits %q; want it waiting for a restart", k.Name, d.Changed, d.Restart)
		}
	}

	// [notify] turned off in the running configuration: on in the file is a restart.
	off := *run
	off.Notify = Notify{}
	d := Apply(&off, run)
	for _, k := range d.Changed {
		if strings.HasPrefix(k, "notify.") {
			t.Errorf("turning [notify] on applies %s now", k)
		}
	}
	if !slices.Contains(d.Restart, "notify.smtp_addr") {
		t.Errorf("turning [notify] on: waits %q, want notify.smtp_addr among them", d.Restart)
	}
	if d.Changes(&d.Eff.Notify, &d.Eff.Notify.SMTPAddr) {
		t.Error("Changes says [notify] applies now")
	}
}
