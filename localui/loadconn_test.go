package localui_test

import (
	"context"
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The load test's view from the gateway's side. Client and gateway share
// one process (and the central store too), so a page's time on the
// client's clock holds the load generator's own work and waiting: its TLS
// and gzip, and its goroutine's turn on the CPU after the answer came.
// connTimes measures on the UI's listener, beneath its TLS, how long the
// gateway took from a request's first bytes read to its answer's last
// bytes written; runStats says how busy the process was.

// connKinds names the client connections by their local port: the
// kind of request a load generator's transport sends on them, and how
// many it sent on each.
type connKinds struct {
	m    sync.Map // port → kind
	mu   sync.Mutex
	sent map[int]int // port → requests
}

// count returns ctx for a request whose connection is to count it.
func (k *connKinds) count(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.sent == nil {
			k.sent = map[int]int{}
		}
		k.sent[i.Conn.LocalAddr().(*net.TCPAddr).Port]++
	}})
}

// transport is an HTTP transport whose connections are counted as kind.
func (k *connKinds) transport(base *http.Transport, kind string) *http.Transport {
	tr := base.Clone()
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			k.m.Store(c.LocalAddr().(*net.TCPAddr).Port, kind)
		}
		return c, err
	}
	return tr
}

// connTimes is a listener that times the requests on its connections.
type connTimes struct {
	net.Listener
	mu   sync.Mutex
	took map[int][]time.Duration // by the client's port
}

func timeConns(ln net.Listener) *connTimes {
	return &connTimes{Listener: ln, took: map[int][]time.Duration{}}
}

func (l *connTimes) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &timedConn{Conn: c, l: l, port: c.RemoteAddr().(*net.TCPAddr).Port}, nil
}

// of returns the times of the requests on the connections of kind: on
// each, the last exchanges, as many as its client sent requests on it
// (those before were the TLS handshake's).
func (l *connTimes) of(k *connKinds, kind string) []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []time.Duration
	for port, d := range l.took {
		if v, ok := k.m.Load(port); ok && v == kind {
			out = append(out, d[max(0, len(d)-k.sent[port]):]...)
		}
	}
	return out
}

// timedConn: an exchange starts with the first bytes read after an
// answer was written and ends with the last bytes written before the next
// exchange's (HTTP/1.1 asks one at a time on a connection). The TLS
// handshake makes one or two exchanges before the first request's.
type timedConn struct {
	net.Conn
	l    *connTimes
	port int

	mu         sync.Mutex
	start, end time.Time
}

func (c *timedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		now := time.Now()
		c.mu.Lock()
		if !c.end.IsZero() {
			c.done()
		}
		if c.start.IsZero() {
			c.start = now
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *timedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	now := time.Now()
	c.mu.Lock()
	if !c.start.IsZero() {
		c.end = now
	}
	c.mu.Unlock()
	return n, err
}

func (c *timedConn) Close() error {
	c.mu.Lock()
	if !c.end.IsZero() {
		c.done()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// done records the exchange that ended; c.mu held.
func (c *timedConn) done() {
	c.l.mu.Lock()
	c.l.took[c.port] = append(c.l.took[c.port], c.end.Sub(c.start))
	c.l.mu.Unlock()
	c.start, c.end = time.Time{}, time.Time{}
}

// runStats is how busy the process and the machine were between two
// readings: the CPU the process used (Linux: /proc/self/stat; elsewhere
// nothing), the collections, how long runnable goroutines waited for a
// CPU, and the machine's CPUs: busy with any process, and stolen by the
// hypervisor (/proc/stat).
type runStats struct {
	wall      time.Time
	cpu       time.Duration
	majFaults int64
	haveCPU   bool
	samples   []metrics.Sample
	machine   machineTicks
}

func readRunStats() runStats {
	s := runStats{wall: time.Now(), samples: []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/sched/latencies:seconds"},
	}}
	metrics.Read(s.samples)
	s.cpu, s.majFaults, s.haveCPU = processCPU()
	s.machine = readMachineTicks()
	return s
}

// processCPU is the process's user and system CPU time and its major
// page faults (a page read from the disk: this machine's kernel pages out
// file pages not touched for a minute) from /proc/self/stat (fields 14,
// 15 in clock ticks of 1/100 s, and 12).
func processCPU() (time.Duration, int64, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, 0, false
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0, 0, false
	}
	maj, err0 := strconv.ParseInt(f[9], 10, 64)
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err0 != nil || err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return time.Duration(u+s) * 10 * time.Millisecond, maj, true
}

// machineTicks are the whole machine's CPU ticks from /proc/stat's first
// line: all, busy (neither idle nor waiting for the disk), and stolen by
// the hypervisor for other machines; zero where there is no /proc/stat.
type machineTicks struct{ all, busy, steal int64 }

func readMachineTicks() machineTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return machineTicks{}
	}
	var m machineTicks
	for i, v := range f[1:9] { // user nice system idle iowait irq softirq steal
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return machineTicks{}
		}
		m.all += n
		switch i {
		case 3, 4: // idle, iowait
		case 7:
			m.steal += n
		default:
			m.busy += n
		}
	}
	return m
}

// runReport is what happened between two runStats.
type runReport struct {
	cores     float64 // the process's CPU time over the wall time; 0: unknown
	majFaults int64
	gcs       uint64
	schedP99  time.Duration
	// machineBusy is the share of the machine's CPU time busy with any
	// process, this one too; steal the share the hypervisor took. -1:
	// unknown.
	machineBusy, steal float64
}

func (s runStats) since(before runStats) runReport {
	var r runReport
	if s.haveCPU && before.haveCPU {
		r.cores = float64(s.cpu-before.cpu) / float64(s.wall.Sub(before.wall))
		r.majFaults = s.majFaults - before.majFaults
	}
	r.gcs = s.samples[0].Value.Uint64() - before.samples[0].Value.Uint64()
	after, prev := s.samples[1].Value.Float64Histogram(), before.samples[1].Value.Float64Histogram()
	var total uint64
	counts := make([]uint64, len(after.Counts))
	for i := range after.Counts {
		counts[i] = after.Counts[i] - prev.Counts[i]
		total += counts[i]
	}
	var seen uint64
	for i, n := range counts {
		seen += n
		if total > 0 && seen*100 >= total*99 {
			top := after.Buckets[i+1]
			if math.IsInf(top, 1) {
				top = after.Buckets[i]
			}
			r.schedP99 = time.Duration(top * float64(time.Second))
			break
		}
	}
	r.machineBusy, r.steal = -1, -1
	if all := s.machine.all - before.machine.all; all > 0 {
		r.machineBusy = float64(s.machine.busy-before.machine.busy) / float64(all)
		r.steal = float64(s.machine.steal-before.machine.steal) / float64(all)
	}
	return r
}

// cpuCalibration is the best of five timings of a fixed piece of work
// (SHA-256 of 4 MiB, about 2 ms on this project's 2-core machine at load
// 15): taken before a run, it says how fast a CPU was then, which the
// machine's load and steal do not always say (a busy neighbour on the
// same host core).
func cpuCalibration() time.Duration {
	buf := make([]byte, 4<<20)
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t0 := time.Now()
		sha256.Sum256(buf)
		best = min(best, time.Since(t0))
	}
	return best
}
