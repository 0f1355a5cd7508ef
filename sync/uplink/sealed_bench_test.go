package uplink

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"clinicgw/agent/cases"
	"clinicgw/agent/store"
	"clinicgw/sync/clock"
	"clinicgw/sync/tlsconf"
)

// sealedTemplate is a gateway store with its sealing key made and no
// case, copied for each gateway of BenchmarkSyncSealed so that every one
// holds the key the central store sealed to.
type sealedTemplate struct {
	kek  *store.FileKEK
	file []byte
}

func newSealedTemplate(b testing.TB) *sealedTemplate {
	dir := b.TempDir()
	keyPath := filepath.Join(dir, "kek.key")
	if err := store.GenerateKeyFile(keyPath, rand.Reader, false); err != nil {
		b.Fatal(err)
	}
	kek, err := store.LoadKeyFile(keyPath)
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "store.db")
	db, err := store.Open(context.Background(), path, kek, store.Options{Unit: unit})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.EnsureSealingKey(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return &sealedTemplate{kek: kek, file: file}
}

// gateway opens a copy of the template as a gateway of the central store
// at baseURL with central.sealing on, logging nothing.
func (s *sealedTemplate) gateway(b testing.TB, baseURL string) *gateway {
	path := filepath.Join(b.TempDir(), "store.db")
	if err := os.WriteFile(path, s.file, 0o600); err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), path, s.kek, store.Options{Unit: unit})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	g := &gateway{t: b, db: db}
	if g.svc, err = cases.NewService(cases.ServiceConfig{Unit: unit, Store: db, Clock: clock.System, Rand: rand.Reader, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		b.Fatal(err)
	}
	g.rec = newRecorder(g.svc)
	g.cfg = Config{
		BaseURL: baseURL, TLS: tlsconf.Client(unitCert(b), testPKI().RootPool(), "127.0.0.1", nil),
		Cases: g.rec, PollInterval: time.Second, PushInterval: time.Second, MaxBackoff: 500 * time.Millisecond,
		SealingKeys: db, Sealing: true,
	}
	if g.up, err = New(g.cfg); err != nil {
		b.Fatal(err)
	}
	return g
}

// BenchmarkSyncSealed: the backlog of BenchmarkSync (-uplink.cases
// realistic cases) at two central stores, one plain and one whose unit
// switched sealing on before the cases were written (so each is sealed
// at submit), synced by a fresh gateway each, in the same iteration:
// cases/s for both and their ratio (the goal is sealed ≥ 0.8 × plain),
// and the ratios of their CPU time and bytes written (sealed / plain).
func BenchmarkSyncSealed(b *testing.B) {
	n := *benchCases
	plain := startCentral(b)
	submitRealistic(b, plain, n)

	sealed := startCentral(b)
	tmpl := newSealedTemplate(b)
	g0 := tmpl.gateway(b, sealed.url())
	g0.start()
	deadline := time.Now().Add(30 * time.Second)
	for g0.up.Status().Sealing != SealingOn {
		if time.Now().After(deadline) {
			b.Fatalf("sealing not on: %+v", g0.up.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	g0.stop()
	start := time.Now()
	submitRealistic(b, sealed, n)
	b.Logf("%d sealed cases submitted in %v", n, time.Since(start).Round(time.Millisecond))

	var plainTime, sealedTime, plainCPU, sealedCPU time.Duration
	var plainWritten, sealedWritten int64
	for b.Loop() {
		b.StopTimer()
		gp := newGateway(b, plain.url(), unitCert(b), func(cfg *Config) { cfg.Logger = nil })
		gs := tmpl.gateway(b, sealed.url())
		b.StartTimer()
		t0, c0, w0 := time.Now(), processCPU(b), processWriteBytes(b)
		gp.start()
		waitCount(b, gp.rec, n)
		plainTime += time.Since(t0)
		plainCPU += processCPU(b) - c0
		plainWritten += processWriteBytes(b) - w0
		gp.stop()
		t0, c0, w0 = time.Now(), processCPU(b), processWriteBytes(b)
		gs.start()
		waitCount(b, gs.rec, n)
		sealedTime += time.Since(t0)
		sealedCPU += processCPU(b) - c0
		sealedWritten += processWriteBytes(b) - w0
		gs.stop()
		if st := gs.up.Status(); st.SealedRefused != 0 || st.Quarantined != 0 {
			b.Fatalf("sealed: refused %d, quarantined %d", st.SealedRefused, st.Quarantined)
		}
	}
	iters := float64(b.N)
	rate := func(d time.Duration) float64 { return float64(n) * iters / d.Seconds() }
	b.ReportMetric(rate(plainTime), "plain-cases/s")
	b.ReportMetric(rate(sealedTime), "sealed-cases/s")
	b.ReportMetric(rate(sealedTime)/rate(plainTime), "ratio")
	// Where the sealed path's extra time goes, less swayed by the load of
	// other processes than wall time: its CPU (the central store serving
	// included) and its bytes written, each beside the plain sync's.
	b.ReportMetric(sealedCPU.Seconds()/plainCPU.Seconds(), "cpu-ratio")
	if plainWritten > 0 {
		b.ReportMetric(float64(sealedWritten)/float64(plainWritten), "written-ratio")
	}
	b.ReportMetric(0, "ns/op")
}
