package democlinic

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"clinicgw/agent/cases"
	"clinicgw/cardauth/bridge"
	"clinicgw/cardauth/devpki"
	"clinicgw/cardauth/token"
	"clinicgw/cardauth/token/provision"
)

// CardPIN is every demo card's PIN; cardSOPIN its security officer's.
const (
	CardPIN   = "1234"
	cardSOPIN = "87654321"
)

// Tray holds the demo staff's cards, SoftHSM2 tokens labelled with their
// HSA-IDs, and plays the workstation's card reader: one card at a time is
// in it. It is the bridge's card source (bridge.Cards) and reader
// (bridge.Reader), and Handler serves a page that inserts and removes the
// cards.
type Tray struct {
	staff []Member
	mod   *token.Module
	log   *slog.Logger

	mu       sync.Mutex
	inserted string // HSA-ID, "" when the reader is empty
	watchers map[chan struct{}]struct{}
}

// ProvisionCards writes a card for every member of staff onto a SoftHSM2
// token of its own, in dir/softhsm2.conf's token folder (dir/tokens),
// with its authentication certificate from pki and the PIN CardPIN.
//
// SoftHSM2 reads its configuration when the module is first loaded in a
// process, so ProvisionCards points SOFTHSM2_CONF at dir for the whole
// process: call it before anything else in the process loads SoftHSM2.
func ProvisionCards(dir string, pki *devpki.PKI, staff []Member, log *slog.Logger) (*Tray, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(provision.SoftHSMModule); err != nil {
		return nil, fmt.Errorf("demo cards need SoftHSM2 (apt-get install softhsm2, or make deps): %w", err)
	}
	conf, err := provision.SoftHSMConfig(dir)
	if err != nil {
		return nil, err
	}
	if err := os.Setenv(provision.SoftHSMConfEnv, conf); err != nil {
		return nil, err
	}
	mod, err := token.OpenModule(provision.SoftHSMModule)
	if err != nil {
		return nil, fmt.Errorf("demo cards: %w", err)
	}
	for _, m := range staff {
		tk, err := provision.InitToken(mod, m.HSAID, cardSOPIN, CardPIN)
		if err == nil {
			_, err = tk.Person(pki, m.HSAID, m.Given, m.Surname, devpki.KeyECDSAP256)
		}
		if err != nil {
			mod.Close()
			return nil, fmt.Errorf("demo card for %s in %s: %w", m.HSAID, filepath.Join(dir, "tokens"), err)
		}
	}
	return &Tray{staff: slices.Clone(staff), mod: mod, log: log, watchers: map[chan struct{}]struct{}{}}, nil
}

// Close unloads the module.
func (t *Tray) Close() error { return t.mod.Close() }

// Insert puts hsaID's card in the reader, taking out the one in it.
func (t *Tray) Insert(hsaID string) error {
	if !slices.ContainsFunc(t.staff, func(m Member) bool { return m.HSAID == hsaID }) {
		return fmt.Errorf("no demo card for %q", hsaID)
	}
	t.set(hsaID)
	return nil
}

// Remove takes the card out of the reader.
func (t *Tray) Remove() { t.set("") }

// Inserted returns the HSA-ID of the card in the reader, "" if none.
func (t *Tray) Inserted() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inserted
}

func (t *Tray) set(hsaID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.inserted == hsaID {
		return
	}
	t.inserted = hsaID
	t.log.Info("demo card reader", "card", hsaID)
	for ch := range t.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Open opens the card in the reader through PKCS#11, as the bridge does
// with a real card.
func (t *Tray) Open(ctx context.Context) (bridge.Card, error) {
	in := t.Inserted()
	if in == "" {
		return nil, bridge.ErrNoCard
	}
	return bridge.NewTokenCards(provision.SoftHSMModule, "", in, t.log).Open(ctx)
}

// Watch reports whether a card is in the reader, at start and after every
// change (a card swapped for another is a removal and an insertion), until
// ctx ends.
func (t *Tray) Watch(ctx context.Context, fn func(present bool)) error {
	ch := make(chan struct{}, 1)
	t.mu.Lock()
	t.watchers[ch] = struct{}{}
	last := t.inserted
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.watchers, ch)
		t.mu.Unlock()
	}()
	fn(last != "")
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
		}
		now := t.Inserted()
		if now == last {
			continue
		}
		if last != "" && now != "" {
			fn(false)
		}
		last = now
		fn(now != "")
	}
}

// Handler serves the card tray: the demo staff with their roles, and a
// button for each to put the card in the reader or take it out. It is
// for loopback only, like the bridge.
func (t *Tray) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		type row struct {
			Member
			Roles    string
			Inserted bool
		}
		in := t.Inserted()
		var rows []row
		for _, m := range t.staff {
			rs := ""
			for i, r := range m.Roles {
				if i > 0 {
					rs += ", "
				}
				rs += roleNames[r]
			}
			rows = append(rows, row{Member: m, Roles: rs, Inserted: m.HSAID == in})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
		w.Header().Set("Cache-Control", "no-store")
		if err := trayPage.Execute(w, struct {
			Rows  []row
			Empty bool
			PIN   string
		}{rows, in == "", CardPIN}); err != nil {
			t.log.Warn("demo card tray page", "err", err)
		}
	})
	mux.HandleFunc("POST /insert", func(w http.ResponseWriter, r *http.Request) {
		if err := t.Insert(r.FormValue("hsaId")); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("POST /remove", func(w http.ResponseWriter, r *http.Request) {
		t.Remove()
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	return http.NewCrossOriginProtection().Handler(mux)
}

// roleNames are the roles as the tray shows them.
var roleNames = map[cases.Role]string{
	cases.Distributor: "ärendemottagare",
	cases.Clinician:   "ärendehanterare",
	cases.UnitAdmin:   "enhetsadministratör",
	cases.Auditor:     "granskare",
}

var trayPage = template.Must(template.New("tray").Parse(`<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>Demokort – clinicgw</title></head>
<body>
<main>
<h1>Demokort <span lang="en">(demo cards)</span></h1>
<p>Kortläsaren på den här arbetsstationen. Sätt i ett kort och logga in i webbgränssnittet med PIN-koden <strong>{{.PIN}}</strong>.
Ta ut kortet så låses alla sidor i den sessionen.</p>
<p lang="en">The card reader of this workstation. Insert a card, then log in to the web UI with PIN <strong>{{.PIN}}</strong>.
Taking the card out locks every page of that session.</p>
<p role="status">{{if .Empty}}Inget kort i läsaren. <span lang="en">No card in the reader.</span>{{else}}{{range .Rows}}{{if .Inserted}}I läsaren: {{.Name}} ({{.HSAID}}). <span lang="en">In the reader.</span>{{end}}{{end}}{{end}}</p>
<table>
<caption>Demopersonal <span lang="en">(demo staff)</span></caption>
<thead><tr><th scope="col">Namn</th><th scope="col">Titel</th><th scope="col">Roll i e-tjänsten</th><th scope="col">HSA-id</th><th scope="col">Kort</th></tr></thead>
<tbody>
{{range .Rows}}<tr>
<td>{{.Name}}{{if .OnLeave}} (ledig)</td>{{else}}</td>{{end}}
<td>{{.Title}}</td>
<td>{{.Roles}}</td>
<td>{{.HSAID}}</td>
<td>{{if .Inserted}}<form method="post" action="/remove"><button type="submit">Ta ut kortet</button></form>{{else}}<form method="post" action="/insert"><input type="hidden" name="hsaId" value="{{.HSAID}}"><button type="submit" aria-label="Sätt i {{.Name}}s kort">Sätt i kortet</button></form>{{end}}</td>
</tr>
{{end}}</tbody>
</table>
</main>
</body>
</html>
`))
