package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/audit"
	"clinicgw/agent/cases"
	"clinicgw/agent/democlinic"
	"clinicgw/agent/store"
	"clinicgw/sync/wire/caseid"
	"clinicgw/sync/wire/casetype"
	"clinicgw/sync/wire/personnummer"
)

// BenchmarkColdStart starts the built clinicgw binary as region IT's
// service manager would (`clinicgw run --config`) on a clinic whose store
// holds CLINICGW_COLDSTART_CASES cases (default 100,000: half open, half
// closed, each with an access-log record), and measures the time from the
// process start to the web UI answering its login page over TLS. Beside
// it, in the same run, the reference: starting the same binary for
// `clinicgw version`, the cost of a process start alone. The page cache is
// warm (the seeding just wrote the file); dropping it needs more rights
// than a test has.
func BenchmarkColdStart(b *testing.B) {
	n := envCases("CLINICGW_COLDSTART_CASES", 100000)
	dir := b.TempDir()
	bin := buildGateway(b)
	clinicDir := filepath.Join(dir, "clinic")
	if err := os.Mkdir(clinicDir, 0o700); err != nil {
		b.Fatal(err)
	}
	dc, addr := benchClinic(b, clinicDir)
	defer dc.Close()
	seedStore(b, dc, n)
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: dc.PKI.RootPool(), MinVersion: tls.VersionTLS12}}}
	cfg := filepath.Join(clinicDir, "clinicgw.toml")

	var serving, version time.Duration
	for range b.N {
		start := time.Now()
		if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
			b.Fatalf("version: %v\n%s", err, out)
		}
		version += time.Since(start)

		cmd := exec.Command(bin, "run", "--config", cfg)
		start = time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			r, err := client.Get("https://" + addr + "/login")
			if err == nil {
				r.Body.Close()
				if r.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > time.Minute {
				cmd.Process.Kill()
				cmd.Wait()
				b.Fatalf("the web UI did not answer within a minute: %v", err)
			}
			time.Sleep(2 * time.Millisecond)
		}
		serving += time.Since(start)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("gateway after SIGTERM: %v", err)
		}
		client.CloseIdleConnections()
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(serving), "ms-to-serving")
	b.ReportMetric(ms(version), "ms-process-start")
	b.ReportMetric(float64(serving)/float64(version), "ratio")
	b.ReportMetric(0, "ns/op")
}

// envCases returns the positive number in the environment variable name,
// or def if it holds none.
func envCases(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// buildGateway builds this command into a temporary folder, with
// buildArgs added to `go build`, and returns the binary's path.
func buildGateway(b *testing.B, buildArgs ...string) string {
	bin := filepath.Join(b.TempDir(), "clinicgw")
	args := append(append([]string{"build", "-o", bin}, buildArgs...), ".")
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// benchClinic builds a demo clinic in dir whose web UI listens on a free
// loopback port, and returns it and that address. Close it.
func benchClinic(b *testing.B, dir string) (*democlinic.Clinic, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dc, err := democlinic.Build(dir, democlinic.Options{Unit: demoUnit, UnitName: demoUnitName, Origin: "https://" + addr, Listen: addr})
	if err != nil {
		b.Fatal(err)
	}
	return dc, addr
}

// seedStore writes n cases and an access-log record each into the
// clinic's store, 1000 per transaction.
func seedStore(b *testing.B, dc *democlinic.Clinic, n int) {
	ctx := context.Background()
	kek, err := store.LoadKeyFile(dc.Config.KeyFilePath())
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(ctx, dc.Config.StorePath(), kek, store.Options{Unit: demoUnit})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	text := fmt.Sprintf("%0*d", 1500, 0)
	for i := 0; i < n; i += 1000 {
		err := db.Update(ctx, func(tx cases.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				id, err := caseid.New(now.Add(time.Duration(j-n)*time.Second), nil)
				if err != nil {
					return err
				}
				pnr := personnummer.Synthetic(time.Date(1950+j%50, time.Month(1+j%12), 1+j%28, 0, 0, 0, 0, time.UTC), 980+j%20)
				st := cases.Received
				if j%2 == 1 {
					st = cases.Closed
				}
				c := &cases.Case{ID: id, Unit: demoUnit, Type: casetype.All[j%len(casetype.All)], Status: st,
					Patient: cases.Person{PNR: pnr, Name: "Test Testsson"}, ReceivedAt: now, DueAt: now.Add(48 * time.Hour),
					Messages: []cases.Message{{ID: "m1", Kind: cases.FromPatient, Author: "patient", Text: text, At: now}}}
				if err := tx.Insert(c); err != nil {
					return err
				}
				if err := tx.AppendAudit(audit.Entry{Time: now, Actor: "system", Unit: demoUnit, Action: string(cases.Receive),
					CaseID: string(id), Patient: string(pnr), Outcome: audit.Allowed}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
