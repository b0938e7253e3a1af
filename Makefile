# The two commands of the README: `make plan` and `make test`.
# Everything they need comes from the Go module proxy; no cloud account, no Pulumi CLI.
STACK ?= dev
GO    ?= go
PKGS  := ./...

.PHONY: plan test vet fmt-check unit build docs

## plan: offline plan of $(STACK) under Pulumi mocks (resource tree, counts, security rules)
plan:
	$(GO) run ./cmd/plan -stack $(STACK)

## test: everything CI checks
test: fmt-check vet unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -count=1 $(PKGS)

## build: compile the Pulumi program
build:
	$(GO) build -o /dev/null .

## docs: regenerate README's configuration table from Pulumi.yaml
docs:
	$(GO) run ./cmd/configdoc .
