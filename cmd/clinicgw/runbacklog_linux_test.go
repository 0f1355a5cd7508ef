package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"clinicgw/agent/democlinic"
	"clinicgw/sync/central/backlogtest"
)

// BenchmarkRunBacklog is the backlog as region IT meets it: the built
// clinicgw binary started as its service manager would (`clinicgw run
// --config`, its own process, logging as configured: its stderr to a
// file) on a demo clinic whose reference central store (on loopback,
// mutual TLS, in this test's process) holds CLINICGW_RUNBACKLOG_CASES
// realistic cases (default 100,000; backlogtest.Submission; with
// CLINICGW_RUNBACKLOG_MAXSIZE=1 maximum-size ones, default 1,500: see
// runBacklogMaxSize), and the time
// from the process start until the central store has every event
// acknowledged (Acked = Head: every case committed in the gateway's store
// and its ack sent), polled every 5 ms. Every service of the gateway
// runs: the web UI, the integration API if configured, the loops.
//
// Reported: s/sync and cases/s; s-to-first-ack (the process, its store
// and services up, the first commit acknowledged); the gateway's CPU
// seconds (cpu-s/sync: /proc/PID/stat at the synced moment, its system
// part apart as sys-cpu-s/sync: the kernel's, which cachegrind's count
// below does not hold;
// cpu-s-to-exit: its rusage after SIGTERM, the shutdown included); the
// CPU seconds, bytes allocated and garbage collections of this process,
// which serves the central store, over the same time (central-cpu-s/sync,
// central-alloc-MB/sync, central-gc/sync); the gateway's peak RssAnon (/proc/PID/statm,
// polled with Acked: anonReader) and VmHWM (its rusage's maxrss, the store file
// mapped); bytes it wrote (/proc/PID/io write_bytes at the synced
// moment). Beside it, in the same iteration, the reference: the same
// events' bytes written durably into a plain bbolt file, one commit per
// inbox page of 500 (backlogtest.PlainWrite), its cases/s and bytes, and
// the ratios. The set-up's writes are flushed (sync(2)), and its garbage
// collected and its memory given back to the OS, before the gateway
// starts.
//
// The gateway is built from the source in the working directory when the
// benchmark starts, not from the source the test binary was built of: a
// test binary kept to compare two versions builds the same gateway for
// both. CLINICGW_RUNBACKLOG_BIN=FILE runs the clinicgw binary FILE
// instead (built with the tag cpuprofile for the profiles and the trace
// below), to compare builds of two versions of the gateway.
//
// CLINICGW_RUNBACKLOG_ENV adds variables to the gateway's environment
// only (space-separated NAME=VALUE, e.g. "GOGC=400 GOMEMLIMIT=64MiB"),
// not to this process's, which serves the central store.
// CLINICGW_RUNBACKLOG_LOG=FILE keeps the gateway's log (its stderr) in
// FILE instead of the temporary folder, e.g. with GODEBUG=gctrace=1.
// CLINICGW_RUNBACKLOG_CPUPROFILE=FILE builds the gateway with the tag
// cpuprofile (cpuprofile_linux.go) and writes its CPU profile from its
// start to the synced moment to FILE (the last iteration's);
// CLINICGW_RUNBACKLOG_MEMPROFILE=FILE likewise its allocation profile
// (CLINICGW_MEMPROFILERATE in CLINICGW_RUNBACKLOG_ENV sets its sampling).
// CLINICGW_RUNBACKLOG_TRACE=FILE likewise its execution trace
// (runtime/trace; read with `go tool trace`): which goroutine waited on
// what, the one that applies the backlog among them.
// CLINICGW_RUNBACKLOG_CACHEGRIND=FILE runs the gateway under valgrind's
// cachegrind, its counts in FILE, and reports the instructions it ran from
// its start to its exit (gateway-Ginstr; the sync is some fifty times
// slower, so its times mean nothing then): the same binary on the same
// backlog runs the same count within about 1 %, whatever else the machine
// does, where its CPU seconds vary by a quarter from run to run. valgrind
// runs SHA-256 without the SHA extensions the machine has: its
// instructions are reported apart (gateway-sha256-Ginstr), a count some
// ten times what the machine runs. A backlog of 10,000
// (CLINICGW_RUNBACKLOG_CASES) takes about 20 s.
// CLINICGW_RUNBACKLOG_CENTRALPROFILE=FILE writes this process's own CPU
// profile (the central store serving, and the polling) from the gateway's
// start to the synced moment to FILE (the last iteration's).
func BenchmarkRunBacklog(b *testing.B) {
	n := envCases("CLINICGW_RUNBACKLOG_CASES", runBacklogCases())
	childEnv := append(os.Environ(), strings.Fields(os.Getenv("CLINICGW_RUNBACKLOG_ENV"))...)
	var tags []string
	var profiles []string
	for _, p := range []struct{ bench, child string }{{"CLINICGW_RUNBACKLOG_CPUPROFILE", "CLINICGW_CPUPROFILE"}, {"CLINICGW_RUNBACKLOG_MEMPROFILE", "CLINICGW_MEMPROFILE"}, {"CLINICGW_RUNBACKLOG_TRACE", "CLINICGW_TRACE"}} {
		if f := os.Getenv(p.bench); f != "" {
			tags = []string{"-tags", "cpuprofile"}
			childEnv = append(childEnv, p.child+"="+f)
			profiles = append(profiles, f)
		}
	}
	cachegrind := os.Getenv("CLINICGW_RUNBACKLOG_CACHEGRIND")
	if cachegrind != "" {
		if _, err := exec.LookPath("valgrind"); err != nil {
			b.Fatal("CLINICGW_RUNBACKLOG_CACHEGRIND needs valgrind (apt-get install valgrind)")
		}
	}
	bin := os.Getenv("CLINICGW_RUNBACKLOG_BIN")
	if bin == "" {
		bin = buildGateway(b, tags...)
	}
	var r, total backlogRun
	b.StopTimer()
	for range b.N {
		r = runBacklogOnce(b, bin, n, childEnv, profiles, cachegrind)
		total.add(r)
	}
	iters := float64(b.N)
	rate := float64(n) * iters / total.sync.Seconds()
	boltRate := float64(n) * iters / total.bolt.Seconds()
	b.ReportMetric(total.sync.Seconds()/iters, "s/sync")
	b.ReportMetric(rate, "cases/s")
	b.ReportMetric(total.firstAck.Seconds()/iters, "s-to-first-ack")
	b.ReportMetric(total.cpu.Seconds()/iters, "cpu-s/sync")
	b.ReportMetric(total.sysCPU.Seconds()/iters, "sys-cpu-s/sync")
	b.ReportMetric(total.cpuExit.Seconds()/iters, "cpu-s-to-exit")
	b.ReportMetric(total.centralCPU.Seconds()/iters, "central-cpu-s/sync")
	b.ReportMetric(float64(total.centralAlloc)/iters/1e6, "central-alloc-MB/sync")
	b.ReportMetric(float64(total.centralGCs)/iters, "central-gc/sync")
	b.ReportMetric(float64(total.written)/iters/1e6, "written-MB/sync")
	b.ReportMetric(float64(r.peakAnon)/(1<<20), "peak-RssAnon-MiB") // the last iteration's
	b.ReportMetric(float64(r.hwm)/(1<<20), "VmHWM-MiB")
	b.ReportMetric(boltRate, "bolt-cases/s")
	b.ReportMetric(float64(total.boltWritten)/iters/1e6, "bolt-written-MB")
	b.ReportMetric(rate/boltRate, "ratio-bolt")
	if cachegrind != "" {
		b.ReportMetric(float64(total.ir)/iters/1e9, "gateway-Ginstr")
		b.ReportMetric(float64(total.irSHA256)/iters/1e9, "gateway-sha256-Ginstr")
	}
	if total.boltWritten > 0 {
		b.ReportMetric(float64(total.written)/float64(total.boltWritten), "written-ratio")
	}
	b.ReportMetric(0, "ns/op")
}

// backlogRun is what one iteration of BenchmarkRunBacklog measured.
type backlogRun struct {
	sync, cpu, cpuExit, bolt time.Duration
	sysCPU                   time.Duration // the system's part of cpu (the kernel's work for it)
	centralCPU               time.Duration // this process (the central store serving) during the sync
	centralAlloc             uint64        // bytes this process allocated during the sync
	centralGCs               uint32        // its garbage collections during the sync
	firstAck                 time.Duration // from the start to the first acknowledgement
	written, boltWritten     int64
	peakAnon, hwm            int64 // bytes
	ir, irSHA256             int64 // instructions, under CLINICGW_RUNBACKLOG_CACHEGRIND
}

func (t *backlogRun) add(r backlogRun) {
	t.sync += r.sync
	t.cpu += r.cpu
	t.sysCPU += r.sysCPU
	t.cpuExit += r.cpuExit
	t.centralCPU += r.centralCPU
	t.centralAlloc += r.centralAlloc
	t.centralGCs += r.centralGCs
	t.firstAck += r.firstAck
	t.bolt += r.bolt
	t.written += r.written
	t.boltWritten += r.boltWritten
	t.ir += r.ir
	t.irSHA256 += r.irSHA256
}

// runBacklogOnce builds a clinic with a central store holding n cases,
// writes the reference, and times one `clinicgw run` until it is synced.
// The timer is stopped when it is called; it runs only around the
// gateway's sync and is stopped again on return.
func runBacklogOnce(b *testing.B, bin string, n int, env []string, profiles []string, cachegrind string) backlogRun {
	ctx := context.Background()
	dir := b.TempDir()
	dc, _ := benchClinic(b, dir)
	defer dc.Close()
	cs, err := dc.StartCentral(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer cs.Close()
	t0 := time.Now()
	submitBacklog(ctx, b, dc, cs, n) // runbacklog_max_linux_test.go
	head, err := cs.Store.Head(ctx, demoUnit)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d cases submitted in %v (head %d)", n, time.Since(t0).Round(time.Millisecond), head)

	var r backlogRun
	r.bolt, r.boltWritten = plainReference(b, dc, cs.APIURL, filepath.Join(dir, "plain.db"))
	syscall.Sync()
	// Collected and given back to the OS now, not by the scavenger during
	// the sync (the reference's pages: 0.08 CPU-s of this process's
	// profile over the sync before).
	debug.FreeOSMemory()

	logPath := os.Getenv("CLINICGW_RUNBACKLOG_LOG")
	if logPath == "" {
		logPath = filepath.Join(dir, "gateway.log")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "run", "--config", dc.Config.Path())
	if cachegrind != "" {
		cmd = exec.Command("valgrind", "--tool=cachegrind", "--cache-sim=no", "--branch-sim=no",
			"--cachegrind-out-file="+cachegrind, bin, "run", "--config", dc.Config.Path())
	}
	cmd.Stdout, cmd.Stderr, cmd.Env = logFile, logFile, env
	if path := os.Getenv("CLINICGW_RUNBACKLOG_CENTRALPROFILE"); path != "" {
		stop := startSelfProfile(b, path)
		defer stop()
	}
	b.StartTimer()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	start, cpu0 := time.Now(), selfCPU(b)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	pid := cmd.Process.Pid
	// An early exit (a config it refuses, a store it cannot open) ends the
	// benchmark at once, not after the wait below.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	anon, err := newAnonReader(pid)
	if err != nil {
		b.Fatal(err)
	}
	defer anon.Close()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for {
		acked, err := cs.Store.Acked(ctx, demoUnit)
		if err != nil {
			b.Fatal(err)
		}
		if acked > 0 && r.firstAck == 0 {
			r.firstAck = time.Since(start)
		}
		if a := anon.bytes(); a > r.peakAnon {
			r.peakAnon = a
		}
		if acked == head {
			r.sync = time.Since(start)
			b.StopTimer()
			r.cpu, r.sysCPU = procCPU(b, pid)
			r.centralCPU = selfCPU(b) - cpu0
			runtime.ReadMemStats(&ms1)
			r.centralAlloc, r.centralGCs = ms1.TotalAlloc-ms0.TotalAlloc, ms1.NumGC-ms0.NumGC
			pprof.StopCPUProfile() // the synced moment (a no-op without one)
			r.written = procWriteBytes(b, pid)
			break
		}
		if time.Since(start) > 5*time.Minute {
			cmd.Process.Kill()
			<-exited
			b.Fatalf("%d of %d events acknowledged after 5 minutes; the gateway's log: %s", acked, head, tail(logFile.Name()))
		}
		select {
		case err := <-exited:
			b.Fatalf("the gateway exited before it was synced (%v); its log: %s", err, tail(logFile.Name()))
		case <-poll.C:
		}
	}
	if len(profiles) > 0 {
		stopProfile(b, cmd.Process, profiles)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		b.Fatalf("gateway after SIGTERM: %v; its log: %s", err, tail(logFile.Name()))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpuExit = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	r.hwm = ru.Maxrss << 10
	if cachegrind != "" {
		r.ir, r.irSHA256 = cachegrindCounts(b, cachegrind)
	}
	return r
}

// selfCPU is the CPU time this process (the central store and the
// benchmark's polling) has used so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startSelfProfile starts this process's CPU profile into a new file at
// path; the function it returns stops it and closes the file.
func startSelfProfile(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// stopProfile asks the gateway built with the tag cpuprofile to end its
// profiles (SIGUSR2) and waits until each is written to its path.
func stopProfile(b *testing.B, p *os.Process, paths []string) {
	p.Signal(syscall.SIGUSR2)
	for _, path := range paths {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
				time.Sleep(200 * time.Millisecond) // its last write
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no profile in %s", path)
			}
		}
	}
}

// plainReference fetches the unit's whole inbox from the central store as
// the gateway would (its client certificate, pages of wire.MaxInboxLimit)
// and writes its events durably into a plain bbolt file at path
// (backlogtest.PlainWrite); it returns the write's time and the bytes
// this process wrote meanwhile (/proc/self/io).
func plainReference(b *testing.B, dc *democlinic.Clinic, url, path string) (time.Duration, int64) {
	cl := unitClient(b, dc)
	defer cl.CloseIdleConnections()
	raw, err := backlogtest.InboxPages(cl, url)
	if err != nil {
		b.Fatal(err)
	}
	pages, err := backlogtest.SplitEvents(raw)
	if err != nil {
		b.Fatal(err)
	}
	w0 := procWriteBytes(b, os.Getpid())
	d, err := backlogtest.PlainWrite(path, pages)
	if err != nil {
		b.Fatal(err)
	}
	return d, procWriteBytes(b, os.Getpid()) - w0
}

// procCPU returns the user and system CPU time process pid has used, from
// /proc/PID/stat (fields 14 and 15, in clock ticks of 1/100 s): the sum,
// and the system time alone.
func procCPU(b *testing.B, pid int) (total, sys time.Duration) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, data)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, time.Duration(stime) * 10 * time.Millisecond
}

// procWriteBytes returns the bytes process pid has sent to storage
// (/proc/PID/io write_bytes).
func procWriteBytes(b *testing.B, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatalf("/proc/%d/io has no write_bytes", pid)
	return 0
}

// procStatusBytes returns a "kB" field of /proc/PID/status (e.g. RssAnon)
// in bytes, 0 if the process or the field is gone.
func procStatusBytes(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// tail returns the last 2 KB of the file at path, for a failure's message.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	return string(data[max(0, len(data)-2048):])
}

// cachegrindCounts reads cachegrind's output at path: the program's
// instructions in all (its summary line) and those of SHA-256's block
// functions (by the fn= lines of the counts that follow them).
func cachegrindCounts(b *testing.B, path string) (total, sha int64) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	inSHA := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "summary: "):
			total, err = strconv.ParseInt(strings.TrimPrefix(line, "summary: "), 10, 64)
			if err != nil {
				b.Fatalf("%s: %q", path, line)
			}
		case strings.HasPrefix(line, "fn="):
			inSHA = strings.Contains(line, "sha256.block")
		case inSHA && line != "" && line[0] >= '0' && line[0] <= '9':
			if _, n, ok := strings.Cut(line, " "); ok {
				v, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					b.Fatalf("%s: %q", path, line)
				}
				sha += v
			}
		}
	}
	if total == 0 {
		b.Fatalf("%s: no summary line", path)
	}
	return total, sha
}
