GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Fuzz budgets count executions, not seconds: with a duration, Go up to 1.26
# can fail a clean run with "context deadline exceeded" when -fuzztime ends
# while a worker is busy (golang/go#75804). Minimizing a new input is capped
# the same way so it cannot outlast the run.
FUZZTIME ?= 2000x
FUZZMINIMIZETIME ?= 100x
# Tests build without tfstate-lookup's GCS, Azure and Terraform Cloud backends
# (no test can reach them): that halves what the race detector and the fuzzer
# instrument. go vet and `make build` still compile the full program.
TEST_TAGS ?= no_gcs,no_azurerm,no_tfe
# Tools run through `go run` at pinned versions, so nothing is installed by hand.
ACTIONLINT_VERSION ?= v1.7.12
# goreleaser 2.18 needs Go 1.27, and 2.16-2.17 need a module the Go proxy
# refuses (go.digitalxero.dev/go-msix); 2.15.1 builds with Go 1.26.
GORELEASER_VERSION ?= v2.15.1
ACTIONLINT = $(GO) run github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: build test unit fuzz install demo bench lint lint-go lint-deadcode lint-actions release-snapshot clean

## build: doppio and the emulator into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/doppio ./cmd/doppio
	$(GO) build -o bin/awsemu ./cmd/awsemu

## test: go vet, every test with the race detector (end-to-end included), short fuzz runs
test: unit fuzz

unit:
	$(GO) vet ./...
	DOPPIO_TEST_TAGS=$(TEST_TAGS) $(GO) test -race -tags $(TEST_TAGS) ./...

fuzz:
	$(GO) test -tags $(TEST_TAGS) ./render/ -run '^$$' -fuzz '^FuzzLoadConfig$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME)
	$(GO) test -tags $(TEST_TAGS) ./render/ -run '^$$' -fuzz '^FuzzDecodeTaskDefinition$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME)

## install: doppio into GOBIN
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/doppio

## demo: build, start the emulator seeded from examples/, tour the commands, stop
demo: build
	bash scripts/demo.sh

## bench: the benchmarks whose figures docs/performance.md records
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## lint: gofmt, go vet, go mod tidy, the linker's dead-code elimination, actionlint on the example workflows, action.yml structure
lint: lint-go lint-deadcode lint-actions

lint-go:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }

# A method lookup by a name known only at run time (reflect MethodByName,
# Method(i)) makes the linker keep every exported method of every type: the
# release binary would triple (docs/performance.md, "Start-up and size").
# -dumpdep marks such functions <ReflectMethod>; none may be reachable.
lint-deadcode:
	@out=$$($(GO) build -tags $(TEST_TAGS) -ldflags=-dumpdep -o /dev/null ./cmd/doppio 2>&1 | grep -o '[^ ]* <ReflectMethod>' | sort -u); \
	if [ -n "$$out" ]; then echo "the linker cannot drop unused methods: reachable run-time method lookups:"; echo "$$out"; exit 1; fi

# actionlint lints workflow files only; action.yml (action metadata) is
# checked by TestActionMetadata, which also runs actionlint on a workflow
# that uses the action from this checkout.
lint-actions:
	$(ACTIONLINT) -no-color examples/github-actions/*.yml
	$(GO) test ./tests/action -run 'TestActionMetadata|TestWorkflowsPassActionlint' -count=1

## release-snapshot: every release archive and checksums.txt into dist/, nothing published
release-snapshot:
	$(GO) run github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION) release --snapshot --clean

clean:
	rm -rf bin dist
