//go:build cpuprofile

package main

import (
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Built with the tag cpuprofile only (BenchmarkRunBacklog builds so when
// CLINICGW_RUNBACKLOG_CPUPROFILE is set; never a release build): with
// CLINICGW_CPUPROFILE=FILE in its environment the process writes a CPU
// profile of itself to FILE from its start until it receives SIGUSR2.
func init() {
	path := os.Getenv("CLINICGW_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR2)
	go func() {
		<-ch
		signal.Stop(ch)
		pprof.StopCPUProfile()
		f.Close()
	}()
}
