package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/booking"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/localui/uitest"
	"clinicgw/sync/central"
	"clinicgw/sync/logtest"
	"clinicgw/sync/proxytest"
	"clinicgw/sync/tlsconf"
	"clinicgw/sync/uplink"
	"clinicgw/sync/wire"
	"clinicgw/sync/wire/personnummer"
)

// sweepPerson is a canary person of the sealed demo run.
type sweepPerson struct {
	name string
	pnr  personnummer.Personnummer
}

// spellings are the ways a personnummer may be written: with and without
// the century, with and without the dash.
func (p sweepPerson) spellings() []string {
	s := string(p.pnr) // YYYYMMDDNNNN
	return []string{s, s[:8] + "-" + s[8:], s[2:], s[2:8] + "-" + s[8:]}
}

// canaries are the sealed demo run's canaries, by what they are: each
// entry's first string is the one a positive control must find.
type canaries map[string][]string

// hits returns, per canary, the spellings found in b.
func (c canaries) hits(b []byte) map[string][]string {
	out := map[string][]string{}
	for what, spellings := range c {
		for _, s := range spellings {
			if bytes.Contains(b, []byte(s)) {
				out[what] = append(out[what], s)
			}
		}
	}
	return out
}

// TestDemoSealedSweep is issue 22's proof across a demo run: the demo
// clinic (startDemo, what `clinicgw demo` runs: the gateway and the
// reference central store with the demo's PKI, key files and logs) with
// central.sealing on and a TLS-terminating reverse proxy between the
// gateway and the central store that logs every byte it forwards. On the
// central store's patient pages a patient writes a case, a guardian
// writes for a child; staff ask back and answer; the patient replies and
// follows up; the patient leaves reminder consent, books online, rebooks
// and cancels; staff book another patient by phone; at the end the
// patient deletes the account ("Radera mitt konto"). Then every byte the
// proxy forwarded both ways (websocket included), every file the demo
// wrote (the central store's central.db, key ring and KEK; the gateway's
// encrypted store, configuration, PKI and card tokens), a backup of the
// central store's file, the technical log of both, the demo's output and
// the gateway's /metrics hold none of the canaries: names, personnummer in every
// spelling, texts, the reminder's mobile number and e-mail address. Each
// canary is first found where it legitimately is — the gateway's
// decrypted store read through its case service and diary — so the sweep
// cannot pass for want of the canaries.
func TestDemoSealedSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo writes a store and SoftHSM2 tokens; skipped with -short")
	}
	dir := t.TempDir()
	var out, logs logtest.Buffer
	e := &env{stdout: &out, stderr: &out, log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var capt *proxytest.Capture
	d, err := startDemo(ctx, e, demoOptions{dir: dir, history: 5, web: "127.0.0.1:0", ui: "127.0.0.1:0",
		bridge: "127.0.0.1:0", cards: "127.0.0.1:0", admin: "127.0.0.1:0",
		configure: func(cfg *agent.Config) {
			cfg.Central.Sealing = true
			capt = sweepProxy(t, dir, cfg)
		}})
	if err != nil {
		t.Fatalf("start the demo: %v\n%s", err, out.String())
	}
	defer d.close()
	waitDemo(t, "sealing on", func() bool {
		st, ok := d.gw.Uplink()
		return ok && st.Sealing == uplink.SealingOn
	})

	adult := sweepPerson{"Ebba Kanarieström", personnummer.Synthetic(time.Date(1979, 4, 23, 0, 0, 0, 0, time.UTC), 983)}
	guardian := sweepPerson{"Gunnar Kanarievakt", personnummer.Synthetic(time.Date(1984, 9, 11, 0, 0, 0, 0, time.UTC), 985)}
	child := sweepPerson{"Kalle Kanarieunge", personnummer.Synthetic(time.Now().AddDate(-6, -2, 0), 987)}
	phone := sweepPerson{"", personnummer.Synthetic(time.Date(1961, 12, 2, 0, 0, 0, 0, time.UTC), 989)}
	const (
		caseText    = "Kanarietext: ont i halsen sedan i tisdags"
		childText   = "Kanariebarnets feber och hosta"
		counterText = "Kanariemotfråga: har du feber?"
		replyText   = "Kanarieåtersvar: ja, 38,5 grader"
		answerText  = "Kanariesvar: kom in på mottagningen i morgon"
		followText  = "Kanarieuppföljning: tack, det blev bättre"
		mobile      = "+46701239983"
		email       = "kanarie.ebba@example.se"
	)
	cn := canaries{"mobile": {mobile, "0701239983"}, "e-mail": {email}}
	for _, p := range []sweepPerson{adult, guardian, child, phone} {
		if p.name != "" { // staff book by phone with the personnummer only
			cn["name "+p.name] = []string{p.name, strings.Fields(p.name)[1]}
		}
		cn["personnummer "+string(p.pnr)] = p.spellings()
	}
	for _, s := range []string{caseText, childText, counterText, replyText, answerText, followText} {
		cn["text "+s[:14]] = []string{s}
	}

	set, err := d.central.store.Forms(ctx, demoUnit)
	forms := set.Forms
	if err != nil || len(forms) == 0 {
		t.Fatalf("the unit's forms: %v", err)
	}
	var adultForm, childForm *wire.Form
	for i := range forms {
		if adultForm == nil {
			adultForm = &forms[i]
		}
		if childForm == nil && forms[i].AllowGuardian {
			childForm = &forms[i]
		}
	}
	if childForm == nil {
		t.Fatal("no form of the demo unit allows a guardian")
	}

	// Patients write on the central store's pages.
	pat := newSweepPatient(t, d, adult)
	caseID := pat.submit(*adultForm, caseText, nil)
	gua := newSweepPatient(t, d, guardian)
	childID := gua.submit(*childForm, childText, &child)

	// Staff, in the staff web UI in Chromium, logged in with their
	// SoftHSM2 cards in the demo's card reader through the demo's card
	// bridge: the message administrator assigns, the clinician asks back.
	svc := d.gw.Cases()
	k := demoClinicians[0]
	for _, id := range []string{caseID, childID} {
		waitDemo(t, "case at the gateway", func() bool {
			_, err := svc.Get(ctx, demoDistributor, cases.ID(id))
			return err == nil
		})
	}
	browser := uitest.NewBrowser(t)
	dist := staffLogin(t, browser, d, demoDistributor.HSAID)
	for _, id := range []string{caseID, childID} {
		dist.Navigate(d.uiURL + "/cases/" + id)
		dist.SetValue("#assign-"+id, k.actor.HSAID)
		dist.Click(`form[action="/cases/` + id + `/assign"] button`)
		dist.WaitVisible(".flash")
	}
	clin := staffLogin(t, browser, d, k.actor.HSAID)
	staffSend(clin, d, caseID, "#kind-counter", counterText)
	pat.waitCase(caseID, counterText)
	pat.post("/arenden/"+caseID+"/svar", url.Values{"text": {replyText}})
	waitDemo(t, "the reply at the gateway", func() bool {
		c, err := svc.Get(ctx, demoDistributor, cases.ID(caseID))
		return err == nil && c.Status == cases.Assigned && len(c.Messages) >= 3
	})
	staffSend(clin, d, caseID, "#kind-answer", answerText)
	staffSend(clin, d, childID, "#kind-answer", answerText)
	pat.waitCase(caseID, answerText)
	gua.waitCase(childID, answerText)
	pat.post("/arenden/"+caseID+"/svar", url.Values{"text": {followText}})
	waitDemo(t, "the follow-up at the gateway", func() bool {
		c, err := svc.Get(ctx, demoDistributor, cases.ID(caseID))
		return err == nil && strings.Contains(fmt.Sprint(c.Messages), followText)
	})

	// Bookings: the unit's times bookable online, the patient's reminder
	// consent, a booking, a rebooking, a cancellation; a phone booking.
	diary := d.gw.Diary()
	now := time.Now().UTC()
	visit := booking.TimeType{ID: "besok-30", StaffName: "Besök 30", PatientName: "Besök", Minutes: 30,
		Clinicians: []string{k.actor.HSAID}, Online: true, Rebook: true, Cancel: true, Reminder: true, ReminderHours: 24}
	must(t, diary.PutType(ctx, visit))
	must(t, diary.PutTemplate(ctx, booking.Template{ID: "t", Clinician: k.actor.HSAID, TypeID: visit.ID,
		Weekday: booking.Local(now.AddDate(0, 0, 3)).Weekday(), Start: "09:00", Count: 4, From: now.Format(time.DateOnly)}))
	if _, err := diary.Generate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	var free []wire.BookingTime
	typ, err := diary.PublicTypeID(ctx, visit.ID) // the central store knows the type by its opaque id
	must(t, err)
	waitDemo(t, "the free times at the central store", func() bool {
		free, err = d.central.store.FreeBookingTimes(ctx, demoUnit, typ)
		return err == nil && len(free) >= 3
	})
	pat.post("/boka/"+demoUnit+"/paminnelser", url.Values{"samtycke": {"ja"}, "mobil": {mobile}, "epost": {email}})
	pat.booking(pat.post("/boka/"+demoUnit+"/tid/"+free[0].ID, url.Values{}))
	pat.booking(pat.post("/boka/"+demoUnit+"/tid/"+free[1].ID, url.Values{"fran": {free[0].ID}}))
	pat.booking(pat.post("/boka/"+demoUnit+"/avboka/"+free[1].ID, url.Values{}))
	// The reminder consent is on a booking of the diary: book again, and keep it.
	pat.booking(pat.post("/boka/"+demoUnit+"/tid/"+free[0].ID, url.Values{}))
	slot, err := diary.Resolve(ctx, free[2].ID)
	must(t, err)
	if _, err := diary.Book(ctx, slot, booking.Actor{Staff: k.actor.HSAID}, booking.BookRequest{Patient: string(phone.pnr)}); err != nil {
		t.Fatal(err)
	}
	waitDemo(t, "the phone booking at the central store", func() bool {
		bs, err := d.central.store.PatientBookings(ctx, demoUnit, string(phone.pnr))
		return err == nil && len(bs) == 1
	})

	// The positive control: every canary where it legitimately is, the
	// gateway's decrypted store, read through its services.
	var control bytes.Buffer
	for _, id := range []string{caseID, childID} {
		c, err := svc.Get(ctx, demoDistributor, cases.ID(id))
		must(t, err)
		json.NewEncoder(&control).Encode(c)
	}
	slots, err := diary.Slots(ctx, now, now.AddDate(0, 0, 21))
	must(t, err)
	json.NewEncoder(&control).Encode(slots)
	found := cn.hits(control.Bytes())
	for what, spellings := range cn {
		if !strings.Contains(strings.Join(found[what], "\x00"), spellings[0]) {
			t.Errorf("positive control: %s (%q) is not in the gateway's decrypted store", what, spellings[0])
		}
	}

	// The outbound sealing on the gateway's /metrics: items went sealed,
	// none plain, to the central store's key.
	r, err := http.Get("http://" + d.gw.AdminAddr() + "/metrics")
	must(t, err)
	metricsText, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, want := range []string{`clinicgw_sync_outbox_items_total{sealing="plain"} 0`, `clinicgw_sync_outbox_sealing{state="sealed"} 1`,
		`clinicgw_sync_central_sealing_key{keyId="` + d.central.store.SealingKeyID().String() + `"} 1`} {
		if !bytes.Contains(metricsText, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if bytes.Contains(metricsText, []byte(`clinicgw_sync_outbox_items_total{sealing="sealed"} 0`)) {
		t.Error("/metrics counts no outbox item sent sealed")
	}

	// And as `clinicgw status --config` reads it from the admin listener.
	running := *d.cfg
	running.Admin.Listen = d.gw.AdminAddr() // the demo's is 127.0.0.1:0
	o, err := agent.OutboundSealingFromAdmin(ctx, &running)
	if err != nil || o.State != "sealed" || o.Sealed == 0 || o.Plain != 0 || o.CentralKeyID != d.central.store.SealingKeyID().String() {
		t.Errorf("the status's outbound sealing: %+v (%v)", o, err)
	}

	backup := filepath.Join(t.TempDir(), "central-backup.db")
	must(t, d.central.store.Backup(ctx, backup))
	// At the end, the patient deletes the account.
	pat.post("/konto/radera", url.Values{"bekrafta": {"ja"}})
	if bs, err := d.central.store.PatientCases(ctx, string(adult.pnr)); err != nil || len(bs) != 0 {
		t.Errorf("after Radera mitt konto the patient's cases: %d (%v), want none", len(bs), err)
	}
	d.close()

	up, down := capt.Bytes()
	if !bytes.Contains(up, []byte(wire.PathOutboxSealed2)) || !bytes.Contains(up, []byte(wire.PathBookingBookingsSealed2)) ||
		!bytes.Contains(down, []byte(`"sealed"`)) || !bytes.Contains(down, []byte(`"requests"`)) {
		t.Fatalf("the proxy did not capture the sealed sync it should have forwarded (%d bytes up, %d down)", len(up), len(down))
	}
	// What may be in the clear is there in the clear: the capture is
	// the plaintext the proxy forwarded, not TLS records.
	if !bytes.Contains(up, []byte(`"Besök"`)) || !bytes.Contains(down, []byte(demoUnit)) {
		t.Errorf("the proxy's capture lacks the unit's public time type or its HSA-ID: not the plaintext forwarded")
	}
	swept := map[string][]byte{"proxy: gateway → central store": up, "proxy: central store → gateway": down,
		"technical log": []byte(logs.String()), "demo output": []byte(out.String()), "gateway /metrics": metricsText}
	b, err := os.ReadFile(backup)
	must(t, err)
	swept["central store backup"] = b
	// Every file the demo wrote: the central store's folder (its file,
	// key ring and KEK) and the gateway's (its encrypted store, key file,
	// configuration, PKI, card tokens).
	must(t, filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		b, err := os.ReadFile(path)
		swept["file "+filepath.ToSlash(rel)] = b
		return err
	}))
	for _, name := range []string{"central/central.db", "central/central.db.keyring", "store.db"} {
		if len(swept["file "+name]) == 0 {
			t.Errorf("the demo's folder has no %s to sweep", name)
		}
	}
	total := 0
	for where, b := range swept {
		total += len(b)
		for what, spellings := range cn.hits(b) {
			t.Errorf("%s holds %s: %q", where, what, spellings)
		}
		if strings.HasPrefix(where, "proxy") {
			continue // base64 and binary: the canaries above, not the pattern
		}
		if m := pnrLike.Find(b); m != nil {
			t.Errorf("%s holds a personnummer: %q", where, m)
		}
	}
	if t.Failed() {
		return
	}
	t.Logf("swept %d bytes in %d places (%d up, %d down through the proxy) for %d canaries: none found", total, len(swept), len(up), len(down), len(cn))
}

// sweepProxy puts a capturing TLS-terminating proxy between the demo's
// gateway and its central store: it presents the central store's own
// server certificate (what a load balancer in front of it holds) and
// forwards with the unit's client certificate.
func sweepProxy(t *testing.T, dir string, cfg *agent.Config) *proxytest.Capture {
	t.Helper()
	server, err := tls.LoadX509KeyPair(filepath.Join(dir, "pki", "central.pem"), filepath.Join(dir, "pki", "central.key"))
	must(t, err)
	unit, err := tls.LoadX509KeyPair(filepath.Join(dir, cfg.Central.CertFile), filepath.Join(dir, cfg.Central.KeyFile))
	must(t, err)
	rootPEM, err := os.ReadFile(filepath.Join(dir, cfg.Central.CAFile))
	must(t, err)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("the central CA file holds no certificate")
	}
	target, err := url.Parse(cfg.Central.URL)
	must(t, err)
	srv, capt := proxytest.Start(t, target.Host, server, tlsconf.Client(unit, roots, "127.0.0.1", nil))
	cfg.Central.URL = srv.URL
	return capt
}

// sweepPatient is a patient's browser on the central store's pages: a
// cookie jar, the central CA, the pages' origin on every POST.
type sweepPatient struct {
	t    *testing.T
	c    *http.Client
	base string
	d    *demoRun
	p    sweepPerson
}

func newSweepPatient(t *testing.T, d *demoRun, p sweepPerson) *sweepPatient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	rootPEM, err := os.ReadFile(d.cp.rootFile)
	must(t, err)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootPEM)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(c.CloseIdleConnections)
	sp := &sweepPatient{t: t, c: c, base: d.central.webURL, d: d, p: p}
	sp.post("/logga-in", url.Values{"pnr": {string(p.pnr)}, "name": {p.name}})
	return sp
}

// post posts a form and returns the page it ends on (redirects followed).
func (p *sweepPatient) post(path string, v url.Values) *http.Response {
	p.t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.base+path, strings.NewReader(v.Encode()))
	must(p.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	r, err := p.c.Do(req)
	must(p.t, err)
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK {
		p.t.Fatalf("POST %s: %d\n%.2000s", path, r.StatusCode, body)
	}
	return r
}

// submit writes a case on form f, for child if not nil, and returns its id.
func (p *sweepPatient) submit(f wire.Form, text string, child *sweepPerson) string {
	p.t.Helper()
	v := url.Values{"text": {text}}
	for _, ff := range formAnswers(f) {
		v.Set("f."+ff.Name, ff.Value)
	}
	if child != nil {
		v.Set("guardian", "ja")
		v.Set("childPnr", string(child.pnr))
		v.Set("childName", child.name)
	}
	r := p.post("/skriv/"+demoUnit+"/"+f.ID, v)
	id, ok := strings.CutPrefix(r.Request.URL.Path, "/arenden/")
	if !ok {
		p.t.Fatalf("after submitting, the patient is at %s", r.Request.URL)
	}
	return id
}

// waitCase waits until the case's page shows text.
func (p *sweepPatient) waitCase(id, text string) {
	p.t.Helper()
	waitDemo(p.t, "the patient's page shows the staff's message", func() bool {
		r, err := p.c.Get(p.base + "/arenden/" + id)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return strings.Contains(string(b), text)
	})
}

// booking checks that a booking page's request was confirmed.
func (p *sweepPatient) booking(r *http.Response) {
	p.t.Helper()
	req, ok := strings.CutPrefix(r.Request.URL.Path, "/boka/"+demoUnit+"/begaran/")
	if !ok {
		p.t.Fatalf("after the booking request, the patient is at %s", r.Request.URL)
	}
	waitDemo(p.t, "the booking request decided", func() bool {
		st, err := p.d.central.store.BookingRequestOf(context.Background(), demoUnit, string(p.p.pnr), req)
		return err == nil && st.State != central.RequestPending
	})
	st, err := p.d.central.store.BookingRequestOf(context.Background(), demoUnit, string(p.p.pnr), req)
	if err != nil || st.State != central.RequestConfirmed {
		p.t.Fatalf("booking request %s: %+v (%v), want confirmed", req, st, err)
	}
}

// staffLogin logs hsaID in on the staff UI's login page as a person at
// the demo workstation does: their card into the demo's reader (the card
// before in it comes out, which ends that session), the PIN typed; the
// demo's card bridge signs with the card's SoftHSM2 token.
func staffLogin(t *testing.T, b *uitest.Browser, d *demoRun, hsaID string) *uitest.Tab {
	t.Helper()
	d.tray.Remove()
	tab := b.NewTab(t)
	tab.Navigate(d.uiURL + "/login")
	must(t, d.tray.Insert(hsaID))
	tab.SendKeys("#pin", democlinic.CardPIN)
	tab.Click("#login-submit")
	tab.WaitVisible("#rows")
	return tab
}

// staffSend writes text on the case's page as the kind chosen by its
// radio button kind, and sends it.
func staffSend(tab *uitest.Tab, d *demoRun, id, kind, text string) {
	tab.Navigate(d.uiURL + "/cases/" + id)
	tab.WaitVisible("#answer-text")
	tab.Click(kind)
	tab.SendKeys("#answer-text", text)
	tab.Click("#send")
	tab.WaitVisible(".flash")
}

// waitDemo waits up to a minute for ok, polling.
func waitDemo(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within a minute", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
