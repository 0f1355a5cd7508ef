//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// `clinicgw reload PID` (the unit's ExecReload=) sends PID a real SIGHUP,
// on which the gateway reads its configuration again; without a usable
// PID it is a usage error and signals nothing.
func TestReloadSignals(t *testing.T) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	for _, args := range [][]string{{"reload"}, {"reload", "abc"}, {"reload", "1"}, {"reload", "0"}, {"reload", "12", "13"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage {
			t.Errorf("clinicgw %q: exit %d, want %d\n%s", args, code, exitUsage, errb.String())
		}
	}
	select {
	case <-hup:
		t.Fatal("a usage error sent SIGHUP")
	default:
	}

	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"reload", strconv.Itoa(os.Getpid())}, &out, &errb); code != exitOK {
		t.Fatalf("clinicgw reload %d: exit %d\n%s%s", os.Getpid(), code, out.String(), errb.String())
	}
	select {
	case <-hup:
	case <-time.After(10 * time.Second):
		t.Fatal("clinicgw reload sent no SIGHUP")
	}
}
