# clinicgw — build, demo and test. `make test` is what CI runs (.ci/run).
# Every target that builds or runs installs what is missing first (deps).

GO          ?= go
OUT         ?= /tmp/clinicgw-build
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHTIME   ?= 200ms
FUZZTIME    ?= 1m
CRASH_ROUNDS ?= 1000
SOAK_REPEAT ?= 20
SOAK_FUZZTIME ?= 10m
DEMO_ARGS   ?=
TESTFLAGS   ?= -count=1 -timeout 15m

.PHONY: all deps deps-package build demo test vet-windows check bench fuzz soak screenshots package package-clean package-linux package-windows package-test security bench-all bench-large load

all: build

# Installs the Debian packages the build, demo and tests need, only those
# missing; deps-package adds what the release packages need.
deps:
	@.ci/deps

deps-package:
	@.ci/deps package

# The binary goes outside the work tree (OUT); .gitignore keeps build
# output out of git all the same, and .ci/hygiene (in make test) refuses
# a tracked file over 1 MiB outside testdata/.
build: deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(OUT)/clinicgw ./cmd/clinicgw
	@echo "built $(OUT)/clinicgw"

# A seeded clinic in a fresh temporary folder: three weeks of history, the
# reference central store and the gateway syncing over mutual TLS, the
# staff web UI on https://127.0.0.1:8443, the demo staff's cards as
# SoftHSM2 tokens in a demo card reader (http://127.0.0.1:8445, PIN 1234),
# patients writing live, staff answering, new cases waiting in the inbox;
# then it serves until Ctrl-C. DEMO_ARGS="--once" to stop after the live
# part, "--cases 1000 --live 50 --dir DIR" to change it. The console tells
# the story; the technical log is the demo folder's demo.log. Ctrl-C stops
# it cleanly and removes the temporary folder (a --dir is kept). Built,
# then run: `go run` ends with status 1 on Ctrl-C whatever the program
# does, and make would report "Error 1".
demo: build
	$(OUT)/clinicgw demo $(DEMO_ARGS)

# gofmt, vet and staticcheck first; the browser tests (localui) need
# Debian's Chromium, and agent/fhirapi's the fhir npm package, which deps
# installs: here they fail rather than skip without them.
test: deps
	@.ci/hygiene
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	CLINICGW_REQUIRE_BROWSER=1 CLINICGW_REQUIRE_FHIR_VALIDATOR=1 $(GO) test $(TESTFLAGS) ./...

# vet for Windows, tests included (mingw's cgo for miekg/pkcs11): the
# service and the MSI's exe are built there, so code and tests must
# compile for it. CI runs it after make test.
vet-windows: deps-package
	CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc GOOS=windows GOARCH=amd64 $(GO) vet ./...

# Screenshots of the main pages (login, inbox, case, locked) in
# testdata/screenshots, from the browser test, for a reviewer to look at.
screenshots: deps
	CLINICGW_SCREENSHOTS=$(CURDIR)/testdata/screenshots $(GO) test -count=1 -run TestBrowserWorkflow ./localui/

# vet, staticcheck, then the whole suite.
check: deps vet-windows
	@.ci/hygiene
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...
	$(GO) test $(TESTFLAGS) ./...

# The performance table the README quotes: each figure beside its
# reference measured in the same run. BENCH_CASES (default 100000) sizes
# it; `make bench-all` runs every benchmark in the module instead.
bench: deps
	GO=$(GO) .ci/bench

# The pages at 1,000,000 cases (~4M access-log entries) beside 10,000, in
# one run (.ci/bench-large; BENCH_LARGE_CASES sizes it). The stores are
# built once and cached (CLINICGW_BENCH_CACHE, ~/.cache/clinicgw-bench).
bench-large: deps
	GO=$(GO) .ci/bench-large

# The load test: 200 staff sessions (websocket and page loads) while the
# gateway syncs 1000 new cases a second from the central store, for
# LOAD_SECONDS; page-load p50/p99, live-refresh p99, errors, ingest, lag.
LOAD_SECONDS ?= 30
load: deps
	CLINICGW_LOAD_SECONDS=$(LOAD_SECONDS) $(GO) test -count=1 -run '^$$' -bench '^BenchmarkLoad$$' -benchtime 1x -timeout 10m ./localui/

bench-all: deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 30m ./...

# The security and reliability checklist (../shared/SECURITY-CHECKLIST.md):
# each row's tests, printed green or red, sslscan on both TLS endpoints,
# the canary scans of store file, logs, mails and demo output.
security: deps
	GO=$(GO) .ci/security

# Every fuzz target in the module, FUZZTIME each, one after another.
fuzz: deps
	@set -e; for pkg in $$($(GO) list ./...); do \
		list=$$($(GO) test -list '^Fuzz' "$$pkg"); \
		for target in $$(echo "$$list" | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
		done; \
	done

# The crash tests, CRASH_ROUNDS rounds each: the store's writer, the gateway,
# the central store and the archive export killed at random points and at
# the named fault points, the central store restored from an older copy
# of its file, the mail server going down and up, the booking race (1000
# patients and 5 staff for 20 times, the central store SIGKILLed mid-race,
# CRASH_ROUNDS rounds), a proxy cutting the
# sync's connections and the central store restarting (SOAK_REPEAT
# times), must lose and duplicate nothing; the power cut (agent/powercut,
# as root) under the store's writer, the syncing gateway, the archive
# export and init, CRASH_ROUNDS cuts each; then every fuzz target for
# SOAK_FUZZTIME (34 targets: about 5⅔ hours at the default 10m;
# make soak SOAK_FUZZTIME=1m for a shorter one). Loopback only.
soak: deps
	CLINICGW_CRASH_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestCrash -timeout 60m ./agent/store/
	CLINICGW_UPLINK_KILL_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestGatewayKilled -timeout 60m ./sync/uplink/
	CLINICGW_CENTRAL_KILL_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestCentralKilled -timeout 60m ./sync/uplink/
	CLINICGW_CENTRAL_RESTORE_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestCentralRestore -timeout 60m ./sync/uplink/
	CLINICGW_ARCHIVE_KILL_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestArchiveKilled -timeout 60m ./agent/archive/
	CLINICGW_NOTIFY_OUTAGE_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestMailOutages -timeout 60m ./agent/notify/
	CLINICGW_BOOKING_RACE_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run 'TestBookingRace$$' -timeout 300m ./localui/
	CLINICGW_POWERCUT_ROUNDS=$(CRASH_ROUNDS) $(GO) test -count=1 -run TestPowerCut -timeout 60m ./agent/store/ ./sync/uplink/ ./agent/archive/ ./cmd/clinicgw/
	$(GO) test -count=$(SOAK_REPEAT) -run 'TestProxyCuts|TestCentralRestart' -timeout 60m ./sync/uplink/
	$(MAKE) fuzz FUZZTIME=$(SOAK_FUZZTIME)

# Release artifacts in PKGOUT: the Linux binary in a .deb (lintian-clean)
# and an .rpm, the Windows exe and MSI (Authenticode-signed with a throwaway
# test certificate unless SIGN_CERT and SIGN_KEY name a real one), and
# SHA256SUMS of them all.
PKGOUT ?= /tmp/clinicgw-packages
package: package-clean package-linux package-windows
	cd $(PKGOUT) && sha256sum $$(ls | grep -v '^SHA256SUMS$$') > SHA256SUMS && cat SHA256SUMS

# Old artifacts (another version) out of PKGOUT, so SHA256SUMS lists this build's.
package-clean:
	rm -f $(PKGOUT)/clinicgw[-_]*.deb $(PKGOUT)/clinicgw-*.rpm $(PKGOUT)/clinicgw-*.exe $(PKGOUT)/clinicgw-*.msi $(PKGOUT)/SHA256SUMS

package-linux: deps-package
	packaging/linux/build.sh $(PKGOUT) $(VERSION)

package-windows: deps-package
	packaging/windows/build.sh $(PKGOUT) $(VERSION)

# Installs the .deb in a debootstrap chroot: install, upgrade keeps an
# edited config, purge removes everything.
package-test: package-linux
	packaging/linux/install-test.sh $(PKGOUT)
