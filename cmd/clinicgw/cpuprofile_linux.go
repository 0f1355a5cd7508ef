//go:build cpuprofile

package main

import (
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"syscall"
)

// Built with the tag cpuprofile only (BenchmarkRunBacklog builds so when
// CLINICGW_RUNBACKLOG_CPUPROFILE, _MEMPROFILE or _TRACE is set; never a
// release build): with CLINICGW_CPUPROFILE=FILE in its
// environment the process writes a CPU profile of itself to FILE from its
// start until it receives SIGUSR2; with CLINICGW_MEMPROFILE=FILE it
// writes its allocation profile (every allocation since the start,
// sampled every CLINICGW_MEMPROFILERATE bytes, default 4096) to FILE at
// that SIGUSR2; with CLINICGW_TRACE=FILE it writes its execution trace
// (runtime/trace) to FILE from its start until that SIGUSR2.
func init() {
	cpu, mem, tr := os.Getenv("CLINICGW_CPUPROFILE"), os.Getenv("CLINICGW_MEMPROFILE"), os.Getenv("CLINICGW_TRACE")
	if cpu == "" && mem == "" && tr == "" {
		return
	}
	tf := startInto(tr, trace.Start)
	if mem != "" {
		runtime.MemProfileRate = 4096
		if r, err := strconv.Atoi(os.Getenv("CLINICGW_MEMPROFILERATE")); err == nil && r > 0 {
			runtime.MemProfileRate = r
		}
	}
	f := startInto(cpu, pprof.StartCPUProfile)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR2)
	go func() {
		<-ch
		signal.Stop(ch)
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
		if mem != "" {
			writeMemProfile(mem)
		}
		if tf != nil {
			trace.Stop()
			tf.Close()
		}
	}()
}

// startInto creates the file at path and starts writing into it with
// start; nil for an empty path.
func startInto(path string, start func(io.Writer) error) *os.File {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := start(f); err != nil {
		panic(err)
	}
	return f
}

// writeMemProfile writes the allocation profile as of the last collection
// (one is run first, so that it holds everything up to now) to path, via
// a temporary file renamed into place: the benchmark waits for the file.
func writeMemProfile(path string) {
	runtime.GC()
	f, err := os.Create(path + ".tmp")
	if err != nil {
		panic(err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		panic(err)
	}
}
