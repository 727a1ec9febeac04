# flint: build, test every tier, benchmark, regenerate, lint.
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
STATICCHECK_VERSION := v0.8.2
GOBIN := $(shell $(GO) env GOPATH)/bin
LDFLAGS := -s -w -X github.com/flint-provision/flint/internal/cli.Version=$(VERSION)

SHELL := /bin/bash

.PHONY: all build test unit bench generate check-generated lint tools clean

all: build

## build: the static flint binary in ./flint
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o flint .

## test: lint, then every test tier (tiers that need root, loop devices or QEMU say why they skip)
test: lint unit

# Every package, with each skipped test's reason and a closing "N passed, N failed, N skipped".
unit:
	set -o pipefail; $(GO) test -count=1 -timeout 60m -json ./... | $(GO) run ./internal/testsummary

## bench: the benchmarks behind docs/benchmarks.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## generate: regenerate docs, schemas and tables from the type tree
generate:
	$(GO) generate ./...

## check-generated: fail when generated files are stale
check-generated: generate
	git diff --exit-code

## lint: gofmt, go vet, staticcheck
lint: tools
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOBIN)/staticcheck ./...

tools:
	@test -x $(GOBIN)/staticcheck && $(GOBIN)/staticcheck -version | grep -q '0.8.2' || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

clean:
	rm -f flint
