# Kizuna — the two commands a newcomer needs:
#   make run    build, create ./data/kizuna.db with demo data (once), start the server
#   make test   every test, on SQLite and PostgreSQL
GO       ?= go
BIN      := bin/kizuna
DB       ?= ./data/kizuna.db
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/kizuna-oss/kizuna/cli.Version=$(VERSION)
# PostgreSQL for the storage suite; CI=true makes an unreachable one a failure.
KIZUNA_TEST_PG ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export KIZUNA_TEST_PG
# Browser tests save screenshots of the console's pages here.
KIZUNA_TEST_OUTPUT ?= $(CURDIR)/test-output
export KIZUNA_TEST_OUTPUT

.PHONY: run build test test-short bench vet fmt check-go clean assets

run: build
	@mkdir -p $(dir $(DB))
	@$(BIN) migrate up --db $(DB) >/dev/null
	@$(BIN) demo --db $(DB) --customers 20000 --seed 1
	@exec $(BIN) serve --db $(DB)

build: check-go
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/kizuna

test: check-go
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...
	# The concurrent parts again under the race detector.
	$(GO) test -race -count=1 -timeout 20m ./identity ./store/... ./httpapi ./audit ./console ./commerce ./importjob ./loyalty ./event

test-short: check-go
	$(GO) test -short -count=1 ./...

bench: build
	$(GO) test -run XXX -bench . -benchtime 20000x ./identity

# The console's front-end libraries (htmx, Chart.js, BIZ UDPGothic) come
# from npm, pinned in web/package-lock.json, and are committed under
# console/static/vendor so that building needs only Go. `make assets`
# refreshes them; it needs Node.js and npm.
assets:
	@command -v npm >/dev/null 2>&1 || { echo "make assets needs Node.js and npm (Debian: apt-get install nodejs npm)"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	web/vendor.sh

fmt:
	gofmt -w $$(git ls-files '*.go')

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { echo "Go is required (1.26 or newer): https://go.dev/dl/ — or set GO=/path/to/go"; exit 1; }

clean:
	rm -rf bin
