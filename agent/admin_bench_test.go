package agent_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"clinicgw/agent"
	"clinicgw/agent/cases"
	"clinicgw/agent/metrics"
	"clinicgw/agent/store"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkAdminScrape50k: one /metrics scrape over loopback HTTP of a
// gateway holding 50k cases of about 2 KiB (48k received, 2k assigned),
// the whole exposition read; beside it the store figures alone, and for
// scale the statistics' full scan that opens every case (what a scrape
// must not do).
//
//	go test -run '^$' -bench AdminScrape50k ./agent/
func BenchmarkAdminScrape50k(b *testing.B) {
	dir := b.TempDir()
	if err := store.GenerateKeyFile(filepath.Join(dir, agent.DefaultKeyFile), rand.Reader, false); err != nil {
		b.Fatal(err)
	}
	cfg := agent.DefaultConfig(unit, unitName)
	cfg.Admin = agent.AdminConfig{Listen: "127.0.0.1:0"}
	if err := cfg.Write(filepath.Join(dir, agent.ConfigFileName)); err != nil {
		b.Fatal(err)
	}
	a, err := agent.New(cfg, agent.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer a.Stop()
	ctx := b.Context()
	const n, batch, assigned = 50_000, 1000, 2000
	text := strings.Repeat("Jag behöver förnya mitt recept. ", 56)
	var first []cases.ID
	for i := 0; i < n; i += batch {
		subs := make([]cases.Submission, batch)
		for j := range subs {
			k := i + j
			subs[j] = cases.Submission{Type: casetype.RenewPrescription, SubmittedAt: time.Now(), Text: text,
				Patient: cases.Person{PNR: personnummer.Synthetic(time.Date(1950+k%60, time.Month(1+k%12), 1+k%28, 0, 0, 0, 0, time.UTC), 980+k%20),
					Name: fmt.Sprintf("Testperson %d", k)}}
		}
		got, err := a.Cases().ReceiveBatch(ctx, subs)
		if err != nil {
			b.Fatal(err)
		}
		if len(first) < assigned {
			for _, c := range got {
				first = append(first, c.ID)
			}
		}
	}
	for _, id := range first[:assigned] {
		if _, err := a.Cases().Do(ctx, distributor, id, cases.Command{Action: cases.Assign, Assignee: clinician.HSAID}); err != nil {
			b.Fatal(err)
		}
	}
	url := "http://" + a.AdminAddr() + metrics.PathMetrics
	client := &http.Client{}
	b.Run("scrape", func(b *testing.B) {
		var size int
		for b.Loop() {
			resp, err := client.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			body := string(raw)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `clinicgw_cases{status="received"} 48000`) {
				b.Fatalf("scrape: %d\n%s", resp.StatusCode, body)
			}
			size = len(body)
		}
		b.ReportMetric(float64(size), "bytes/scrape")
	})
	b.Run("figures", func(b *testing.B) {
		for b.Loop() {
			f, err := a.Store().Figures(ctx, time.Now())
			if err != nil || f.ByStatus[cases.Received] != n-assigned {
				b.Fatalf("figures %+v, %v", f.ByStatus, err)
			}
		}
	})
	admin := cases.Actor{Kind: cases.Staff, HSAID: "SE2321000016-E001", Roles: []cases.Role{cases.UnitAdmin}}
	b.Run("stats-full-scan", func(b *testing.B) {
		for b.Loop() {
			st, err := a.Cases().Stats(ctx, admin, time.Time{}, time.Time{})
			if err != nil || st.Received != n {
				b.Fatalf("stats %d, %v", st.Received, err)
			}
		}
	})
}
