# reviewer: the two commands are `make run` and `make test`. Both set up what
# they need on a fresh machine (templ comes from go.mod's tool directive;
# Chromium for the browser tests from Debian's packages).

GO      ?= go
DATA    ?= ./data
ADDR    ?= 127.0.0.1:8080
FUZZTIME ?= 200000x
PG_PACKAGES ?= ./storage ./desk ./ingest ./outbound ./web
export CGO_ENABLED ?= 1

.PHONY: run build test lint generate check-generated chromium postgres tesseract office sdk fuzz bench screenshots clean

build:
	$(GO) build -o bin/reviewer ./cmd/reviewer

run: build
	./bin/reviewer serve --demo --addr $(ADDR) --data $(DATA)

generate:
	$(GO) tool templ generate

# Generated templ files are committed; regenerating must change nothing.
check-generated: generate
	@git diff --exit-code -- views || (echo "templ output differs from the committed files: run 'make generate' and commit" && exit 1)

# Browser tests drive Debian's Chromium; nothing downloads a browser.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# PostgreSQL for the tests from Debian's package; the tests start a
# throwaway server of their own (internal/pgtest), as the postgres user.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing Debian's postgresql for the tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# Tesseract reads boxes drawn on scans that came without words; the tests
# use it, and `make run` works without it (the box keeps its location).
tesseract:
	@command -v tesseract >/dev/null 2>&1 || { \
		echo "installing Debian's tesseract-ocr for the tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tesseract-ocr >/dev/null; }

# LibreOffice lays Word documents out as pages; the tests use it, and
# `make run` works without it (Word documents are shown as their text).
office:
	@command -v soffice >/dev/null 2>&1 || { \
		echo "installing Debian's libreoffice-writer-nogui for the tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core >/dev/null; }

# Extend's own TypeScript SDK, for the test that runs it against reviewer
# (sdktest): Node from Debian's nodejs and npm when missing, the SDK from
# the lockfile.
sdk:
	@{ command -v node && command -v npm; } >/dev/null 2>&1 || { \
		echo "installing Debian's nodejs and npm for the SDK test"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nodejs npm >/dev/null; }
	cd sdktest && npm ci --no-audit --no-fund --silent

# Lint: formatting (Go and templ), vet, staticcheck and unused code; the
# tools are pinned in go.mod's tool directive, so nothing else is installed.
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }
	$(GO) tool templ fmt -fail views
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@out=$$($(GO) tool deadcode -test ./...); test -z "$$out" || { echo "unused code:"; echo "$$out"; exit 1; }

# Every package on SQLite (the default), then the storage and application
# tests again on PostgreSQL.
test: chromium postgres tesseract office sdk check-generated lint
	$(GO) test -race -count=1 -timeout 30m ./...
	REVIEWER_TEST_DB=postgres $(GO) test -race -count=1 -timeout 30m $(PG_PACKAGES)
	$(MAKE) fuzz

# Fuzzing runs a bounded number of inputs on every test run. A count, not a
# duration: go1.26's fuzzing coordinator can fail a target with "context
# deadline exceeded" when a -fuzztime duration ends (golang/go#75804, fixed
# in go1.27); a count has no deadline to race.
fuzz:
	@for f in FuzzDecodeEvent FuzzInterpret FuzzParseNumber FuzzParseDate; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./review || exit 1; \
	done

# Writes BENCHMARKS.md: every figure beside a baseline measured in the same run.
bench: chromium postgres office
	$(GO) run ./cmd/bench
	$(GO) run ./cmd/bench -neighbour

# The README's screenshots, taken by a browser test from the running demo.
screenshots: chromium
	REVIEWER_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestScreens$$' ./cmd/reviewer

clean:
	rm -rf bin $(DATA)
