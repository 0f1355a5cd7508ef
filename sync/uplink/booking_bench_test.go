package uplink

import (
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"clinicgw/sync/clock"
)

// BenchmarkBookConfirm (issue 20): the patient's click on "Boka" until
// the patient page says the unit confirmed, with the gateway connected:
// the reference central store's patient pages over TLS, its sync API over
// mutual TLS, the gateway's uplink deciding with the booking authority on
// its encrypted store (a commit each at both ends). The uplink's push
// interval is the default (its safety net of 5 s): what answers the click
// is the central store announcing the request on the stream and waiting
// for the decision. A patient whose page still says "sent" reloads it
// every 20 ms. Reports p50, p99 and max in ms; page-p50-ms is one patient
// page read (the request's page, answered) in the same run, the floor of
// any click; load1 the machine's load average over the run's first minute.
func BenchmarkBookConfirm(b *testing.B) {
	n := b.N
	r := startBookingRig(b, DefaultPushInterval, max(10, n/20+1), 4, nil)
	if len(r.free) < n {
		b.Fatalf("%d free times; want %d", len(r.free), n)
	}
	patients := make([]*patient, n)
	for i := range patients {
		patients[i] = r.patient(b, i)
	}
	load := loadAvg()
	lat := make([]time.Duration, 0, n)
	var page []time.Duration
	b.ResetTimer()
	for i, p := range patients {
		start := time.Now()
		st, body, loc := p.do(http.MethodPost, "/boka/"+unit+"/tid/"+r.free[i].ID, nilForm)
		if st != http.StatusSeeOther {
			b.Fatalf("click %d: %d %.300s", i, st, body)
		}
		for {
			st, body, _ = p.do(http.MethodGet, loc, nil)
			if st != http.StatusOK {
				b.Fatalf("request page %d: %d", i, st)
			}
			if strings.Contains(body, pageConfirmed) {
				break
			}
			if !strings.Contains(body, pagePending) {
				b.Fatalf("booking %d not confirmed:\n%s", i, body)
			}
			<-clock.System.NewTimer(20 * time.Millisecond).C()
		}
		lat = append(lat, time.Since(start))
		t0 := time.Now()
		p.do(http.MethodGet, loc, nil)
		page = append(page, time.Since(t0))
	}
	b.StopTimer()
	q := func(d []time.Duration, p float64) float64 {
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(lat, 0.50), "p50-ms")
	b.ReportMetric(q(lat, 0.99), "p99-ms")
	b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "max-ms")
	b.ReportMetric(q(page, 0.50), "page-p50-ms")
	b.ReportMetric(max(load, loadAvg()), "load1")
}

// nilForm is an empty form: a POST with no fields.
var nilForm = map[string][]string{}

// loadAvg is the machine's load average over the last minute (0 where
// /proc/loadavg is missing).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}
