# reviewer: the two commands are `make run` and `make test`. Both set up what
# they need on a fresh machine (templ comes from go.mod's tool directive;
# Chromium for the browser tests from Debian's packages). `make check` is
# the quick loop while working; `make test-long` adds the production-scale
# cases.

GO      ?= go
# make run and reviewer read the same variables: REVIEWER_ADDR and
# REVIEWER_DATA from the environment, or ADDR and DATA on the command line.
DATA    ?= $(or $(REVIEWER_DATA),./data)
ADDR    ?= $(or $(REVIEWER_ADDR),127.0.0.1:8080)
FUZZTIME ?= 200000x
TIMEOUT ?= 30m
export CGO_ENABLED ?= 1

.PHONY: image image-run run build check test test-long lint lint-quick generate check-generated chromium postgres tesseract office sdk fuzz bench screenshots clean

build:
	$(GO) build -o bin/reviewer ./cmd/reviewer

run: build
	./bin/reviewer serve --demo --addr $(ADDR) --data $(DATA)

# The Dockerfile's default image, from the static binary built here, with
# Debian's podman and nothing pulled (FROM scratch), for machines that reach
# no container registry. image-run starts it and waits for its HEALTHCHECK
# (reviewer healthcheck) to pass. Where reviewer is developed, podman builds
# the image, but cannot run it: crun may not set RLIMIT_NPROC there.
IMAGE ?= localhost/reviewer:local
image:
	@command -v podman >/dev/null 2>&1 || { \
		echo "installing Debian's podman"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq podman >/dev/null; }
	rm -rf bin/image && mkdir -p bin/image/data
	cp /etc/ssl/certs/ca-certificates.crt bin/image/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/image/reviewer ./cmd/reviewer
	podman build --format docker -f deploy/Containerfile.scratch -t $(IMAGE) bin/image

image-run: image
	podman run --rm -d --name reviewer-image -p 127.0.0.1:8089:8080 $(IMAGE)
	@for i in $$(seq 60); do podman healthcheck run reviewer-image && { echo "healthy: http://127.0.0.1:8089/readyz"; exit 0; }; sleep 1; done; \
		podman logs reviewer-image; exit 1

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
# vet and staticcheck overlap but neither covers the other (vet's printf,
# copylocks, lostcancel, tests...; staticcheck's simplifications, deprecated
# APIs, U1000), and vet's results are cached by the go command, so it costs
# seconds. deadcode (exported functions nothing reaches) has no cache and
# takes most of a minute: lint-quick, which `make check` runs, leaves it out.
lint-quick:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change:"; echo "$$out"; exit 1; }
	$(GO) tool templ fmt -fail views
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# housecheck fails on any handler, worker or command that calls a storage
# write itself instead of a desk method, and on an import across the house's
# edges: views beyond review, web into pages or content, anything but the bench
# (and pages, which reads it) into the unchecked PDFium build (see internal/housecheck).
lint: lint-quick
	@out=$$($(GO) tool deadcode -test ./...); test -z "$$out" || { echo "unused code:"; echo "$$out"; exit 1; }
	$(GO) run ./internal/housecheck

# The quick loop while working: lint without deadcode, and every test that
# needs neither a browser nor PostgreSQL, without the race detector (-short
# skips those tests, and only those). About two minutes warm on 2 cores.
check: check-generated lint-quick
	$(GO) test -short -count=1 ./...

# Everything, nothing skipped: every package once, under the race detector,
# the storage and application tests on SQLite and PostgreSQL as subtests of
# one binary (internal/pgtest), the browser tests in one Chromium; then
# bounded fuzzing. The README's and CI's command.
#
# Four tests at a time per package: most of a test's time is spent waiting
# on a browser, a server or a commit, so two (the default on 2 cores) left
# the CPU idle. checkptr, which -race turns on, checks every unsafe pointer
# conversion; reviewer's code has none, and in the transpiled SQLite it
# made the SQLite tests 40% slower: it is turned off, the race detector
# stays.
RACE ?= -race -gcflags=all=-d=checkptr=0 -parallel 4
test: chromium postgres tesseract office sdk check-generated lint
	$(GO) test $(RACE) -count=1 -timeout $(TIMEOUT) ./...
	$(MAKE) fuzz

# make test with the production-scale cases (internal/scale): 10,000
# exported runs, a 20,000-row run, a SIGKILL after 8,000 of 20,000 events.
test-long: export REVIEWER_TEST_LONG = 1
test-long: TIMEOUT = 90m
test-long: test

# Fuzzing runs a bounded number of inputs on every test run. A count, not a
# duration: go1.26's fuzzing coordinator can fail a target with "context
# deadline exceeded" when a -fuzztime duration ends (golang/go#75804, fixed
# in go1.27); a count has no deadline to race.
fuzz:
	@for f in FuzzDecodeEvent FuzzInterpret FuzzParseNumber FuzzParseDate; do \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) ./review || exit 1; \
	done

# Writes the top of BENCHMARKS.md: every figure beside a baseline measured in
# the same pass, quiet, then beside one and two CPU-bound neighbours (the
# scales are shortened to fit ten minutes; -long runs the issue's full ones).
bench: chromium postgres office
	$(GO) run ./cmd/bench -neighbour 0,1,2

# The README's screenshots, taken by a browser test from the running demo.
screenshots: chromium
	REVIEWER_SCREENSHOTS=$(CURDIR)/docs $(GO) test -count=1 -run '^TestScreens$$' ./cmd/reviewer

clean:
	rm -rf bin $(DATA)
