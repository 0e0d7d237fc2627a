# kudulens — build, run the sample, test.
#
#   make run     build and diagnose the bundled sample bundle
#   make test    everything CI runs (vet, gofmt, unit and integration tests, Azurite, fuzz smoke)
#   make bench   benchmarks against the baselines (writes bench/RESULTS.md)
#   make fuzz    longer fuzzing
#
# The Makefile installs what is missing: Go modules (go mod download) and, for tests that need
# it, Azurite into .cache/azurite (npm).

GO       ?= go
BIN      := bin/kudulens
SAMPLE   := fixtures/sample-bundle.zip
OUT      := out
GOFLAGS  ?=
export GOFLAGS

.PHONY: all build run test vet fmt-check unit bench fuzz clean deps

all: build

deps:
	$(GO) mod download

build: deps
	$(GO) build -o $(BIN) ./cmd/kudulens

# The diagnosis exits 1 when it finds problems (the sample has some): that is the expected
# outcome here, so only other codes fail make run.
run: build
	@./$(BIN) diagnose --quiet $(SAMPLE); code=$$?; if [ $$code -gt 1 ]; then exit $$code; fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l . 2>/dev/null | grep -v '^.cache/'); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit: deps
	$(GO) test -count=1 ./...

test: fmt-check vet unit

# make bench: generated inputs go to bench/data/ (kept between runs, gitignored); the report to
# bench/RESULTS.md. BENCH_SIZE sets the main input; BENCH_FULL=1 adds 1 GB and 4 GB inputs for
# the memory rows. lnav (the peer) is installed with apt-get when missing.
BENCH_SIZE ?= 200MB
BENCH_RUNS ?= 3
BENCH_FULL ?=
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

bench: deps
	@command -v lnav >/dev/null 2>&1 || { echo "installing lnav (apt-get)"; $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq lnav; }
	$(GO) build -o bin/kudugen ./bench/cmd/kudugen
	$(GO) build -o bin/kudulens ./cmd/kudulens
	$(GO) build -o bin/kudubench ./bench/cmd/kudubench
	@mkdir -p bench/data
	$(GO) test ./parse -run '^$$' -bench 'KuduLogGen|KuduLog$$' -benchmem -count 3 | tee bench/data/micro.txt
	./bin/kudubench --size $(BENCH_SIZE) --runs $(BENCH_RUNS) $(if $(BENCH_FULL),--full) --micro bench/data/micro.txt --out bench/RESULTS.md

clean:
	rm -rf bin $(OUT)
