package config

import (
	"strconv"
	"strings"
)

// Runtime is the gateway process's own resources.
type Runtime struct {
	// MemoryLimit is the Go runtime's soft memory limit for `clinicgw
	// run` (runtime/debug.SetMemoryLimit): a size as GOMEMLIMIT writes it,
	// "64MiB", or "off"; DefaultMemoryLimit if empty. GOMEMLIMIT in the
	// service's environment wins over it.
	MemoryLimit string `toml:"memory_limit" want:"a size, like \"64MiB\", or \"off\"" doc:"The gateway's soft memory limit: its collector works harder as the Go\nheap nears it, holding the process's memory near it through a backlog\n(a size, like \"64MiB\"; at least 32MiB; \"off\": none). GOMEMLIMIT in the\nservice's environment wins. Empty: off."`
}

// DefaultMemoryLimit is runtime.memory_limit's default: none (-1). A
// limit of 64 MiB held a 100,000-case backlog's peak RssAnon at 59 MiB
// on a loaded machine, but on an idle one the gateway peaked at 58–60
// MiB without it, and under staff load a limit near the live heap makes
// the collector run without pause: `make load`'s process at 64 MiB had
// its p99 page go from 108 ms to 1187 ms (README, Performance). A unit
// that must hold the gateway to a size sets one.
const DefaultMemoryLimit = -1

// minMemoryLimit is the least runtime.memory_limit: below it the
// collector would run all the time on an ordinary sync.
const minMemoryLimit = 32 << 20

// MemoryLimitBytes is runtime.memory_limit in bytes (validated), -1 for
// "off", DefaultMemoryLimit if empty.
func (r Runtime) MemoryLimitBytes() int64 {
	n, _ := parseMemoryLimit(r.MemoryLimit)
	return n
}

func (r Runtime) validate(p *problems) {
	if n, ok := parseMemoryLimit(r.MemoryLimit); !ok {
		p.table("runtime")("memory_limit", "%q: expected a size like \"64MiB\" or \"1GiB\" (B, KiB, MiB, GiB, TiB; bytes without a suffix), or \"off\"", r.MemoryLimit)
	} else if n >= 0 && n < minMemoryLimit {
		p.table("runtime")("memory_limit", "%q is too small: the gateway needs at least 32MiB; expected a size like \"64MiB\", or \"off\"", r.MemoryLimit)
	}
}

// parseMemoryLimit reads a size as GOMEMLIMIT has it: a whole number of
// bytes with an optional suffix B, KiB, MiB, GiB or TiB; "off" is -1, ""
// DefaultMemoryLimit.
func parseMemoryLimit(s string) (int64, bool) {
	switch s {
	case "":
		return DefaultMemoryLimit, true
	case "off":
		return -1, true
	}
	num, shift := s, 0
	for i, suffix := range []string{"TiB", "GiB", "MiB", "KiB", "B"} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			num, shift = v, 10*(4-i)
			break
		}
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > (1<<63-1)>>shift {
		return 0, false
	}
	return n << shift, true
}
