# kudulens — build, run the sample, test.
#
#   make run     build and diagnose the bundled sample bundle
#   make test    everything CI runs (vet, gofmt, unit and integration tests, race detector on the
#                pipeline, Azurite, fuzz smoke)
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

# Fuzzing: every native Go fuzz target of the module (found with go test -list), one after
# the other. make test gives each FUZZSMOKE (regressions fail CI); make fuzz gives each
# FUZZTIME. New crashers land in the package's testdata/fuzz and stay there as regression
# inputs (plain go test runs them).
FUZZTIME  ?= 60s
FUZZSMOKE ?= 3s

.PHONY: all build run test vet fmt-check unit race bench fuzz fuzz-smoke fuzz-run clean deps

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

test: fmt-check vet unit race fuzz-smoke

# The data race detector on the pipeline and the parsers (concurrent readers, parse workers,
# file workers and their groups).
race: deps
	$(GO) test -race -count=1 ./pipeline/ ./parse/

fuzz-smoke: deps
	@$(MAKE) --no-print-directory fuzz-run FUZZTIME=$(FUZZSMOKE)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-run FUZZTIME=$(FUZZTIME)

fuzz-run:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$t ($$pkg, $(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg > .fuzz.log 2>&1 || { cat .fuzz.log; rm -f .fuzz.log; exit 1; }; \
		done; \
	done; rm -f .fuzz.log

clean:
	rm -rf bin $(OUT)
