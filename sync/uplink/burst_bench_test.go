//go:build linux

package uplink

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	burstCases     = flag.Int("uplink.burst", 1500, "maximum-size cases pre-submitted for BenchmarkBurstRSS")
	burstRealistic = flag.Bool("uplink.burst.realistic", false, "BenchmarkBurstRSS with realistic cases (backlogtest.Submission) instead of maximum-size ones")
	burstSmall     = flag.Bool("uplink.burst.small", false, "BenchmarkBurstRSS with small cases (smallSubmission) instead of maximum-size ones")
)

// burstGoalMiB is the goal for the gateway's own memory (RssAnon)
// while it pulls a backlog of maximum-size cases.
const burstGoalMiB = 64

const (
	burstURLEnv = "CLINICGW_UPLINK_BURST_URL"
	burstNEnv   = "CLINICGW_UPLINK_BURST_N"
)

// BenchmarkBurstRSS: a backlog of maximum-size cases (-uplink.burst,
// about 220 KB each on the wire) waits at the central store; a fresh
// gateway process (this binary as TestBurstRSSChild: the uplink, the case
// service and the encrypted store, the central store staying here) pulls
// it all, sampling its own RssAnon every few milliseconds. Reports the
// peak RssAnon and VmHWM in MiB, and the peak's ratio to the goal (64
// MiB; ≤ 1 meets it). -uplink.burst.realistic and -uplink.burst.small
// pull realistic or small cases instead (membound.go).
func BenchmarkBurstRSS(b *testing.B) {
	n := *burstCases
	c := startCentral(b)
	start := time.Now()
	switch {
	case *burstRealistic:
		submitRealistic(b, c, n)
	case *burstSmall:
		submitSmall(b, c, n)
	default:
		publishMaxForm(b, c)
		submitMax(b, c, 0, n)
	}
	b.Logf("%d cases submitted in %v", n, time.Since(start).Round(time.Millisecond))
	pkiDir := filepath.Join(b.TempDir(), "pki")
	if err := testPKI().WriteDir(pkiDir); err != nil {
		b.Fatal(err)
	}
	var peak, hwm, secs float64
	for range b.N {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBurstRSSChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), burstURLEnv+"="+c.url(), burstNEnv+"="+strconv.Itoa(n), pkiEnv+"="+pkiDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 2 {
				continue
			}
			v, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "peakRssAnonKB:":
				peak = max(peak, v/1024)
			case "vmHWMKB:":
				hwm = max(hwm, v/1024)
			case "seconds:":
				secs += v
			}
		}
	}
	b.ReportMetric(peak, "peak-RssAnon-MiB")
	b.ReportMetric(hwm, "VmHWM-MiB")
	b.ReportMetric(peak/burstGoalMiB, "ratio-goal")
	b.ReportMetric(float64(n)*float64(b.N)/secs, "cases/s")
}

// TestBurstRSSChild is BenchmarkBurstRSS's gateway process.
func TestBurstRSSChild(t *testing.T) {
	url := os.Getenv(burstURLEnv)
	if url == "" {
		t.Skip("helper process for BenchmarkBurstRSS")
	}
	n, _ := strconv.Atoi(os.Getenv(burstNEnv))
	var mu sync.Mutex
	peak := 0.0
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if v, ok := procStatusKB("RssAnon"); ok {
				mu.Lock()
				peak = max(peak, v)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	g := newGateway(t, url, unitCert(t), func(cfg *Config) { cfg.Logger = nil })
	t0 := time.Now()
	g.start()
	waitFor(t, 10*time.Minute, "the burst stored", func() bool { return g.rec.progress() >= n })
	d := time.Since(t0)
	close(stop)
	<-sampled
	g.stop()
	hwm, _ := procStatusKB("VmHWM")
	fmt.Printf("peakRssAnonKB: %.0f\nvmHWMKB: %.0f\nseconds: %.3f\n", peak, hwm, d.Seconds())
}

// procStatusKB reads one "Key: N kB" line of /proc/self/status.
func procStatusKB(key string) (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, err := strconv.ParseFloat(f[0], 64)
				return v, err == nil
			}
		}
	}
	return 0, false
}
