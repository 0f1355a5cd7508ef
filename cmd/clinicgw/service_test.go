package main

import (
	"encoding/xml"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"

	"clinicgw/systemd"
)

// eventSink is a kardianos/service Logger that keeps what it is given:
// the Windows Event Log's place in a test.
type eventSink struct{ events []string }

func (s *eventSink) add(kind string, v []any) error {
	s.events = append(s.events, kind+": "+fmt.Sprint(v...))
	return nil
}
func (s *eventSink) Error(v ...any) error   { return s.add("error", v) }
func (s *eventSink) Warning(v ...any) error { return s.add("warning", v) }
func (s *eventSink) Info(v ...any) error    { return s.add("info", v) }
func (s *eventSink) Errorf(f string, a ...any) error {
	return s.add("error", []any{fmt.Sprintf(f, a...)})
}
func (s *eventSink) Warningf(f string, a ...any) error {
	return s.add("warning", []any{fmt.Sprintf(f, a...)})
}
func (s *eventSink) Infof(f string, a ...any) error {
	return s.add("info", []any{fmt.Sprintf(f, a...)})
}

func TestSystemLogHandler(t *testing.T) {
	sink := &eventSink{}
	log := slog.New(newSystemLogHandler(sink, slog.LevelInfo))
	log.Debug("not sent")
	log.Info("service starting", "version", "1.2.3")
	part := log.With("part", "uplink").WithGroup("central")
	part.Warn("central store unreachable", "attempt", 3)
	log.Error("service failed", "err", "store: locked\nby another process")
	want := []string{
		`info: level=INFO msg="service starting" version=1.2.3`,
		`warning: level=WARN msg="central store unreachable" part=uplink central.attempt=3`,
		`error: level=ERROR msg="service failed" err="store: locked\nby another process"`,
	}
	if !slices.Equal(sink.events, want) {
		t.Errorf("events:\n%q\nwant\n%q", sink.events, want)
	}
}

func TestQuotedCommandLine(t *testing.T) {
	const exe = `C:\Program Files\clinicgw\clinicgw.exe`
	for _, tt := range []struct {
		in, want string
		changed  bool
	}{
		{exe + ` run --config "C:\ProgramData\clinicgw\clinicgw.toml"`, `"` + exe + `" run --config "C:\ProgramData\clinicgw\clinicgw.toml"`, true},
		{`c:\program files\clinicgw\clinicgw.exe run`, `"c:\program files\clinicgw\clinicgw.exe" run`, true},
		{`"` + exe + `" run`, `"` + exe + `" run`, false},
		{exe + `x run`, exe + `x run`, false},
	} {
		got, changed := quotedCommandLine(tt.in, exe)
		if got != tt.want || changed != tt.changed {
			t.Errorf("quotedCommandLine(%q) = %q, %v; want %q, %v", tt.in, got, changed, tt.want, tt.changed)
		}
	}
	if got, changed := quotedCommandLine(`C:\clinicgw.exe run`, `C:\clinicgw.exe`); changed {
		t.Errorf("a path without a space was quoted: %q", got)
	}
}

// TestServiceNames: the MSI's service, the systemd unit and the binary's
// service commands must name the same service, or `clinicgw start` and
// the Event Log would look for another one.
func TestServiceNames(t *testing.T) {
	if systemd.UnitName != serviceName+".service" {
		t.Errorf("systemd unit %q, service name %q", systemd.UnitName, serviceName)
	}
	b, err := os.ReadFile("../../packaging/windows/clinicgw.wxs")
	if err != nil {
		t.Fatal(err)
	}
	var wix struct {
		Installs []struct {
			Name      string `xml:"Name,attr"`
			Arguments string `xml:"Arguments,attr"`
		} `xml:"Product>Directory>Directory>Directory>Component>ServiceInstall"`
		Controls []struct {
			Name string `xml:"Name,attr"`
		} `xml:"Product>Directory>Directory>Directory>Component>ServiceControl"`
	}
	if err := xml.Unmarshal(b, &wix); err != nil {
		t.Fatal(err)
	}
	if len(wix.Installs) != 1 || wix.Installs[0].Name != serviceName {
		t.Errorf("the MSI's ServiceInstall: %+v, want one named %q", wix.Installs, serviceName)
	} else if !strings.HasPrefix(wix.Installs[0].Arguments, "run --config ") {
		t.Errorf("the MSI's service arguments %q do not run the gateway", wix.Installs[0].Arguments)
	}
	if len(wix.Controls) == 0 {
		t.Error("the MSI has no ServiceControl")
	}
	for _, c := range wix.Controls {
		if c.Name != serviceName {
			t.Errorf("the MSI's ServiceControl names %q, want %q", c.Name, serviceName)
		}
	}
}
