GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 5s

.PHONY: build test unit fuzz install demo bench lint clean

## build: doppio and the emulator into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/doppio ./cmd/doppio
	$(GO) build -o bin/awsemu ./cmd/awsemu

## test: go vet, every test with the race detector (end-to-end included), short fuzz runs
test: unit fuzz

unit:
	$(GO) vet ./...
	$(GO) test -race ./...

fuzz:
	$(GO) test ./render/ -run '^$$' -fuzz '^FuzzLoadConfig$$' -fuzztime $(FUZZTIME)
	$(GO) test ./render/ -run '^$$' -fuzz '^FuzzDecodeTaskDefinition$$' -fuzztime $(FUZZTIME)

## install: doppio into GOBIN
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/doppio

## demo: build, start the emulator seeded from examples/, tour the commands, stop
demo: build
	bash scripts/demo.sh

## bench: the benchmarks whose figures docs/performance.md records
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin dist
