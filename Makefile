# sessionlab — build, test, benchmark, fuzz, demo.
# `make demo` and `make test` are the two commands a new user needs (README).

GO        ?= go
BIN       := bin/sessionlab
PKG       := github.com/sessionlab/sessionlab
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null)
# The commit is passed explicitly too: the go command's own VCS stamp is
# missing whenever GOFLAGS carries -buildvcs=false (common on CI machines).
LDFLAGS   := -X $(PKG)/internal/version.Version=$(VERSION) -X $(PKG)/internal/version.Commit=$(COMMIT)
GOFILES    = $(shell git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './out/*')
BENCH     ?= .
BENCHPKG  ?= ./...
BENCHTIME ?= 1s
BENCHCOUNT?= 3
FUZZTIME  ?= 10s
OUT       ?= out

.PHONY: all build test lint fmt-check vet staticcheck unit bench fuzz demo baselines ci-compare clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/sessionlab

# gofmt check, go vet, staticcheck, then every test under the race detector.
test: lint unit

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

# The race detector allocates and slows the simulator tenfold, so the
# zero-allocation tests, the real-engine search tests and cost calibration
# skip under -race; the second pass runs exactly those without it.
NORACE_TESTS := Alloc|NDROfSimulatedCapacity|RealEngine|TestCalibrate

unit:
	$(GO) test -race -timeout 20m ./...
	$(GO) test -count=1 -timeout 10m -run '$(NORACE_TESTS)' ./...

# All benchmarks, then the ratio tables (subject vs the peer measured in the same
# run) and the issue targets. Narrow with BENCH=regexp BENCHPKG=./core/bihash.
# Each benchmark runs BENCHCOUNT (3) times and the tables use the medians:
# two goroutines handing data to each other run either back to back on one
# core or on two, depending on the scheduler, and one sample can land in
# either mode.
bench:
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) -timeout 60m $(BENCHPKG) 2>&1 | tee $(OUT)/bench.txt
	@cat benchdata/targets/*.txt > $(OUT)/targets.txt 2>/dev/null || true
	@echo
	@$(GO) run ./internal/tools/benchratio -targets $(OUT)/targets.txt < $(OUT)/bench.txt

# Every Fuzz target for FUZZTIME each (bounded; the seed corpora also run in `make test`).
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# The main job on the embedded default: the `default` scenario in simulated
# mode, then its HTML report (out/index.html and the PNGs beside it).
demo: build
	./$(BIN) run default -o $(OUT)/results.json
	./$(BIN) report $(OUT)/results.json -o $(OUT)
	@echo "open $(OUT)/index.html"

# Simulated results of every built-in scenario (veth-live needs root and runs
# live, so it has none), compared by CI against fresh runs.
BASELINES := default bucket-sweep queue-sweep close-storm cut-through rules-scale
baselines: build
	@mkdir -p benchdata/baselines
	@for s in $(BASELINES); do echo "== $$s"; ./$(BIN) run $$s -o benchdata/baselines/$$s.json.gz || exit 1; done

# What a user's CI does: run the default scenario and gate on the baseline.
ci-compare: build
	@mkdir -p $(OUT)
	./$(BIN) run default -o $(OUT)/ci-default.json
	./$(BIN) compare benchdata/baselines/default.json.gz $(OUT)/ci-default.json --format markdown

clean:
	rm -rf bin $(OUT)
