# Todai — make targets. `make demo` shows Todai answering questions about a demo dbt project; `make test` runs
# every check CI runs.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: build demo test lint unit bench fuzz clean

## build: a version-stamped binary at bin/todai
build:
	CGO_ENABLED=1 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/todai ./cmd/todai

## demo: build a demo Elementary warehouse, sync it and tour the questions Todai answers
demo: build
	./bin/todai demo

## test: formatting, vet, staticcheck and every test with the race detector (PostgreSQL tests need
## TODAI_TEST_POSTGRES_URL; `eval "$$(.ci/postgres.sh)"` starts a local server as root)
test: lint unit

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	@if [ -z "$$TODAI_TEST_POSTGRES_URL" ]; then echo "!!! TODAI_TEST_POSTGRES_URL is not set: the PostgreSQL tests will be SKIPPED (run: eval \"\$$(.ci/postgres.sh)\")"; fi
	$(GO) test -race -count=1 ./...

## bench: the benchmarks of the issue's targets (builds a 10,000-model demo warehouse once, cached in $TMPDIR)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 5x -benchmem ./queries/... ./handlers/...

## fuzz: fuzz the question parser for a minute
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./handlers/

clean:
	rm -rf bin .todai
