# The two commands of the README: `make plan` and `make test`.
# Everything they need comes from the Go module proxy; no cloud account, no Pulumi CLI to install
# (test-engine builds the pinned CLI from the proxy itself).
STACK ?= dev
GB_PER_DAY ?= 1
GO    ?= go
PKGS  := ./...

.PHONY: plan test test-engine vet fmt-check unit build docs replay

## plan: offline plan of $(STACK) under Pulumi mocks (resource tree, counts, security and deployability rules,
## a summary per architecture and a monthly cost range at GB_PER_DAY GB/day of flow logs)
plan:
	$(GO) run ./cmd/plan -stack $(STACK) -gb-per-day $(GB_PER_DAY)

## test: everything CI checks
test: fmt-check vet lint-workflows unit test-engine

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

## unit: every package's tests under the race detector: a test that reads a
## value another goroutine writes without synchronisation fails whenever both
## accesses happen, not only when the scheduling goes wrong; -timeout covers
## the slower race build and run
unit:
	$(GO) test -race -count=1 -timeout 30m $(PKGS)
	@# Allocation budgets and peak heaps once more without -race (under it sync.Pool
	@# drops items at random, and the detector allocates for itself).
	$(GO) test -count=1 -run 'Alloc|PeakHeap' $(PKGS)

## test-engine: the program under the real Pulumi engine, offline: preview, up,
## a second preview and up with no changes, destroy, config type errors, and
## a fleet of stacks across accounts and regions through cmd/fleet's runner
## (internal/enginetest, docs/fleet.md). scripts/pulumi-cli.sh finds the pinned Pulumi CLI or
## builds it once from the Go module proxy into a cache (several minutes).
test-engine:
	@cli="$$(GO="$(GO)" bash scripts/pulumi-cli.sh)" && \
	$(GO) vet -tags enginetest ./internal/enginetest/... && \
	PULUMI_CLI="$$cli" $(GO) test -tags enginetest -count=1 -timeout 30m -v ./internal/enginetest

## test-arm64: the Lambda functions' packages and internal/flowlog tested as linux/arm64, the
## functions' architecture (their SWAR, unsafe and vector base64 code), under qemu user-mode
## emulation (a minute or two on an idle machine). Not part of `make test`: it needs qemu-aarch64-static
## (Debian/Ubuntu: qemu-user-static), which a fresh machine does not have.
.PHONY: test-arm64
test-arm64:
	@command -v qemu-aarch64-static >/dev/null || { echo "test-arm64: needs qemu-aarch64-static (apt-get install qemu-user-static)" >&2; exit 2; }
	GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64-static ./lambda/... ./internal/flowlog/

## build: compile the Pulumi program
build:
	$(GO) build -o /dev/null .

## replay: feed what a dead-letter queue of $(STACK) holds back into the normal path (docs/replay.md).
## QUEUE is the stack output naming the queue; DRY_RUN=1 only lists what it would replay
## (`make replay --dry-run` would be make's own dry run, which runs nothing); ARGS adds flags:
## --to-file FILE, --outputs FILE (instead of `pulumi stack output`), --endpoint-url URL (a local fake).
DRY_RUN ?=
replay:
	@test -n "$(QUEUE)" || { echo "usage: make replay STACK=<stack> QUEUE=<queue output> [DRY_RUN=1] [ARGS='--to-file FILE ...']" >&2; exit 2; }
	$(GO) run ./cmd/replay --stack $(STACK) --queue $(QUEUE) $(if $(DRY_RUN),--dry-run) $(ARGS)

## docs: regenerate the configuration table of docs/configuration.md from Pulumi.yaml, and the
## generated blocks of README.md and docs/*.md (counts, costs, example patterns) from mocked runs
docs:
	$(GO) run ./cmd/configdoc .
	$(GO) run ./cmd/docgen .

.PHONY: bench

## bench: the data-path speed benchmarks, each measuring its pipeline and gunzip alone in
## one loop, printed as one table (medians over BENCH_COUNT runs) with the targets of
## issue 13: forwarder >= 0.80 of gunzip alone, indexer >= 0.70. Not part of `make test`.
BENCH_COUNT ?= 5
BENCH_TIME  ?= 20x
BENCH       ?= ForwarderVsGunzip|PipelineVsGunzip
bench: SHELL := bash
bench:
	@mkdir -p .build && set -o pipefail && $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime $(BENCH_TIME) -count $(BENCH_COUNT) \
		./lambda/forwarder/ ./lambda/indexer/ | tee .build/bench.txt | \
		$(GO) run ./cmd/benchtable -target lambda/forwarder=0.80 -target lambda/indexer=0.70

.PHONY: diagram lint-workflows

## diagram: draw the dev stack's resource graph from the mocked run of `make plan`:
## docs/architecture.mmd and README's Mermaid block (a test keeps them fresh), and
## docs/architecture.svg with Graphviz (scripts/install-graphviz.sh installs it); then the
## organization picture of the central and member stacks: docs/organization.mmd and the
## organization block of docs/organization.md (a test keeps them fresh)
diagram:
	bash scripts/install-graphviz.sh
	$(GO) run ./cmd/diagram -stack dev -mermaid docs/architecture.mmd -readme README.md -dot .build/architecture.dot
	dot -Tsvg -o docs/architecture.svg .build/architecture.dot
	$(GO) run ./cmd/diagram -org-mermaid docs/organization.mmd -org-docs docs/organization.md

## lint-workflows: check .github/workflows with actionlint, pinned and installed from the
## Go module proxy by scripts/install-actionlint.sh (shellcheck/pyflakes integration off,
## so the result does not depend on what else the machine has installed)
lint-workflows:
	@actionlint="$$(GO="$(GO)" bash scripts/install-actionlint.sh)" && \
	"$$actionlint" -shellcheck= -pyflakes= .github/workflows/*.yml && \
	echo "actionlint: .github/workflows/*.yml OK"

.PHONY: mutate

## mutate: mutation testing with gremlins (pinned in tools/gremlins, installed by
## scripts/install-gremlins.sh) on the packages where a silent bug costs the most, one
## package after the other with one worker; then one table (killed, lived, not covered,
## timed out, score per package) and every surviving mutant (cmd/mutscore). Fails when a
## package scores under MUTATE_TARGET % with a survivor docs/testing.md does not explain.
## Slow (see docs/testing.md for the time per package); not part of `make test`.
## `make mutate PKGS=./internal/costs` runs one package; MUTATE_FORCE=1 reruns packages
## whose results are newer than their sources.
MUTATE_PKGS   := ./internal/flowlog ./internal/filterpattern ./internal/costs ./internal/stackconfig \
	./internal/policy ./lambda/internal/wait ./lambda/internal/envconfig ./lambda/internal/cwlogs ./lambda/internal/inflate \
	./lambda/forwarder ./lambda/indexer ./lambda/slacknotify ./lambda/bootstrap ./components
MUTATE_TARGET ?= 85
mutate: PKGS = $(MUTATE_PKGS)
mutate:
	GO="$(GO)" bash scripts/mutate.sh $(PKGS)
	$(GO) run ./cmd/mutscore -results .build/mutate -doc docs/testing.md -target $(MUTATE_TARGET) $(PKGS)

.PHONY: fleet

## fleet: run preview, up, refresh or destroy over the stacks of the fleet file $(FLEET) with the
## Automation API and the pinned Pulumi CLI (scripts/pulumi-cli.sh), the central stack first, a
## bounded number at a time (docs/fleet.md):
## make fleet FLEET=examples/fleet.example.yaml ARGS='up --parallel 8 [--stacks a,b]'
FLEET ?= fleet.yaml
fleet:
	@test -n "$(ARGS)" || { echo "usage: make fleet FLEET=<fleet file> ARGS='preview|up|refresh|destroy [--parallel N] [--stacks a,b] [--remove]'" >&2; exit 2; }
	@cli="$$(GO="$(GO)" bash scripts/pulumi-cli.sh)" && \
	PULUMI_CLI="$$cli" $(GO) run ./cmd/fleet -f $(FLEET) $(ARGS)

.PHONY: bench-scale

## bench-scale: the scale evidence of issue 16 (docs/scale.md): plans a central stack and 10, 100
## and 300 member stacks under mocks and reports the time (ms/member) and the memory allocated
## (MiB/member) per member. Several minutes; not part of `make test`.
bench-scale:
	$(GO) test -run '^$$' -bench 'OrgScale' -benchtime 1x -timeout 60m ./stacks/

.PHONY: fuzz

## fuzz: every fuzz target of the module for FUZZ_TIME each (default 30s), one after the other
## (scripts/fuzz.sh), minimizing each new input for at most FUZZ_MINIMIZE (default 2s; go test's
## 60s default spends a short run on one input). A failure stops it with the input written under the
## package's testdata/fuzz/. `make fuzz FUZZ_PKGS=./lambda/internal/inflate` fuzzes one package.
## Not part of `make test`, which runs every target's seeds.
FUZZ_TIME ?= 30s
FUZZ_MINIMIZE ?= 2s
FUZZ_PKGS ?=
fuzz:
	GO="$(GO)" FUZZ_TIME=$(FUZZ_TIME) FUZZ_MINIMIZE=$(FUZZ_MINIMIZE) bash scripts/fuzz.sh $(FUZZ_PKGS)
